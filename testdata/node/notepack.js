// notepack.js: encodes and decodes MessagePack with notepack.io (the codec of
// @socket.io/redis-adapter), for the Go tests of internal/msgpack.
//
// Reads one JSON array of cases on stdin and writes one JSON array of results
// on stdout, in order:
//   {"op":"encode","value":V} -> {"hex":"..."}   V is JSON; {"$bin":"<base64>"}
//                                                  anywhere becomes a Buffer
//   {"op":"decode","hex":"..."} -> {"json":"..."} JSON.stringify(decode(bytes)),
//                                                  or {"error":"..."}
"use strict";

const { encode, decode } = require("notepack.io");
const { fromWire } = require("./wire");


function run(c) {
  try {
    if (c.op === "encode") return { hex: encode(fromWire(c.value)).toString("hex") };
    if (c.op === "decode") return { json: JSON.stringify(decode(Buffer.from(c.hex, "hex"))) };
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
