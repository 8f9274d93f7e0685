// An event name the server does not handle.
import { io, Socket } from "socket.io-client";
import type { ServerToClientEvents, ClientToServerEvents } from "./events";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
socket.emit("greeting", { name: "Ada" });
