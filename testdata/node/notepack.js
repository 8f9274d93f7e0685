// notepack.js: encodes and decodes MessagePack with notepack.io (the codec of
// @socket.io/redis-adapter), for the Go tests of internal/msgpack.
//
// Reads one JSON array of cases on stdin and writes one JSON array of results
// on stdout, in order:
//   {"op":"encode","value":V} -> {"hex":"..."}   V is JSON; {"$bin":"<base64>"}
//                                                  anywhere becomes a Buffer
//   {"op":"decode","hex":"..."} -> {"json":"..."} JSON.stringify(decode(bytes)),
//                                                  or {"error":"..."}
// and with socket.io-msgpack-parser, for internal/msgpack's packet codec:
//   {"op":"packet_encode","value":P} -> {"hex":"..."}  new Encoder().encode(P)
//   {"op":"packet_decode","hex":"..."} -> {"json":"..."} the packet that
//       new Decoder().add(bytes) emits, binary data as {"$bin"}, or {"error":"..."}
"use strict";

const { encode, decode } = require("notepack.io");
const msgpackParser = require("socket.io-msgpack-parser");
const { fromWire, toWire } = require("./wire");

function packetDecode(hex) {
  const d = new msgpackParser.Decoder();
  let packet;
  d.on("decoded", (p) => (packet = p));
  d.add(Buffer.from(hex, "hex"));
  return { json: JSON.stringify(toWire(packet)) };
}


function run(c) {
  try {
    if (c.op === "encode") return { hex: encode(fromWire(c.value)).toString("hex") };
    if (c.op === "decode") return { json: JSON.stringify(decode(Buffer.from(c.hex, "hex"))) };
    if (c.op === "packet_encode") {
      return { hex: Buffer.from(new msgpackParser.Encoder().encode(fromWire(c.value))[0]).toString("hex") };
    }
    if (c.op === "packet_decode") return packetDecode(c.hex);
    return { error: `unknown op ${c.op}` };
  } catch (e) {
    return { error: e.message };
  }
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  process.stdout.write(JSON.stringify(JSON.parse(input).map(run)) + "\n");
});
