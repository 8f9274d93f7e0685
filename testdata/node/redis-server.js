// redis-server.js: a socket.io 4.8 server in a cluster through Redis, with
// @socket.io/redis-adapter 8.3, for the mixed-cluster tests of adapter/redis.
//
// Environment: PORT (0 = ephemeral), REDIS_URL (redis://127.0.0.1:6379),
// MODE ("classic": createAdapter, the default; "sharded": createShardedAdapter;
// "streams": createAdapter of @socket.io/redis-streams-adapter 0.3),
// SUBSCRIPTION_MODE (for sharded: "dynamic", "static" or "dynamic-private"),
// KEY (the key / channel prefix, default "socket.io"), REQUESTS_TIMEOUT (ms),
// STREAM (for streams: the stream name, default "socket.io"), RECOVERY
// (connectionStateRecovery with that maxDisconnectionDuration in ms),
// ADMIN_UI ("1": @socket.io/admin-ui's instrument(), without authentication,
// server id "node").
// Prints {"ev":"listening","port":N} once it listens on 127.0.0.1.
//
// Every socket of "/" gets socket.data = {server: "node", auth: <its auth>} and
// handles:
//   join(room, ack)   -> socket.join(room); ack()
//   do(cmd, ack)      -> runs a cluster operation and acks {ok, result} or
//                        {ok: false, error}. cmd.op is one of:
//     emit         io.to(rooms).except(except)[.volatile].emit(event, ...args)
//     emitWithAck  ...timeout(timeout).emitWithAck(event, ...args) -> responses
//     fetch        ...fetchSockets() -> [{id, rooms, data, auth}]
//     join / leave ...socketsJoin(cmd.target) / socketsLeave(cmd.target)
//     disconnect   ...disconnectSockets(cmd.close)
//     sse          io.serverSideEmit(event, ...args)
//     sseAck       io.serverSideEmitWithAck(event, ...args) -> responses
//     count        io.of("/").adapter.serverCount()
//     allRooms     io.of("/").adapter.allRooms() (classic only) -> [rooms]
//     emitter      new Emitter(redis).to(rooms).except(except).emit(event, ...args),
//                  or the join/leave/disconnect/sse commands of the emitter (cmd.what)
// Server-side events from other nodes:
//   "ping" (...args, ack) -> ack({from: "node", args})
//   any other event       -> io.local.emit("server-event", event, ...args)
// Binary values travel as {"$bin": base64} in commands and results.
"use strict";

const http = require("http");
const { Server } = require("socket.io");
const { createClient } = require("redis");
const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
const { Emitter } = require("@socket.io/redis-emitter");
const streamsAdapter = require("@socket.io/redis-streams-adapter");
const { toWire, fromWire } = require("./wire");



function select(target, cmd) {
  let op = target;
  if (cmd.rooms && cmd.rooms.length) op = op.to(cmd.rooms);
  if (cmd.except && cmd.except.length) op = op.except(cmd.except);
  if (cmd.volatile) op = op.volatile;
  return op;
}

async function main() {
  const mode = process.env.MODE || "classic";
  const key = process.env.KEY || "socket.io";
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  pub.on("error", (e) => process.stderr.write(`redis pub: ${e.message}\n`));
  sub.on("error", (e) => process.stderr.write(`redis sub: ${e.message}\n`));
  await Promise.all([pub.connect(), sub.connect()]);

  const httpServer = http.createServer();
  const opts = {};
  if (process.env.RECOVERY) opts.connectionStateRecovery = { maxDisconnectionDuration: Number(process.env.RECOVERY) };
  const io = new Server(httpServer, opts);
  if (mode === "streams") {
    io.adapter(streamsAdapter.createAdapter(pub, {
      streamName: process.env.STREAM || "socket.io",
      channelPrefix: key,
    }));
  } else if (mode === "sharded") {
    io.adapter(createShardedAdapter(pub, sub, {
      channelPrefix: key,
      subscriptionMode: process.env.SUBSCRIPTION_MODE || "dynamic",
    }));
  } else {
    io.adapter(createAdapter(pub, sub, {
      key,
      requestsTimeout: Number(process.env.REQUESTS_TIMEOUT || 5000),
    }));
  }
  const emitter = new Emitter(pub, { key });
  if (process.env.ADMIN_UI === "1") {
    require("@socket.io/admin-ui").instrument(io, { auth: false, serverId: "node", mode: "development" });
  }

  async function run(cmd) {
    const args = fromWire(cmd.args || []);
    switch (cmd.op) {
      case "emit":
        select(io, cmd).emit(cmd.event, ...args);
        return null;
      case "emitWithAck":
        return await select(io, cmd).timeout(cmd.timeout || 3000).emitWithAck(cmd.event, ...args);
      case "fetch":
        return (await select(io, cmd).fetchSockets()).map((s) => ({
          id: s.id, rooms: [...s.rooms], data: s.data, auth: s.handshake.auth,
        }));
      case "join":
        select(io, cmd).socketsJoin(cmd.target);
        return null;
      case "leave":
        select(io, cmd).socketsLeave(cmd.target);
        return null;
      case "disconnect":
        select(io, cmd).disconnectSockets(!!cmd.close);
        return null;
      case "sse":
        io.serverSideEmit(cmd.event, ...args);
        return null;
      case "sseAck":
        return await io.serverSideEmitWithAck(cmd.event, ...args);
      case "count":
        return await io.of("/").adapter.serverCount();
      case "allRooms":
        return [...(await io.of("/").adapter.allRooms())];
      case "emitter":
        return runEmitter(cmd, args);
      default:
        throw new Error(`unknown op ${cmd.op}`);
    }
  }

  function runEmitter(cmd, args) {
    const op = select(emitter, cmd);
    switch (cmd.what) {
      case "join": op.socketsJoin(cmd.target); break;
      case "leave": op.socketsLeave(cmd.target); break;
      case "disconnect": op.disconnectSockets(!!cmd.close); break;
      case "sse": emitter.serverSideEmit(cmd.event, ...args); break;
      default: op.emit(cmd.event, ...args);
    }
    return null;
  }

  io.on("connection", (socket) => {
    socket.data = { server: "node", auth: socket.handshake.auth };
    socket.on("join", (room, ack) => {
      socket.join(room);
      if (typeof ack === "function") ack();
    });
    socket.on("do", async (cmd, ack) => {
      try {
        const result = await run(cmd);
        ack({ ok: true, result: toWire(result) });
      } catch (e) {
        ack({ ok: false, error: e && e.message, result: toWire(e && e.responses) });
      }
    });
  });

  io.on("ping", (...args) => {
    const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (ack) ack({ from: "node", args: toWire(args) });
  });
  const onAny = io.of("/")._onServerSideEmit.bind(io.of("/"));
  io.of("/")._onServerSideEmit = (args) => {
    if (args[0] !== "ping") io.local.emit("server-event", ...args.filter((a) => typeof a !== "function"));
    onAny(args);
  };

  httpServer.listen(Number(process.env.PORT || 0), "127.0.0.1", () => {
    process.stdout.write(JSON.stringify({ ev: "listening", port: httpServer.address().port }) + "\n");
  });
}

main().catch((e) => {
  process.stderr.write(`redis-server.js: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
