// compress.js: headless Chromium receives Socket.IO messages, for the Go
// tests of socket/browser_test.go (compression, and the msgpack bundle),
// against a server the test started.
//
// The page at BASE_URL/ loads socket.io-client and connects over TRANSPORT;
// the server's "ready" handler then broadcasts "big" (compressed) and
// "plain" (Compress(false)) with the same text, and the page echoes it
// back with an ack. The script prints one JSON line on stdout:
//   {"transport":..., "extensions":..., "big":..., "plain":..., "echoed":...}
// where extensions is the page's WebSocket.extensions ("" on polling).
// It runs offline: every request that does not go to BASE_URL is aborted.
//
// Environment: BASE_URL (required), TRANSPORT "websocket" or "polling"
// (required), CHROMIUM (default /usr/bin/chromium).
"use strict";

const { chromium } = require("playwright-core");

const BASE = process.env.BASE_URL;
const TRANSPORT = process.env.TRANSPORT;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

if (!BASE || !["websocket", "polling"].includes(TRANSPORT)) {
  console.error("compress.js: set BASE_URL and TRANSPORT=websocket|polling");
  process.exit(2);
}

// run is evaluated in the page.
async function run(transport) {
  const opts = transport === "websocket" ? { transports: ["websocket"] } : { transports: ["polling"], upgrade: false };
  const socket = io(opts);
  await new Promise((resolve, reject) => {
    socket.on("connect", resolve);
    socket.on("connect_error", (err) => reject(new Error("connect_error: " + err.message)));
  });
  const got = {};
  const both = new Promise((resolve) => {
    const on = (name) => socket.on(name, (data) => {
      got[name] = data;
      if ("big" in got && "plain" in got) resolve();
    });
    on("big");
    on("plain");
  });
  socket.emit("ready");
  await both;
  const echoed = await socket.timeout(10000).emitWithAck("echo", got.big);
  const t = socket.io.engine.transport;
  const out = { transport: t.name, extensions: t.ws ? t.ws.extensions : "", big: got.big, plain: got.plain, echoed };
  socket.disconnect();
  return out;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
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
    const result = await page.evaluate(run, TRANSPORT);
    if (errors.length) throw new Error("page errors: " + errors.join("; "));
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`compress.js [${TRANSPORT}] FAIL: ${err.stack || err}`);
  process.exitCode = 1;
});
