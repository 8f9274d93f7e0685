// The chat page: plain JavaScript, no build step. It talks to the JSON API
// (fetch) and to socket.io: the chat on the main namespace, notifications on
// /notifications, both over one connection.
//
// ?transport=websocket or ?transport=polling forces a transport (the
// browser tests use it); by default socket.io-client starts with
// long-polling and upgrades to WebSocket. The current room is kept in the
// URL (#room=<id>), so a reload rejoins it and shows its history.
//
// The socket.io events are checked against events.d.ts, which
// cmd/socketio-ts writes from the Go declarations (go generate); a test
// runs tsc over this file.
// @ts-check
"use strict";

/**
 * @typedef {import("./events").ServerToClientEvents} ServerToClientEvents
 * @typedef {import("./events").ClientToServerEvents} ClientToServerEvents
 * @typedef {import("socket.io-client").Socket<ServerToClientEvents, ClientToServerEvents>} ChatSocket
 */

(() => {
  /** @type {(id: string) => any} the page's elements, inputs among them */
  const $ = (id) => document.getElementById(id);
  const SESSION_KEY = "envivo.chat.session";
  const TYPING_EVERY = 2000; // ms between two chat:typing from this page
  const TYPING_SHOWN = 3000; // ms a typing notice stays up

  const state = {
    session: null, // {token, user}
    /** @type {ChatSocket | null} */
    chat: null, // socket on "/"
    /** @type {ChatSocket | null} */
    notes: null, // socket on "/notifications"
    rooms: [],
    roomId: null, // the room shown
    joined: null, // the room the chat socket has joined
    names: new Map(), // user id -> name
    unread: new Map(), // room id -> count
    lastTyping: 0,
    typingTimers: new Map(), // user id -> timeout
  };

  // ---- helpers

  function el(tag, props = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === "class") e.className = v;
      else if (k === "dataset") Object.assign(e.dataset, v);
      else e[k] = v;
    }
    for (const c of children) e.append(c);
    return e;
  }

  function toast(text, kind = "") {
    const t = el("div", { class: "toast " + kind, textContent: text });
    $("toasts").append(t);
    setTimeout(() => t.remove(), kind === "error" ? 6000 : 3500);
  }

  // colorOf picks a user's avatar color from their id (FNV-1a hash).
  const PALETTE = ["#4f46e5", "#db2777", "#059669", "#d97706", "#0891b2", "#7c3aed", "#dc2626", "#65a30d", "#2563eb", "#c026d3"];
  function colorOf(id) {
    let h = 0x811c9dc5;
    for (const c of String(id)) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    return PALETTE[h % PALETTE.length];
  }

  function avatar(id, name) {
    const a = el("span", { class: "avatar", textContent: (name || "?").slice(0, 1).toUpperCase() });
    a.style.background = colorOf(id);
    return a;
  }

  function nameOf(id, fallback) {
    return state.names.get(id) || fallback || "someone";
  }

  function timeOf(iso) {
    const d = new Date(iso);
    return isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function transportOptions() {
    const t = new URLSearchParams(location.search).get("transport");
    if (t === "websocket") return { transports: ["websocket"] };
    if (t === "polling") return { transports: ["polling"], upgrade: false };
    return {};
  }

  function roomFromHash() {
    const m = /^#room=(.+)$/.exec(location.hash);
    return m ? decodeURIComponent(m[1]) : null;
  }

  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (state.session) headers.Authorization = "Bearer " + state.session.token;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (res.status === 401 && state.session) {
      logout(data.error || "Please log in again.");
    }
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  // ---- session

  function loadSession() {
    try {
      return JSON.parse(localStorage.getItem(SESSION_KEY));
    } catch {
      return null;
    }
  }

  async function login(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      const data = await api("POST", "/api/login", { name: $("login-name").value });
      state.session = { token: data.token, user: data.user };
      localStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
      start();
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  }

  function logout(reason) {
    localStorage.removeItem(SESSION_KEY);
    state.session = null;
    for (const s of [state.chat, state.notes]) if (s) s.disconnect();
    state.chat = state.notes = null;
    state.joined = null;
    $("app-view").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = typeof reason === "string" ? reason : "";
    $("login-name").focus();
  }

  // ---- sockets

  function connect() {
    const opts = { auth: { token: state.session.token }, ...transportOptions() };
    /** @type {ChatSocket} */
    const chat = (state.chat = io(opts));
    /** @type {ChatSocket} */
    const notes = (state.notes = io("/notifications", opts));

    chat.on("connect", () => {
      setStatus("connected", "connected · " + chat.io.engine.transport.name);
      chat.io.engine.once("upgrade", (t) => setStatus("connected", "connected · " + t.name));
      state.joined = null;
      if (state.roomId) chat.emit("chat:join", { roomId: state.roomId });
    });
    chat.on("disconnect", (reason) => {
      setStatus("connecting", "disconnected (" + reason + "), reconnecting…");
      setComposer(false);
    });
    for (const s of [chat, notes]) {
      s.on("connect_error", (err) => {
        const code = err.data && err.data.code;
        if (["missing_token", "invalid_token", "expired_token", "unknown_user"].includes(code)) {
          logout("Your session ended (" + err.message + "): please log in again.");
        } else {
          setStatus("error", "cannot connect: " + err.message);
        }
      });
    }

    chat.on("chat:joined", ({ roomId }) => {
      state.joined = roomId;
      if (roomId !== state.roomId) return;
      $("room-error").hidden = true;
      setComposer(true);
      $("message-input").focus();
    });
    chat.on("chat:history", (messages) => {
      // History follows chat:joined; drop that of a room left since.
      if (state.joined !== state.roomId) return;
      $("messages").replaceChildren();
      for (const m of messages) addMessage(m);
      if (!messages.length) addNotice("No messages yet. Say hello!", "empty");
    });
    chat.on("chat:message", (m) => {
      state.names.set(m.author.id, m.author.name);
      if (m.roomId === state.roomId) {
        clearTyping(m.author.id);
        addMessage(m);
      } else {
        state.unread.set(m.roomId, (state.unread.get(m.roomId) || 0) + 1);
        renderRooms();
      }
    });
    chat.on("chat:userJoined", ({ userId, email, timestamp }) => {
      addNotice(`${nameOf(userId, email)} joined · ${timeOf(timestamp)}`);
    });
    chat.on("chat:userLeft", ({ userId }) => {
      clearTyping(userId);
      addNotice(`${nameOf(userId)} left`);
    });
    chat.on("chat:typing", ({ roomId, userId, name }) => {
      if (roomId !== state.roomId) return;
      state.names.set(userId, name);
      clearTimeout(state.typingTimers.get(userId));
      state.typingTimers.set(userId, setTimeout(() => clearTyping(userId), TYPING_SHOWN));
      renderTyping();
    });
    chat.on("error", ({ message }) => {
      if (/^chat:join: /.test(message)) {
        showRoomError(message.replace(/^chat:join: /, ""));
      } else {
        toast(message, "error");
      }
    });

    notes.on("notification", (n) => {
      addNotification(n);
      toast(n.title + ": " + n.message);
      loadRooms(); // an invitation adds a room
    });
  }

  function setStatus(kind, text) {
    $("status").dataset.state = kind;
    $("status-text").textContent = text;
  }

  function setComposer(enabled) {
    $("message-input").disabled = !enabled;
    $("composer").querySelector("button").disabled = !enabled;
  }

  // ---- rooms

  async function loadRooms() {
    try {
      const data = await api("GET", "/api/rooms");
      state.rooms = data.rooms;
      for (const r of state.rooms) for (const m of r.members) state.names.set(m.id, m.name);
      renderRooms();
      renderRoomHead();
    } catch (err) {
      if (state.session) toast("Cannot load rooms: " + err.message, "error");
    }
  }

  function renderRooms() {
    const list = $("rooms");
    list.replaceChildren();
    for (const r of state.rooms) {
      const a = el("a", { href: "#room=" + encodeURIComponent(r.id), dataset: { roomId: r.id } }, el("span", { textContent: "# " + r.name }));
      if (r.id === state.roomId) a.classList.add("active");
      const n = state.unread.get(r.id);
      if (n) a.append(el("span", { class: "unread", textContent: String(n) }));
      list.append(el("li", {}, a));
    }
    $("no-rooms").hidden = state.rooms.length > 0;
  }

  function renderRoomHead() {
    const r = state.rooms.find((r) => r.id === state.roomId);
    $("room-title").textContent = r ? "# " + r.name : "Room";
    $("room-members").textContent = r ? r.members.map((m) => m.name).join(", ") : "";
    $("invite-form").hidden = $("leave").hidden = !r;
  }

  // openRoom shows the room of the URL and joins it.
  function openRoom() {
    const roomId = roomFromHash();
    if (roomId === state.roomId) return;
    if (state.joined && state.chat) state.chat.emit("chat:leave", { roomId: state.joined });
    state.joined = null;
    state.roomId = roomId;
    state.unread.delete(roomId);
    state.typingTimers.forEach(clearTimeout);
    state.typingTimers.clear();
    renderTyping();
    renderRooms();
    $("placeholder").hidden = !!roomId;
    $("room").hidden = !roomId;
    $("room-error").hidden = true;
    $("messages").replaceChildren();
    setComposer(false);
    renderRoomHead();
    if (roomId && state.chat && state.chat.connected) state.chat.emit("chat:join", { roomId });
  }

  function showRoomError(message) {
    $("room-error").textContent = message;
    $("room-error").hidden = false;
    setComposer(false);
  }

  async function createRoom(event) {
    event.preventDefault();
    const input = $("new-room-name");
    try {
      const { room } = await api("POST", "/api/rooms", { name: input.value });
      input.value = "";
      await loadRooms();
      location.hash = "room=" + encodeURIComponent(room.id);
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function invite(event) {
    event.preventDefault();
    const input = $("invite-name");
    try {
      const { room } = await api("POST", `/api/rooms/${encodeURIComponent(state.roomId)}/invite`, { name: input.value });
      toast(`Invited ${input.value} to ${room.name}`);
      input.value = "";
      await loadRooms();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  function leaveRoom() {
    location.hash = "";
  }

  // ---- messages

  function addMessage(m) {
    if (document.querySelector(`#messages [data-id="${CSS.escape(m.id)}"]`)) return; // seen already
    for (const e of document.querySelectorAll("#messages .empty")) e.remove();
    const mine = state.session && m.author.id === state.session.user.id;
    const li = el(
      "li",
      { class: "message" + (mine ? " mine" : ""), dataset: { id: m.id } },
      avatar(m.author.id, m.author.name),
      el(
        "div",
        { class: "bubble" },
        el("div", { class: "meta" }, el("b", { textContent: m.author.name }), timeOf(m.createdAt)),
        el("div", { class: "content", textContent: m.content })
      )
    );
    appendToMessages(li);
  }

  function addNotice(text, kind = "") {
    appendToMessages(el("li", { class: ("notice " + kind).trim(), textContent: text }));
  }

  function appendToMessages(li) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(li);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function sendMessage(event) {
    event.preventDefault();
    const input = $("message-input");
    const content = input.value;
    if (!content.trim() || !state.joined) return;
    state.chat.emit("chat:message", { roomId: state.joined, content });
    state.lastTyping = 0;
    input.value = "";
  }

  function typed() {
    const now = Date.now();
    if (!state.joined || now - state.lastTyping < TYPING_EVERY) return;
    state.lastTyping = now;
    state.chat.emit("chat:typing", { roomId: state.joined });
  }

  function clearTyping(userId) {
    clearTimeout(state.typingTimers.get(userId));
    if (state.typingTimers.delete(userId)) renderTyping();
  }

  function renderTyping() {
    const names = [...state.typingTimers.keys()].map((id) => nameOf(id));
    $("typing").textContent =
      names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
  }

  // ---- notifications

  function addNotification(n) {
    const li = el(
      "li",
      { class: "notification " + n.type, dataset: { id: n.id, type: n.type } },
      el("strong", { textContent: n.title }),
      el("span", { textContent: n.message })
    );
    $("notifications").prepend(li);
    $("no-notifications").hidden = true;
  }

  function curlHint() {
    const { user } = state.session;
    return (
      `curl -X POST ${location.origin}/api/notifications \\\n` +
      `  -H "Authorization: Bearer $TOKEN" \\\n` +
      `  -H "Content-Type: application/json" \\\n` +
      `  -d '{"userId":"${user.id}","type":"success","title":"Hello","message":"from curl"}'\n\n` +
      `# your user id: ${user.id}\n# TOKEN: POST /api/login {"name": "..."} gives one`
    );
  }

  // ---- start

  function start() {
    const { user } = state.session;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("me").textContent = user.name;
    $("me-avatar").replaceWith(Object.assign(avatar(user.id, user.name), { id: "me-avatar" }));
    $("curl-hint").textContent = curlHint();
    state.names.set(user.id, user.name);
    state.roomId = undefined;
    openRoom();
    connect();
    loadRooms();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", () => logout());
    $("create-room").addEventListener("submit", createRoom);
    $("invite-form").addEventListener("submit", invite);
    $("leave").addEventListener("click", leaveRoom);
    $("composer").addEventListener("submit", sendMessage);
    $("message-input").addEventListener("input", typed);
    window.addEventListener("hashchange", openRoom);

    if (typeof io !== "function") {
      $("login-view").hidden = false;
      $("login-error").textContent = "socket.io-client did not load: run `cd testdata/node && npm ci`, or check your internet access (CDN).";
      return;
    }
    state.session = loadSession();
    if (state.session && state.session.token) start();
    else logout();
  });
})();
