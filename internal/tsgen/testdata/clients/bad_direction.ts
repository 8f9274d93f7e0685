// "welcome" goes from the server to clients only: a client cannot emit it.
import { io, Socket } from "socket.io-client";
import type { ServerToClientEvents, ClientToServerEvents } from "./events";

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();
socket.emit("welcome", { id: 1 });
