// A payload with a field the Go type does not have.
import { io, Socket } from "socket.io-client";
import type { ServerToClientEvents, ClientToServerEvents } from "./events";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
socket.emit("greet", { nom: "Ada" });
