// webtransport.js: headless Chromium talks to a Socket.IO server over
// WebTransport (HTTP/3), for the Go tests of package webtransport
// (webtransport/browser_test.go), against a server the test started.
//
// The page at BASE_URL/ loads socket.io-client and connects to BASE_URL
// with the WebTransport server at 127.0.0.1:WT_PORT (UDP), trusting its
// self-signed certificate through serverCertificateHashes (CERT_HASH, the
// certificate's SHA-256 in hex). MODE "webtransport" connects with
// transports ["webtransport"]; MODE "upgrade" with ["polling",
// "webtransport"], and waits for the upgrade. Then:
//   - the page emits "hello" with text and bytes, and the server's ack
//     comes back with text and bytes;
//   - the page emits "ready"; the server answers with "push" (text and
//     bytes) and asks "question" with an ack, which the page answers with
//     text and bytes.
// The script prints one JSON line on stdout:
//   {"transport", "upgraded", "ack", "push", "question"}
// where bytes are arrays of numbers. It runs offline: every request that
// does not go to BASE_URL is aborted (WebTransport is not routed).
//
// Environment: BASE_URL, WT_PORT, CERT_HASH, MODE (all required),
// CHROMIUM (default /usr/bin/chromium).
"use strict";

const { chromium } = require("playwright-core");

const env = process.env;
const BASE = env.BASE_URL;
const MODE = env.MODE;
const CHROMIUM = env.CHROMIUM || "/usr/bin/chromium";

if (!BASE || !env.WT_PORT || !env.CERT_HASH || !["webtransport", "upgrade"].includes(MODE)) {
  console.error("webtransport.js: set BASE_URL, WT_PORT, CERT_HASH and MODE=webtransport|upgrade");
  process.exit(2);
}

// run is evaluated in the page.
async function run({ mode, port, hash }) {
  const bytes = (v) => Array.from(new Uint8Array(v));
  const socket = io({
    transports: mode === "upgrade" ? ["polling", "webtransport"] : ["webtransport"],
    transportOptions: {
      webtransport: {
        hostname: "127.0.0.1",
        port,
        serverCertificateHashes: [{ algorithm: "sha-256", value: new Uint8Array(hash) }],
      },
    },
  });
  const fail = (what) => new Promise((_, reject) => setTimeout(() => reject(new Error("timed out: " + what)), 10000));
  let upgraded = false;
  await Promise.race([fail("connect"), new Promise((resolve, reject) => {
    socket.on("connect", resolve);
    socket.on("connect_error", (err) => reject(new Error("connect_error: " + err.message)));
  })]);
  if (mode === "upgrade") {
    const engine = socket.io.engine;
    if (engine.transport.name !== "webtransport") {
      await Promise.race([fail("upgrade"), new Promise((resolve) => engine.once("upgrade", resolve))]);
    }
    upgraded = true;
  }
  socket.on("question", (text, data, ack) => ack("answer to " + text, new Uint8Array(bytes(data).reverse())));
  const push = new Promise((resolve) => socket.on("push", (text, data) => resolve([text, bytes(data)])));
  // emitWithAck resolves with the first argument only: a callback gets both.
  const [ackText, ackData] = await new Promise((resolve, reject) =>
    socket.timeout(10000).emit("hello", "from the page", new Uint8Array([1, 2, 3, 255]),
      (err, text, data) => (err ? reject(err) : resolve([text, data]))));
  socket.emit("ready");
  const pushed = await Promise.race([fail("push"), push]);
  const question = await Promise.race([fail("question"), new Promise((resolve) => socket.on("answered", resolve))]);
  const out = {
    transport: socket.io.engine.transport.name,
    upgraded,
    ack: [ackText, bytes(ackData)],
    push: pushed,
    question,
  };
  socket.disconnect();
  return out;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 30000,
  });
  try {
    const context = await browser.newContext();
    await context.route("**/*", (route) =>
      route.request().url().startsWith(BASE) ? route.continue() : route.abort());
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(BASE + "/", { timeout: 10000 });
    const hash = env.CERT_HASH.match(/../g).map((h) => parseInt(h, 16));
    const result = await page.evaluate(run, { mode: MODE, port: Number(env.WT_PORT), hash });
    if (errors.length) throw new Error("page errors: " + errors.join("; "));
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`webtransport.js [${MODE}] FAIL: ${err.stack || err}`);
  process.exitCode = 1;
});
