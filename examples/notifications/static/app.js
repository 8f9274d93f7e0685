// The notifications page: log in, receive notifications on /notifications,
// send them through POST /api/notifications. Plain JavaScript.
// ?transport=websocket|polling forces a transport.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = "envivo.notifications.session";
  let session = null;
  let socket = null;

  function transportOptions() {
    const t = new URLSearchParams(location.search).get("transport");
    if (t === "websocket") return { transports: ["websocket"] };
    if (t === "polling") return { transports: ["polling"], upgrade: false };
    return {};
  }

  async function post(path, body) {
    const headers = { "Content-Type": "application/json" };
    if (session) headers.Authorization = "Bearer " + session.token;
    const res = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  function status(state, text) {
    $("status").dataset.state = state;
    $("status").textContent = text;
  }

  function start() {
    $("login-form").hidden = true;
    $("app").hidden = false;
    $("me").textContent = session.user.name;
    $("my-id").textContent = session.user.id;
    $("to").value = session.user.id;
    $("curl").textContent =
      `curl -X POST ${location.origin}/api/notifications \\\n` +
      `  -H "Authorization: Bearer ${session.token}" \\\n` +
      `  -H "Content-Type: application/json" \\\n` +
      `  -d '{"userId":"${session.user.id}","type":"success","title":"Hello","message":"from curl"}'`;

    socket = io("/notifications", { auth: { token: session.token }, ...transportOptions() });
    socket.on("connect", () => {
      status("connected", "connected · " + socket.io.engine.transport.name);
      socket.io.engine.once("upgrade", (t) => status("connected", "connected · " + t.name));
    });
    socket.on("disconnect", (reason) => status("connecting", "disconnected (" + reason + "), reconnecting…"));
    socket.on("connect_error", (err) => {
      if (err.data && err.data.code) logout("Please log in again (" + err.message + ").");
      else status("error", "cannot connect: " + err.message);
    });
    socket.on("notification", (n) => {
      const li = document.createElement("li");
      li.className = "notification " + n.type;
      li.dataset.id = n.id;
      const title = document.createElement("strong");
      title.textContent = n.title;
      const message = document.createElement("span");
      message.textContent = n.message;
      li.append(title, message);
      $("notifications").prepend(li);
      $("none").hidden = true;
    });
  }

  function logout(reason) {
    localStorage.removeItem(KEY);
    session = null;
    if (socket) socket.disconnect();
    socket = null;
    $("app").hidden = true;
    $("login-form").hidden = false;
    $("login-error").textContent = reason || "";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        session = await post("/api/login", { name: $("login-name").value });
        localStorage.setItem(KEY, JSON.stringify(session));
        start();
      } catch (err) {
        $("login-error").textContent = err.message;
      }
    });
    $("logout").addEventListener("click", () => logout());
    $("send-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const res = await post("/api/notifications", {
          userId: $("to").value.trim(),
          type: $("type").value,
          title: $("title").value,
          message: $("message").value,
        });
        $("send-result").textContent = `sent to ${res.sockets} socket(s)`;
      } catch (err) {
        $("send-result").textContent = err.message;
      }
    });
    if (typeof io !== "function") {
      $("login-error").textContent = "socket.io-client did not load: run `cd testdata/node && npm ci`, or check your internet access (CDN).";
      return;
    }
    try {
      session = JSON.parse(localStorage.getItem(KEY));
    } catch {}
    if (session && session.token) start();
  });
})();
