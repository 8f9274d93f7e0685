// chat.js: the browser scenario of examples/chat, run by its Go test
// (examples/chat/browser_test.go) against a server the test started.
//
// It drives the system's Chromium through playwright-core; it never
// downloads a browser, and it aborts every request that does not go to the
// server under test, so it runs offline.
//
// Environment:
//   BASE_URL    the chat server, e.g. http://127.0.0.1:PORT (required)
//   TRANSPORT   "websocket" or "polling": the page's ?transport= (required)
//   SCREENSHOT  where to save a PNG of the chat page, as Bob sees it (optional)
//   CHROMIUM    the browser executable (default /usr/bin/chromium)
//
// It prints one line per step on stdout and exits 0 when the whole
// scenario passed; on failure it prints the error, saves a screenshot of
// every page next to SCREENSHOT, and exits 1.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const BASE = process.env.BASE_URL;
const TRANSPORT = process.env.TRANSPORT;
const SCREENSHOT = process.env.SCREENSHOT || "";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const TIMEOUT = 10000;

if (!BASE || !["websocket", "polling"].includes(TRANSPORT)) {
  console.error("chat.js: set BASE_URL and TRANSPORT=websocket|polling");
  process.exit(2);
}

const pages = {}; // name -> Page, for failure screenshots
const problems = []; // page errors and failed requests

const started = Date.now();

function step(text) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[${TRANSPORT} ${s}s] ${text}\n`);
}

// newUser opens a browser of its own (a context: its own storage) for a
// user. With noClient, the server's socket.io-client bundle fails to load,
// as when it is not installed and the CDN is unreachable.
async function newUser(browser, name, { noClient = false } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(TIMEOUT);
  // Offline: nothing but the server under test.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (noClient && url.startsWith(`${BASE}/socket.io/socket.io.min.js`)) return route.abort();
    if (url.startsWith(BASE)) return route.continue();
    problems.push(`${name}: blocked request to ${url}`);
    return route.abort();
  });
  const page = await context.newPage();
  watch(page, name, { failedLoads: noClient });
  return { context, page, name };
}

// newTab opens another tab in the browser of user, for the user called
// name: tabs share cookies and localStorage, not sessionStorage.
async function newTab(user, name, label) {
  const page = await user.context.newPage();
  watch(page, label);
  return { context: user.context, page, name };
}

// watch records the page's errors as problems; with failedLoads, a
// resource that fails to load is expected.
function watch(page, name, { failedLoads = false } = {}) {
  pages[name] = page;
  page.on("pageerror", (err) => problems.push(`${name}: page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (failedLoads && msg.text().startsWith("Failed to load resource")) return;
    problems.push(`${name}: console error: ${msg.text()}`);
  });
}

function pageURL(hash = "") {
  return `${BASE}/?transport=${TRANSPORT}${hash}`;
}

// expectText waits until the element's text contains want.
async function expectText(page, selector, want) {
  await page.locator(selector).filter({ hasText: want }).first().waitFor();
}

async function expectConnected(page) {
  await page.waitForSelector('#status[data-state="connected"]');
  const status = await page.textContent("#status-text");
  if (!status.includes(TRANSPORT)) throw new Error(`status says "${status}", want the ${TRANSPORT} transport`);
}

async function login(user) {
  await user.page.goto(pageURL());
  step(`${user.name} opened the page`);
  await user.page.fill("#login-name", user.name);
  await user.page.press("#login-name", "Enter");
  await expectText(user.page, "#me", user.name);
  await expectConnected(user.page);
  step(`${user.name} logged in over ${TRANSPORT}`);
}

async function session(page) {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem("envivo.chat.session")));
}

async function messages(page) {
  return page.$$eval("#messages .message", (els) =>
    els.map((e) => ({ author: e.querySelector(".meta b").textContent, content: e.querySelector(".content").textContent }))
  );
}

async function expectMessages(page, want, who) {
  const wanted = JSON.stringify(want);
  try {
    await page.waitForFunction(
      (wanted) =>
        JSON.stringify(
          [...document.querySelectorAll("#messages .message")].map((e) => ({
            author: e.querySelector(".meta b").textContent,
            content: e.querySelector(".content").textContent,
          }))
        ) === wanted,
      wanted
    );
  } catch (err) {
    throw new Error(`${who} shows messages ${JSON.stringify(await messages(page))}, want ${wanted}`);
  }
}

async function composerReady(page) {
  await page.waitForSelector("#message-input:not([disabled])");
}

async function scenario(browser) {
  await withoutClient(browser);
  const alice = await newUser(browser, "Alice");
  const bob = await newUser(browser, "Bob");

  await login(alice);
  await login(bob);

  // Alice creates a room, which she joins, and invites Bob.
  await alice.page.fill("#new-room-name", "general");
  await alice.page.press("#new-room-name", "Enter");
  await expectText(alice.page, "#room-title", "# general");
  await composerReady(alice.page);
  await expectText(alice.page, "#messages .notice", "No messages yet");
  const roomId = decodeURIComponent(new URL(alice.page.url()).hash.replace(/^#room=/, ""));
  step(`Alice created room ${roomId}`);

  await alice.page.fill("#invite-name", "Bob");
  await alice.page.press("#invite-name", "Enter");
  await expectText(alice.page, "#room-members", "Alice, Bob");
  step("Alice invited Bob");

  // Bob is notified, sees the room in his list, and joins it.
  await expectText(bob.page, "#notifications .notification", "Alice invited you to general");
  await bob.page.click(`#rooms a[data-room-id="${roomId}"]`);
  await expectText(bob.page, "#room-title", "# general");
  await composerReady(bob.page);
  await expectText(alice.page, "#messages .notice", "Bob joined");
  step("Bob joined; Alice saw the notice");

  // Bob types: Alice sees the indicator; his message reaches both.
  await bob.page.type("#message-input", "Hello Alice", { delay: 20 });
  await expectText(alice.page, "#typing", "Bob is typing");
  step("Alice saw Bob typing");
  await bob.page.type("#message-input", ", how are you?");
  await bob.page.press("#message-input", "Enter");
  let want = [{ author: "Bob", content: "Hello Alice, how are you?" }];
  await expectMessages(alice.page, want, "Alice");
  await expectMessages(bob.page, want, "Bob");
  await alice.page.waitForFunction(() => document.getElementById("typing").textContent === "");
  step("Bob's message appeared for both; the indicator went away");

  await alice.page.fill("#message-input", "Fine, thanks! <b>not bold</b>");
  await alice.page.press("#message-input", "Enter");
  want = [...want, { author: "Alice", content: "Fine, thanks! <b>not bold</b>" }];
  await expectMessages(bob.page, want, "Bob");
  await expectMessages(alice.page, want, "Alice");
  step("Alice's answer appeared for both, as text");

  // A reload rejoins the room from the URL and shows the history.
  await bob.page.reload();
  await expectConnected(bob.page);
  await composerReady(bob.page);
  await expectMessages(bob.page, want, "Bob after a reload");
  await expectText(alice.page, "#messages .notice", "Bob left");
  await expectText(bob.page, "#notifications .notification", "Alice invited you to general");
  if ((await session(bob.page)).user.name !== "Bob") throw new Error("the reload lost Bob's session");
  step("Bob reloaded, still logged in, and saw the history and his notification");

  // Carol logs in in a new tab of Alice's browser: the session is per tab,
  // so the tab starts at the login form and Alice's tab stays Alice's.
  const carol = await newTab(alice, "Carol", "Carol");
  await carol.page.goto(pageURL());
  await carol.page.waitForSelector("#login-view:not([hidden])");
  await login(carol);
  for (const [page, name] of [[alice.page, "Alice"], [carol.page, "Carol"]]) {
    const s = await session(page);
    if (s.user.name !== name || (await page.textContent("#me")) !== name) {
      throw new Error(`${name}'s tab holds the session of ${s.user.name}`);
    }
  }
  step("Carol logged in in a tab of Alice's browser; Alice's tab is still hers");

  // Carol is no member: she is refused and sees nothing.
  await carol.page.goto(pageURL(`#room=${encodeURIComponent(roomId)}`));
  await expectText(carol.page, "#room-error", "you are not a member of this room");
  if ((await messages(carol.page)).length !== 0) throw new Error("Carol sees messages of a room she is not in");
  if (!(await carol.page.isDisabled("#message-input"))) throw new Error("Carol's composer is enabled");
  step("Carol was refused");

  // A notification posted to the HTTP endpoint reaches Bob, in each of his
  // tabs, and no one else.
  const bobTab = await newTab(bob, "Bob", "Bob (2nd tab)");
  await login(bobTab); // a new tab has no session yet
  const bob2 = bobTab.page;
  const sender = await session(alice.page);
  const target = await session(bob.page);
  const res = await fetch(`${BASE}/api/notifications`, {
    method: "POST",
    headers: { Authorization: `Bearer ${sender.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ userId: target.user.id, type: "success", title: "Deploy finished", message: "v1.2 is live" }),
  });
  if (res.status !== 202) throw new Error(`POST /api/notifications: ${res.status} ${await res.text()}`);
  for (const [who, page] of [["Bob", bob.page], ["Bob's 2nd tab", bob2]]) {
    await expectText(page, "#notifications .notification.success", "Deploy finished");
    step(`${who} got the notification`);
  }
  await alice.page.waitForTimeout(500);
  for (const [who, page] of [["Alice", alice.page], ["Carol", carol.page]]) {
    const texts = await page.$$eval("#notifications .notification", (els) => els.map((e) => e.textContent));
    if (texts.some((t) => t.includes("Deploy finished"))) throw new Error(`${who} got Bob's notification`);
  }
  step("Alice and Carol did not");

  // The screenshot: Bob's page, with the history, his notifications, and
  // Alice typing.
  if (SCREENSHOT) {
    await bob.page.bringToFront();
    await alice.page.type("#message-input", "Typing a reply", { delay: 10 });
    await expectText(bob.page, "#typing", "Alice is typing");
    await bob.page.screenshot({ path: SCREENSHOT });
    step(`screenshot: ${SCREENSHOT}`);
  }

  await leave(alice, bob, bob2, roomId);
  await bob.page.waitForTimeout(200);
  if (problems.length) throw new Error("problems in the pages:\n  " + problems.join("\n  "));
}

// leave: Bob leaves the room for good. It leaves his list, in both his
// tabs, and stays gone after a reload; Alice sees him leave and the member
// list without him.
async function leave(alice, bob, bob2, roomId) {
  const link = `#rooms a[data-room-id="${roomId}"]`;
  await bob.page.click("#leave");
  await bob.page.waitForSelector("#placeholder:not([hidden])");
  for (const page of [bob.page, bob2]) await page.waitForSelector(link, { state: "detached" });
  await expectText(alice.page, "#messages .notice", "Bob left the room");
  await alice.page.waitForFunction(() => document.getElementById("room-members").textContent === "Alice");
  step("Bob left the room: gone from both his tabs; Alice saw him leave");
  await bob.page.reload();
  await expectConnected(bob.page);
  await bob.page.waitForSelector("#no-rooms:not([hidden])");
  if (await bob.page.$(link)) throw new Error("the room is back in Bob's list after a reload");
  step("after a reload, the room is still gone from Bob's list");
}

// withoutClient: when socket.io-client does not load, the page says so on
// the login form, and again once logged in, instead of "connecting…".
async function withoutClient(browser) {
  const dave = await newUser(browser, "Dave", { noClient: true });
  await dave.page.goto(pageURL());
  await expectText(dave.page, "#login-error", "socket.io-client did not load");
  step("without socket.io-client, the login form says so");
  await dave.page.fill("#login-name", dave.name);
  await dave.page.press("#login-name", "Enter");
  await expectText(dave.page, "#me", dave.name);
  await dave.page.waitForSelector('#status[data-state="error"]');
  await expectText(dave.page, "#status-text", "socket.io-client did not load");
  step("once logged in, the status bar says so");
  await dave.context.close();
  delete pages.Dave;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright-core starts Chromium with a fresh temporary profile
    // (--user-data-dir) of its own, deleted on close.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 30000,
  });
  step(`Chromium ${browser.version()} started`);
  try {
    await scenario(browser);
    step("PASS");
  } catch (err) {
    console.error(`[${TRANSPORT}] FAIL: ${err.stack || err}`);
    if (problems.length) console.error("problems in the pages:\n  " + problems.join("\n  "));
    const dir = SCREENSHOT ? path.dirname(SCREENSHOT) : os.tmpdir();
    for (const [name, page] of Object.entries(pages)) {
      const file = path.join(dir, `failure-${TRANSPORT}-${name.replace(/\W+/g, "-")}.png`);
      try {
        fs.mkdirSync(dir, { recursive: true });
        await page.screenshot({ path: file, timeout: 3000 });
        console.error(`screenshot of ${name}: ${file}`);
      } catch {}
    }
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main();
