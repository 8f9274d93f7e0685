// client.js: a generic driver of the official socket.io-client, for Go tests.
//
// It reads commands as JSON lines on stdin and reports what happens as JSON
// lines on stdout (stdout carries nothing else; diagnostics go to stderr).
// The Go side is internal/nodepeer; the protocol is documented there and in
// the comments below.
//
// Commands (one JSON object per line; "seq" is optional and echoed back):
//   {"cmd":"connect","client":"c1","url":"http://127.0.0.1:PORT/nsp","opts":{...}}
//   {"cmd":"connect","client":"c2","manager":"c1","nsp":"/other","opts":{...}}
//       a socket multiplexed on c1's Manager (connection) instead of a new one
//   "parser":"msgpack" in the opts of a connect with url: the Manager uses
//       require("socket.io-msgpack-parser") instead of the default parser
//   "version":2 on a connect with url: socket.io-client 2.5.0
//       (require("socket.io-client-v2"), Engine.IO v3) instead of 4.x; a
//       socket on its Manager is a 2.x socket too. A 2.x socket reports
//       the same events, and its "error" event (a refused CONNECT) as
//       {"ev":"socket_error","client":"c1","data":...}; emit "timeout" and
//       "volatile" are refused
//   "fetch":true on connect: poll with the Fetch transport (Node's fetch,
//       which asks for and decodes gzip) instead of XHR, which asks for none
//   "retryRefused":N on either connect: on a connect_error from the server
//       (socket.active false), set socket.auth.attempt to the attempt number
//       and call socket.connect() at once, up to N times, as socket.io-client
//       documents for re-authentication
//   {"cmd":"emit","client":"c1","name":"x","args":[...],"ack":bool,"timeout":ms,"ref":"r1","volatile":bool}
//   {"cmd":"ack","client":"c1","ackRef":N,"args":[...]}
//   {"cmd":"emit_many","client":"c1","name":"x","count":N,"payload":"..."}
//       emits name N times in one go, with the arguments (i, payload) for
//       i = 0..N-1: a flood as fast as the client can queue it
//   {"cmd":"disconnect","client":"c1"}
//   {"cmd":"connect_again","client":"c1"}
//   {"cmd":"close_transport","client":"c1"}
//       closes the Engine.IO connection under the socket, as a network
//       failure would: the Manager reconnects by itself
//   {"cmd":"move","client":"c1","url":"http://127.0.0.1:PORT"}
//       points c1's Manager at another server: its next reconnection goes
//       there (with the pid and offset of connection state recovery)
//   {"cmd":"exit"}
// Every command is answered with {"ev":"done","cmd":...,"client":...,"seq":...}
// once issued, or with {"ev":"error","cmd":...,"client":...,"seq":...,"message":...}
// when it could not be carried out.
//
// Reports (besides done/error):
//   {"ev":"connect","client":"c1","id":"...","transport":"polling"|"websocket","recovered":bool,"extensions":{...}}
//       extensions: on a WebSocket, the extensions ws negotiated and their
//       parameters, e.g. {"permessage-deflate":{"server_no_context_takeover":true}}
//   {"ev":"connect_error","client":"c1","message":"...","data":...,"type":...}
//   {"ev":"disconnect","client":"c1","reason":"...","description":...}
//   {"ev":"upgrade","client":"c1","transport":"websocket","extensions":{...}}
//   {"ev":"reconnect_attempt"|"reconnect","client":"c1","attempt":N}
//   {"ev":"reconnect_error","client":"c1","message":"..."}
//   {"ev":"reconnect_failed","client":"c1"}
//   {"ev":"event","client":"c1","name":"...","args":[...],"ackRef":N}   (ackRef only when the sender wants an ack)
//   {"ev":"ack","client":"c1","ref":"r1","args":[...]}
//   {"ev":"ack_error","client":"c1","ref":"r1","message":"..."}
//
// Binary values (Buffer, ArrayBuffer, typed arrays) are written as
// {"$bin":"<base64>"} at any depth, and {"$bin":"<base64>"} objects in command
// arguments become Buffers before they are sent.
"use strict";

const { io } = require("socket.io-client");
const { Fetch, NodeWebSocket } = require("engine.io-client");
const readline = require("readline");
const { toWire, fromWire } = require("./wire");

const sockets = new Map(); // client name -> Socket
const v2Sockets = new Set(); // the sockets of socket.io-client 2.x
const acks = new Map(); // ackRef -> { client, fn }
let nextAckRef = 1;

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

function log(...args) {
  process.stderr.write("client.js: " + args.map(String).join(" ") + "\n");
}



// describe makes a disconnect description (an Error, or
// {description, context} holding an Error or an event) printable.
function describe(d) {
  if (d === undefined || d === null) return undefined;
  if (d instanceof Error) return d.message;
  if (typeof d !== "object") return d;
  const o = {};
  if ("description" in d) o.description = describe(d.description);
  if (typeof d.context === "string" || typeof d.context === "number") o.context = d.context;
  if (typeof d.type === "string") o.type = d.type;
  return o;
}

// extensionsOf returns the extensions the ws WebSocket under an engine.io
// transport negotiated, with their parameters (ws keeps them in
// _extensions), or undefined for polling.
function extensionsOf(transport) {
  const exts = transport && transport.ws && transport.ws._extensions;
  if (!exts || typeof exts !== "object") return undefined;
  const o = {};
  for (const name of Object.keys(exts)) o[name] = Object.assign({}, exts[name].params);
  return o;
}

function socketOf(client) {
  const s = sockets.get(client);
  if (!s) throw new Error(`unknown client ${JSON.stringify(client)}`);
  return s;
}

function connect(c) {
  if (typeof c.client !== "string" || c.client === "") throw new Error("connect: client name required");
  if (sockets.has(c.client)) throw new Error(`client ${JSON.stringify(c.client)} already exists`);
  const client = c.client;
  let socket;
  let v2 = c.version === 2;
  if (c.version !== undefined && c.version !== 2 && c.version !== 4) throw new Error("connect: version must be 2 or 4");
  if (c.manager !== undefined) {
    if (typeof c.nsp !== "string") throw new Error("connect: nsp required with manager");
    const m = socketOf(c.manager);
    v2 = v2Sockets.has(m);
    socket = m.io.socket(c.nsp, fromWire(c.opts || {}));
  } else {
    if (typeof c.url !== "string") throw new Error("connect: url required");
    const opts = Object.assign({ forceNew: true }, fromWire(c.opts || {}));
    if (opts.parser === "msgpack") opts.parser = require("socket.io-msgpack-parser");
    if (c.fetch) opts.transports = [Fetch, NodeWebSocket];
    const lookup = v2 ? require("socket.io-client-v2") : io;
    socket = lookup(c.url, opts);
  }
  sockets.set(client, socket);
  if (v2) v2Sockets.add(socket);
  const manager = socket.io;
  let retries = typeof c.retryRefused === "number" ? c.retryRefused : 0;
  let attempt = 0;

  socket.on("connect", () => {
    const engine = manager.engine;
    out({ ev: "connect", client, id: socket.id, transport: engine && engine.transport ? engine.transport.name : undefined, recovered: socket.recovered === true, extensions: extensionsOf(engine && engine.transport) });
  });
  socket.on("connect_error", (err) => {
    out({ ev: "connect_error", client, message: err.message, data: toWire(err.data), type: err.type });
    if (retries > 0 && !socket.active) {
      retries--;
      socket.auth = Object.assign({}, socket.auth, { attempt: ++attempt });
      socket.connect();
    }
  });
  socket.on("disconnect", (reason, description) => {
    out({ ev: "disconnect", client, reason, description: describe(description) });
  });
  if (v2) watchV2(socket, client);
  else {
    socket.onAny((name, ...args) => {
      const ev = { ev: "event", client, name };
      if (args.length > 0 && typeof args[args.length - 1] === "function") {
        const ref = nextAckRef++;
        acks.set(ref, { client, fn: args.pop() });
        ev.ackRef = ref;
      }
      ev.args = toWire(args);
      out(ev);
    });
  }

  if (c.manager !== undefined) return; // its Manager is watched already
  // A Manager makes a new engine for every (re)connection attempt; watch each.
  manager.on("open", () => {
    const engine = manager.engine;
    if (engine) engine.on("upgrade", (transport) => out({ ev: "upgrade", client, transport: transport.name, extensions: extensionsOf(transport) }));
  });
  manager.on("reconnect_attempt", (attempt) => out({ ev: "reconnect_attempt", client, attempt }));
  manager.on("reconnect", (attempt) => out({ ev: "reconnect", client, attempt }));
  manager.on("reconnect_error", (err) => out({ ev: "reconnect_error", client, message: err && err.message }));
  manager.on("reconnect_failed", () => out({ ev: "reconnect_failed", client }));
}

// watchV2 reports the events of a 2.x socket, which has no onAny: its
// onevent, which gets every incoming EVENT packet, is replaced.
function watchV2(socket, client) {
  socket.onevent = function (packet) {
    const args = (packet.data || []).slice();
    const ev = { ev: "event", client, name: args.shift() };
    if (packet.id !== undefined && packet.id !== null) {
      const ref = nextAckRef++;
      acks.set(ref, { client, fn: this.ack(packet.id) });
      ev.ackRef = ref;
    }
    ev.args = toWire(args);
    out(ev);
  };
  socket.on("error", (data) => out({ ev: "socket_error", client, data: toWire(data) }));
}

function emit(c) {
  const client = c.client;
  let socket = socketOf(client);
  if (v2Sockets.has(socket) && (c.volatile || c.timeout)) throw new Error("emit: no volatile or timeout in socket.io-client 2.x");
  if (typeof c.name !== "string") throw new Error("emit: name required");
  const args = fromWire(Array.isArray(c.args) ? c.args : []);
  const ref = c.ref;
  if (c.volatile) socket = socket.volatile;
  if (typeof c.timeout === "number" && c.timeout > 0) {
    socket.timeout(c.timeout).emit(c.name, ...args, (err, ...res) => {
      if (err) out({ ev: "ack_error", client, ref, message: err.message });
      else out({ ev: "ack", client, ref, args: toWire(res) });
    });
  } else if (c.ack) {
    socket.emit(c.name, ...args, (...res) => out({ ev: "ack", client, ref, args: toWire(res) }));
  } else {
    socket.emit(c.name, ...args);
  }
}

function emitMany(c) {
  const socket = socketOf(c.client);
  if (typeof c.name !== "string") throw new Error("emit_many: name required");
  if (!Number.isInteger(c.count) || c.count < 0) throw new Error("emit_many: count must be a non-negative integer");
  const payload = typeof c.payload === "string" ? c.payload : "";
  for (let i = 0; i < c.count; i++) socket.emit(c.name, i, payload);
}

function ack(c) {
  const entry = acks.get(c.ackRef);
  if (!entry) throw new Error(`unknown ackRef ${JSON.stringify(c.ackRef)}`);
  if (c.client !== undefined && c.client !== entry.client) {
    throw new Error(`ackRef ${c.ackRef} belongs to client ${JSON.stringify(entry.client)}`);
  }
  acks.delete(c.ackRef);
  entry.fn(...fromWire(Array.isArray(c.args) ? c.args : []));
}

let exiting = false;
function exit() {
  if (exiting) return;
  exiting = true;
  for (const s of sockets.values()) {
    try {
      s.disconnect();
    } catch (e) {
      log("disconnect on exit:", e && e.message);
    }
  }
  // Let the disconnect packets leave: Node exits by itself once the last
  // connection is closed; the timer only bounds that wait.
  rl.close();
  process.stdin.destroy();
  setTimeout(() => process.exit(0), 2000).unref();
}

const handlers = {
  connect,
  emit,
  emit_many: emitMany,
  ack,
  disconnect: (c) => socketOf(c.client).disconnect(),
  connect_again: (c) => socketOf(c.client).connect(),
  close_transport: (c) => socketOf(c.client).io.engine.close(),
  move: (c) => { socketOf(c.client).io.uri = c.url; },
  exit,
};

function handle(line) {
  if (line.trim() === "") return;
  let c;
  try {
    c = JSON.parse(line);
  } catch (e) {
    out({ ev: "error", message: `bad command line: ${e.message}` });
    return;
  }
  const reply = { cmd: c.cmd, client: c.client, seq: c.seq, ref: c.ref };
  try {
    const h = Object.prototype.hasOwnProperty.call(handlers, c.cmd) ? handlers[c.cmd] : undefined;
    if (!h) throw new Error(`unknown command ${JSON.stringify(c.cmd)}`);
    h(c);
    out(Object.assign({ ev: "done" }, reply));
  } catch (e) {
    out(Object.assign({ ev: "error", message: e && e.message ? e.message : String(e) }, reply));
  }
}

process.on("uncaughtException", (e) => {
  log("uncaught:", e && e.stack ? e.stack : e);
  out({ ev: "error", message: `uncaught: ${e && e.message ? e.message : String(e)}` });
});

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", handle);
rl.on("close", exit);
