// nodeapi-server.js: a socket.io 4.8 server exercising the parts of Node's
// server API that socket/nodeapi_test.go compares with envivo's, driven by
// the client's events. Listens on 127.0.0.1:$PORT and prints
// {"ev":"listening","port":N} once ready.
//
// On "/":
//   socket.use rejects the event "forbidden" with Error("unauthorized event");
//   it answers the ack of "denied" with {error: "denied"} and rejects it
//   with Error("denied event");
//   the socket's "error" handler emits rejected(err.message)
//   allowed(ack)           -> ack("ok")
//   forbidden(ack), denied(ack) -> ack("ran") (never reached)
//   off(ack)               -> removes the listeners of "allowed", ack("done")
//   join-all(room, ack)    -> io.socketsJoin(room), ack()
//   emit-room(room)        -> io.to(room).emit("in-room", room)
//   leave-all(room, ack)   -> io.socketsLeave(room), ack()
//   disconnect-room(room)  -> io.in(room).disconnectSockets()
//   close-server()         -> io.close()
"use strict";

const http = require("http");
const { Server } = require("socket.io");

const httpServer = http.createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.use((packet, next) => {
    const [event] = packet;
    const ack = packet[packet.length - 1];
    if (event === "forbidden") return next(new Error("unauthorized event"));
    if (event === "denied" && typeof ack === "function") {
      ack({ error: "denied" });
      return next(new Error("denied event"));
    }
    next();
  });
  socket.on("error", (err) => socket.emit("rejected", err.message));
  socket.on("allowed", (ack) => ack("ok"));
  socket.on("forbidden", (ack) => ack("ran"));
  socket.on("denied", (ack) => ack("ran"));
  socket.on("off", (ack) => {
    socket.removeAllListeners("allowed");
    ack("done");
  });
  socket.on("join-all", (room, ack) => {
    io.socketsJoin(room);
    ack();
  });
  socket.on("emit-room", (room) => io.to(room).emit("in-room", room));
  socket.on("leave-all", (room, ack) => {
    io.socketsLeave(room);
    ack();
  });
  socket.on("disconnect-room", (room) => io.in(room).disconnectSockets());
  socket.on("close-server", () => io.close());
});

httpServer.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ ev: "listening", port: httpServer.address().port }) + "\n");
});
