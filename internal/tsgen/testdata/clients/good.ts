// A client that uses the generated types rightly: tsc must accept it.
import { io, Socket } from "socket.io-client";
import type { ServerToClientEvents, ClientToServerEvents, Profile } from "./events";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io("http://localhost:3000");

socket.emit("greet", { name: "Ada" });
socket.emit("message", { text: "hello" });
socket.emit("save", { text: "draft" }, (reply) => {
  if ("error" in reply) console.log(reply.error.length);
  else console.log(reply.id.length);
});
socket.emit("rename", "new name");
socket.emit("count", [1, 2, 3], (n) => console.log(n));

async function saveAwait(): Promise<void> {
  const reply = await socket.emitWithAck("save", { text: "draft" });
  console.log(reply);
}

socket.on("welcome", (p: Profile) => {
  const nick: string = p.nick ?? "none";
  const tags: string[] = p.tags;
  const when: string = p.seen;
  const big: string = p.big;
  const created: string = p.created; // promoted from an embedded struct
  const version: number | undefined = p.version; // through an embedded pointer
  const x: number = p.inline.X;
  const dash: string = p["with-dash"];
  if (p.avatar !== undefined) {
    const bytes = p.avatar instanceof ArrayBuffer ? new Uint8Array(p.avatar) : p.avatar;
    console.log(bytes.length);
  }
  for (const f of p.friends) console.log(f?.id);
  console.log(nick, tags, when, big, created, version, x, dash, p.counts["a"], p.grid[0][1], p.label);
});
socket.on("message", (post) => {
  if (post !== null) console.log(post.text, post.author);
});
socket.on("confirm", (question, callback) => callback(question.length > 0));

saveAwait();
