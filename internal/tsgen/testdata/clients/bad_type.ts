// A payload field of the wrong type, and a nullable one used as if it were not.
import { io, Socket } from "socket.io-client";
import type { ServerToClientEvents, ClientToServerEvents } from "./events";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
socket.emit("message", { text: 42 });
socket.on("welcome", (p) => {
  const n: string = p.nick;
  console.log(n);
});
