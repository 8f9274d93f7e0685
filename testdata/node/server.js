// server.js: a tiny socket.io 4.8 echo server, used to check the nodepeer
// harness (and client.js) against the real Node implementation.
//
// Listens on 127.0.0.1:$PORT (0 = ephemeral) and prints
// {"ev":"listening","port":N} on stdout once ready.
//
// On "/" and "/chat":
//   echo(...args, ack)  -> ack(...args)
//   ping(...args)       -> emits pong(...args)
//   askme()             -> emits question(1) with a 2 s ack timeout, then
//                          answer(theirAnswer) or answer("timeout")
//   kick()              -> socket.disconnect(true)  ("io server disconnect")
//   drop()              -> closes the engine.io connection ("transport close")
// "/chat" refuses connections whose auth.token is not "good" with
// Error("unauthorized") and data {code: 401}.
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const httpServer = http.createServer();
// ALLOW_EIO3=1 lets socket.io-client 2.x in (allowEIO3).
const io = new Server(httpServer, { allowEIO3: process.env.ALLOW_EIO3 === "1" });

function handlers(socket) {
  socket.on("echo", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack(...args);
  });
  socket.on("ping", (...args) => socket.emit("pong", ...args));
  socket.on("askme", () => {
    socket.timeout(2000).emit("question", 1, (err, answer) => {
      socket.emit("answer", err ? "timeout" : answer);
    });
  });
  socket.on("kick", () => socket.disconnect(true));
  socket.on("drop", () => socket.conn.close());
}

io.on("connection", handlers);

const chat = io.of("/chat");
chat.use((socket, next) => {
  if (socket.handshake.auth.token !== "good") {
    const err = new Error("unauthorized");
    err.data = { code: 401 };
    return next(err);
  }
  next();
});
chat.on("connection", handlers);

httpServer.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ ev: "listening", port: httpServer.address().port }) + "\n");
});
