// The reply of "save" may be an error: it must be checked before use.
import { io, Socket } from "socket.io-client";
import type { ServerToClientEvents, ClientToServerEvents } from "./events";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
socket.emit("save", { text: "draft" }, (reply) => console.log(reply.id));
