package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/envivo/socketio/internal/randid"
	"github.com/envivo/socketio/internal/workers"
)

// Error codes of refused requests, Node's Server.errors.
const (
	codeUnknownTransport    = 0
	codeUnknownSID          = 1
	codeBadHandshakeMethod  = 2
	codeBadRequest          = 3
	codeForbidden           = 4
	codeUnsupportedProtocol = 5
)

// errorMessages are Node's Server.errorMessages, indexed by code.
var errorMessages = [...]string{
	codeUnknownTransport:    "Transport unknown",
	codeUnknownSID:          "Session ID unknown",
	codeBadHandshakeMethod:  "Bad handshake method",
	codeBadRequest:          "Bad request",
	codeForbidden:           "Forbidden",
	codeUnsupportedProtocol: "Unsupported protocol version",
}

// shutdownMessage is the message of the 503 answered to handshakes during
// Shutdown (Node has no equivalent: its HTTP server stops listening).
const shutdownMessage = "Server shutting down"

// Server serves Engine.IO v4, and v3 with Options.AllowEIO3, at whatever
// path it is mounted on. It is an
// http.Handler and never owns a listener. Its methods are safe for
// concurrent use.
type Server struct {
	opts       Options
	accept     func(c *Conn) Handler
	cors       corsPolicy
	upgrades   string // JSON array offered to polling sessions
	upgrader   ws.HTTPUpgrader
	sessions   sessionMap
	heartbeats timerQueue[*Conn]   // the sessions' pings, pong deadlines and close bounds
	batches    timerQueue[*wsConn] // the WebSockets' batched messages
	goroutines workers.Count       // the WebSockets' read loops, and HandleClose calls made async
	poller     poller              // the idle WebSockets, on Linux (poll_linux.go)
	// workers run flushes and WebSocket reads. The socket layer keeps a
	// pool of its own for handlers on purpose: a parked worker keeps the
	// stack it grew, and sharing one pool made the read workers as deep as
	// the handlers' (about 2.5 KB more per idle connection, measured).
	workers   *workers.Pool
	openFixed string // the end of the open packet's JSON, after "upgrades"

	observer  Observer                         // set before serving; see stats.go
	traffic   [trafficStripes]trafficStripe    // packets and bytes, per stripe
	stripes   atomic.Uint32                    // the last stripe given to a session
	refused   [len(refusalKinds)]atomic.Uint64 // refused requests, by category
	queueFull atomic.Uint64                    // sessions closed for a full write queue

	mu      sync.RWMutex
	closing bool // Shutdown began: no session is registered any more
}

// NewServer returns a Server configured by opts (nil means all defaults;
// opts is copied). accept is called once for every new session, after its
// handshake request has been validated and before the open packet reaches
// the client; the Handler it returns receives the session's events (nil
// means a Handler that ignores them). accept may call Send and Close on the
// Conn. It panics when opts.Transports names "webtransport" and package
// webtransport is not linked (see Options.Transports).
func NewServer(opts *Options, accept func(c *Conn) Handler) *Server {
	s := &Server{opts: opts.withDefaults(), accept: accept, workers: workers.New()}
	if s.transportEnabled(TransportWebTransport) && !webTransportLinked.Load() {
		panic(errWebTransportUnlinked)
	}
	s.heartbeats.fire = (*Conn).onHeartbeat
	s.batches.fire = (*wsConn).flushBatch
	s.cors = newCORSPolicy(s.opts.CORS)
	s.upgrades = s.upgradesJSON()
	s.openFixed = `,"pingInterval":` + strconv.FormatInt(s.opts.PingInterval.Milliseconds(), 10) +
		`,"pingTimeout":` + strconv.FormatInt(s.opts.PingTimeout.Milliseconds(), 10) +
		`,"maxPayload":` + strconv.FormatInt(s.opts.MaxPayload, 10) + `}`
	return s
}

// upgradesJSON is the JSON array of the transports a polling session may
// upgrade to, in Node's order.
func (s *Server) upgradesJSON() string {
	var names []string
	for _, t := range []string{TransportWebSocket, TransportWebTransport} {
		if !s.opts.DisableUpgrades && s.transportEnabled(t) {
			names = append(names, `"`+t+`"`)
		}
	}
	return "[" + strings.Join(names, ",") + "]"
}

// Count returns the number of open sessions, those closing included.
func (s *Server) Count() int {
	return s.sessions.count()
}

// SetCORSHeaders sets on h the CORS headers that the server's answers to
// polling requests carry (Options.CORS), for another response to r under
// the same path, such as the client bundle. It sets nothing when CORS is
// off.
func (s *Server) SetCORSHeaders(h http.Header, r *http.Request) {
	if s.cors.enabled {
		s.cors.apply(h, r)
	}
}

// ServeHTTP routes an Engine.IO request: a handshake (no sid), a polling GET
// or POST, or a WebSocket (new, or an upgrade of a polling session).
// Refused requests get HTTP 400 (403 for code 4) with
// {"code":N,"message":"..."} and Content-Type application/json, as Node
// answers polling requests; refused WebSocket requests get the same answer
// (Node writes the bare message as text/html there). Another method than
// GET or POST on a polling session gets 500, as in Node. With
// Options.Router, a request for a session this server does not hold is
// first offered to the Router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery)
	if s.route(w, r, q.sid) {
		return
	}
	upgrade := q.transport == TransportWebSocket && isWebSocketRequest(r)
	if s.cors.enabled {
		if !upgrade {
			s.cors.apply(w.Header(), r)
			if r.Method == http.MethodOptions {
				s.cors.preflight(w, r)
				return
			}
		} else if o := r.Header.Get("Origin"); o != "" && !s.cors.allowed(o) {
			s.refuseAs(w, r, codeForbidden, "", RefusedCORS)
			return
		}
	}
	c, code, msg := s.verify(r, q, upgrade)
	switch {
	case code >= 0:
		s.refuse(w, r, code, msg)
	case c == nil:
		s.handshake(w, r, q)
	case upgrade:
		s.serveUpgrade(w, r, c, q)
	case r.Method == http.MethodGet:
		c.servePoll(w, r)
	case r.Method == http.MethodPost:
		c.serveData(w, r)
	default:
		w.WriteHeader(http.StatusInternalServerError) // Node's polling answer to other methods
	}
}

// verify checks a request the way Node's Server.verify does, in its order.
// It returns the session the request names, or an error code (-1 if none)
// and a message overriding the code's ("" to keep it).
func (s *Server) verify(r *http.Request, q query, upgrade bool) (c *Conn, code int, msg string) {
	if !s.transportEnabled(q.transport) || q.transport == TransportWebTransport {
		// WebTransport comes through ServeWebTransport, never over HTTP/1 or 2.
		return nil, codeUnknownTransport, ""
	}
	if invalidHeaderValue(r.Header.Get("Origin")) {
		return nil, codeBadRequest, ""
	}
	plainWS := q.transport == TransportWebSocket && !upgrade // a WebSocket URL without the upgrade
	if q.sid != "" {
		c = s.sessions.get(q.sid)
		if c == nil {
			return nil, codeUnknownSID, ""
		}
		if plainWS || (!upgrade && c.Transport() != q.transport) {
			return nil, codeBadRequest, ""
		}
		return c, -1, ""
	}
	if r.Method != http.MethodGet {
		return nil, codeBadHandshakeMethod, ""
	}
	if plainWS {
		return nil, codeBadRequest, ""
	}
	if allow := s.opts.AllowRequest; allow != nil {
		if err := allow(r); err != nil {
			return nil, codeForbidden, err.Error()
		}
	}
	return nil, -1, ""
}

// handshake opens a new session on the transport the request names.
func (s *Server) handshake(w http.ResponseWriter, r *http.Request, q query) {
	proto := s.protocolOf(q.eio)
	if proto == nil {
		s.refuse(w, r, codeUnsupportedProtocol, "")
		return
	}
	if s.isClosing() {
		s.refuseShutdown(w, r)
		return
	}
	if headerBytes(r) > s.opts.MaxHeaderBytes {
		s.opts.Logger.Debug("engine: handshake headers too large", "remote", r.RemoteAddr)
		const msg = "Request Header Fields Too Large"
		s.observeRefused(r, codeBadRequest, msg, RefusedLimits)
		writeError(w, http.StatusRequestHeaderFieldsTooLarge, codeBadRequest, msg)
		return
	}
	if q.transport == TransportWebSocket {
		s.handshakeWebSocket(w, r, proto.codec(q), proto)
		return
	}
	c := newConn(s, r, proto)
	c.tr = newPolling(c, proto.codec(q))
	if !s.register(c) {
		s.refuseShutdown(w, r)
		return
	}
	c.start()
	c.servePoll(w, r)
}

// headerBytes is the size of r's header block as MaxHeaderBytes counts
// it: each field's name and value, plus ": " and CRLF.
func headerBytes(r *http.Request) int {
	n := len(r.Host) + 8
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// register gives c a fresh sid (Options.Router's, when set) and adds it to the sessions, unless the
// server is shutting down.
func (s *Server) register(c *Conn) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closing {
		return false
	}
	for attempt := 0; ; attempt++ {
		id := s.newID
		if attempt >= 3 { // a Router that keeps repeating an id falls back to random ones
			id = newSID
		}
		c.id = id()
		if s.sessions.add(c) {
			return true
		}
	}
}

// openMessage returns the open packet of session sid on transport.
func (s *Server) openMessage(sid, transport string) *Message {
	upgrades := "[]"
	if transport == TransportPolling {
		upgrades = s.upgrades
	}
	b := make([]byte, 0, 48+len(sid)+len(upgrades)+len(s.openFixed))
	b = append(b, `{"sid":"`...)
	b = append(b, sid...)
	b = append(b, `","upgrades":`...)
	b = append(b, upgrades...)
	b = append(b, s.openFixed...)
	return &Message{typ: typeOpen, Data: b}
}

// shutdownGrace bounds how long Shutdown waits for a WebSocket client to
// answer the close frame.
const shutdownGrace = time.Second

// Shutdown closes every session with reason "server shutting down". A
// WebSocket gets what is queued, then a close frame; a polling GET that is
// pending gets what is queued, then the close packet; a polling session with
// no GET pending is closed at once (its next request gets 400), as Node's
// server close does. From its call on, new handshakes are refused with HTTP
// 503 {"code":3,"message":"Server shutting down"}. Shutdown waits until
// every session is gone and every goroutine of the server has exited, or
// until ctx is done; then it closes what remains at once and returns
// ctx.Err().
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.batches.stop()
	grace := min(s.opts.PingTimeout, shutdownGrace)
	s.sessions.each(func(c *Conn) { c.close(ReasonServerShutdown, grace, true) })
	if err := s.awaitSessions(ctx); err != nil {
		s.sessions.each(func(c *Conn) { c.fail(ReasonServerShutdown, failOpts{noFrame: true, async: true}) })
		s.workers.Stop(false)
		return err
	}
	// No session is left to start a goroutine: the count only falls.
	select {
	case <-s.goroutines.Idle():
	case <-ctx.Done():
		s.workers.Stop(false)
		return ctx.Err()
	}
	s.workers.Stop(true)
	return nil
}

// awaitSessions waits until no session is left, or ctx is done.
func (s *Server) awaitSessions(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.sessions.count() > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

func (s *Server) isClosing() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closing
}

// writeTimeout bounds one write to a client: a WebSocket frame, or the
// answer to a polling request.
func (s *Server) writeTimeout() time.Duration {
	return s.opts.PingInterval + s.opts.PingTimeout
}

func (s *Server) transportEnabled(t string) bool {
	switch t {
	case TransportPolling, TransportWebSocket, TransportWebTransport:
		return slices.Contains(s.opts.Transports, t)
	}
	return false
}

// refuse answers a refused request with code, counts and logs it.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.refuseAs(w, r, code, msg, refusedKind(code))
}

// refuseAs is refuse with the refusal's category.
func (s *Server) refuseAs(w http.ResponseWriter, r *http.Request, code int, msg, kind string) {
	if msg == "" {
		msg = errorMessages[code]
	}
	s.observeRefused(r, code, msg, kind)
	s.answerError(w, r, code, msg)
}

// refuseShutdown refuses a handshake during Shutdown with 503.
func (s *Server) refuseShutdown(w http.ResponseWriter, r *http.Request) {
	s.observeRefused(r, codeBadRequest, shutdownMessage, RefusedShutdown)
	writeError(w, http.StatusServiceUnavailable, codeBadRequest, shutdownMessage)
}

// answerError answers a request with code and msg, and logs it.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if msg == "" {
		msg = errorMessages[code]
	}
	s.opts.Logger.Debug("engine: request refused", "code", code, "message", msg,
		"method", r.Method, "query", r.URL.RawQuery, "remote", r.RemoteAddr)
	status := http.StatusBadRequest
	if code == codeForbidden {
		status = http.StatusForbidden
	}
	writeError(w, status, code, msg)
}

// writeError writes {"code":code,"message":msg} with status.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	body, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// query holds the Engine.IO query parameters.
type query struct {
	eio, transport, sid string
	b64                 bool // protocol 3: binary goes as base64 text
}

// parseQuery extracts EIO, transport, sid and b64 from a raw query; the last
// occurrence of a key wins, as with Node's URLSearchParams.
func parseQuery(raw string) query {
	var q query
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "EIO":
			q.eio = unescape(v)
		case "transport":
			q.transport = unescape(v)
		case "sid":
			q.sid = unescape(v)
		case "b64":
			q.b64 = v != "" // Node: any value but an empty one
		}
	}
	return q
}

func unescape(v string) string {
	if !strings.ContainsAny(v, "%+") {
		return v
	}
	if u, err := url.QueryUnescape(v); err == nil {
		return u
	}
	return v
}

// isWebSocketRequest reports whether r asks for a WebSocket upgrade.
func isWebSocketRequest(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// invalidHeaderValue reports a value with a character Node refuses in a
// header (controls other than tab, and DEL).
func invalidHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < 0x20 && b != '\t') || b == 0x7f {
			return true
		}
	}
	return false
}

// newSID returns a random session id: 20 characters, 120 random bits.
func newSID() string {
	return randid.New(randid.Len)
}

// sessionMap is the set of sessions by sid, sharded to keep handshakes and
// lookups from contending on one lock.
type sessionMap struct {
	n      atomic.Int64
	shards [32]sessionShard
}

type sessionShard struct {
	mu sync.RWMutex
	m  map[string]*Conn
	_  [40]byte // keep shards on separate cache lines
}

func (m *sessionMap) shard(sid string) *sessionShard {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(sid); i++ {
		h ^= uint32(sid[i])
		h *= 16777619
	}
	return &m.shards[h%uint32(len(m.shards))]
}

func (m *sessionMap) get(sid string) *Conn {
	sh := m.shard(sid)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	return sh.m[sid]
}

// add adds c under c.id; it reports false if the sid is taken.
func (m *sessionMap) add(c *Conn) bool {
	sh := m.shard(c.id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[c.id]; ok {
		return false
	}
	if sh.m == nil {
		sh.m = make(map[string]*Conn)
	}
	sh.m[c.id] = c
	m.n.Add(1)
	return true
}

func (m *sessionMap) remove(c *Conn) {
	sh := m.shard(c.id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m[c.id] == c {
		delete(sh.m, c.id)
		m.n.Add(-1)
	}
}

func (m *sessionMap) count() int { return int(m.n.Load()) }

// each calls f for every session, outside the locks.
func (m *sessionMap) each(f func(c *Conn)) {
	var batch []*Conn
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.RLock()
		batch = batch[:0]
		for _, c := range sh.m {
			batch = append(batch, c)
		}
		sh.mu.RUnlock()
		for _, c := range batch {
			f(c)
		}
	}
}
