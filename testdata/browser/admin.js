// admin.js: the admin UI scenario of package admin, run by its Go test
// (admin/browser_test.go) against servers the test started.
//
// It opens the UI of @socket.io/admin-ui (its ui/dist, served by the test
// from testdata/node/node_modules) in the system's Chromium through
// playwright-core, logs in to the Socket.IO server, checks that the
// dashboard counts the connected clients and that the sockets page lists
// the expected sockets, then disconnects one of them from the UI. Every
// request that goes neither to the UI nor to the servers (the UI's web
// fonts and icons from CDNs) is aborted: it runs offline.
//
// Environment:
//   UI_URL       where the UI is served, e.g. http://127.0.0.1:PORT/ (required)
//   SERVER_URL   the Socket.IO server the UI logs in to (required)
//   ALLOWED      other origins the page may reach, comma-separated (optional)
//   USERNAME, PASSWORD  the UI's credentials (required)
//   CLIENTS      the number of clients the dashboard must show (required)
//   SERVERS      the number of servers the servers page must show (default 1)
//   SOCKETS      the ids of the sockets of "/" that must be listed, comma-separated (required)
//   DISCONNECT   the id of the socket to disconnect from the UI (required)
//   SCREENSHOT   where to save PNGs; "-dashboard" and "-sockets" are inserted
//                before the extension (optional)
//   CHROMIUM     the browser executable (default /usr/bin/chromium)
//
// It prints one line per step and exits 0 when the scenario passed; on
// failure it prints the error, saves a screenshot next to SCREENSHOT and
// exits 1.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const env = process.env;
const UI = (env.UI_URL || "").replace(/\/$/, "");
const SERVER = env.SERVER_URL || "";
const SOCKETS = (env.SOCKETS || "").split(",").filter(Boolean);
const CLIENTS = Number(env.CLIENTS);
const SERVERS = Number(env.SERVERS || 1);
const SCREENSHOT = env.SCREENSHOT || "";
const CHROMIUM = env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = 10000;

if (!UI || !SERVER || !env.USERNAME || !env.DISCONNECT || !SOCKETS.length || !CLIENTS) {
  console.error("admin.js: set UI_URL, SERVER_URL, USERNAME, PASSWORD, CLIENTS, SOCKETS and DISCONNECT");
  process.exit(2);
}
const allowed = [UI, SERVER, ...(env.ALLOWED || "").split(",").filter(Boolean)].map((u) => new URL(u).origin);

const started = Date.now();
const problems = [];
let page;

function step(text) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[admin ${s}s] ${text}\n`);
}

function shot(suffix) {
  if (!SCREENSHOT) return null;
  const ext = path.extname(SCREENSHOT);
  return SCREENSHOT.slice(0, SCREENSHOT.length - ext.length) + suffix + ext;
}

async function save(suffix) {
  const file = shot(suffix);
  if (!file) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  step(`screenshot: ${file}`);
}

// text waits until the page's text matches re, and returns the match.
async function text(re, what) {
  try {
    await page.waitForFunction((src) => new RegExp(src).test(document.body.innerText), re.source, { timeout: TIMEOUT });
  } catch (err) {
    throw new Error(`${what}: no text matching ${re} in:\n${await page.evaluate(() => document.body.innerText)}`);
  }
  return (await page.evaluate(() => document.body.innerText)).match(re);
}

async function scenario(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (allowed.includes(url.origin)) return route.continue();
    return route.abort(); // web fonts and icons from CDNs
  });
  page = await context.newPage();
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));

  await page.goto(`${UI}/`);
  step("opened the UI");
  await page.getByLabel("Server URL").fill(SERVER);
  await page.getByLabel("Username").fill(env.USERNAME);
  await page.getByLabel("Password").fill(env.PASSWORD || "");
  await page.getByRole("button", { name: "Connect" }).click();
  await text(/CONNECTED/i, "after login");
  step("logged in");

  // The dashboard counts the clients by transport, and the servers.
  const counts = async () => {
    const body = await page.evaluate(() => document.body.innerText);
    const n = (re) => Number((body.match(re) || [])[1] || 0);
    return { clients: n(/WebSocket\s+(\d+)/) + n(/HTTP long-polling\s+(\d+)/), servers: n(/HEALTHY\s+(\d+)/) };
  };
  const deadline = Date.now() + TIMEOUT;
  let c = await counts();
  while ((c.clients !== CLIENTS || c.servers !== SERVERS) && Date.now() < deadline) {
    await page.waitForTimeout(200);
    c = await counts();
  }
  if (c.clients !== CLIENTS || c.servers !== SERVERS) {
    throw new Error(`the dashboard shows ${c.clients} clients on ${c.servers} servers, want ${CLIENTS} on ${SERVERS}`);
  }
  step(`the dashboard shows ${CLIENTS} clients on ${SERVERS} server(s)`);
  await page.waitForTimeout(1000); // the charts' animation
  await save("-dashboard");

  // The sockets page lists the sockets of "/".
  await page.getByRole("link", { name: "Sockets" }).click();
  const row = (id) => page.locator("tbody tr").filter({ has: page.locator("td", { hasText: new RegExp(`^${id}$`) }) });
  for (const id of SOCKETS) await row(id).waitFor();
  await text(new RegExp(`1-${SOCKETS.length} of ${SOCKETS.length}\\b`), "the sockets page's count");
  step(`the sockets page lists ${SOCKETS.join(", ")}`);
  await save("-sockets");

  // Its disconnect button disconnects one, and only that one.
  // (The click reaches the row too, which opens the socket's details.)
  await row(env.DISCONNECT).locator("button:has(.mdi-logout)").click();
  await page.getByRole("link", { name: "Sockets" }).first().click();
  await row(env.DISCONNECT).waitFor({ state: "detached" });
  for (const id of SOCKETS) if (id !== env.DISCONNECT) await row(id).waitFor();
  step(`disconnected ${env.DISCONNECT} from the UI`);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    timeout: 30000,
  });
  step(`Chromium ${browser.version()} started`);
  try {
    await scenario(browser);
    if (problems.length) throw new Error("problems in the page:\n  " + problems.join("\n  "));
    step("PASS");
  } catch (err) {
    console.error(`FAIL: ${err.stack || err}`);
    if (page) {
      const file = path.join(SCREENSHOT ? path.dirname(SCREENSHOT) : os.tmpdir(), "failure-admin.png");
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await page.screenshot({ path: file, fullPage: true, timeout: 3000 });
        console.error(`screenshot: ${file}`);
      } catch {}
    }
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main();
