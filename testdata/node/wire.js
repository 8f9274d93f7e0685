// The JSON form in which the JS peers exchange values with the Go tests:
// binary data (Buffer, ArrayBuffer, typed arrays) travels as
// {"$bin":"<base64>"} at any depth.
"use strict";

// toWire turns a value into its JSON-ready form.
function toWire(v) {
  if (Buffer.isBuffer(v)) return { $bin: v.toString("base64") };
  if (v instanceof ArrayBuffer) return { $bin: Buffer.from(v).toString("base64") };
  if (ArrayBuffer.isView(v)) {
    return { $bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  }
  if (Array.isArray(v)) return v.map(toWire);
  if (v !== null && typeof v === "object" && typeof v.toJSON !== "function") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = toWire(v[k]);
    return o;
  }
  return v;
}

// fromWire turns the JSON form back into values, {"$bin"} into Buffers.
function fromWire(v) {
  if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map(fromWire);
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "$bin" && typeof v.$bin === "string") {
      return Buffer.from(v.$bin, "base64");
    }
    const o = {};
    for (const k of keys) o[k] = fromWire(v[k]);
    return o;
  }
  return v;
}

module.exports = { toWire, fromWire };
