// Package engine implements the server side of Engine.IO protocol version 4
// (and 3, for Socket.IO v2 clients, when Options.AllowEIO3 is set):
// the handshake, HTTP long-polling, WebSocket, the upgrade from one to the
// other, the heartbeat, CORS and the limits that keep a peer from using more
// than its share.
//
// The package is internal to envivo; the Socket.IO layer (package socket)
// mounts a Server and receives each session's messages through a Handler.
package engine

import (
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of Options, those of Node's engine.io.
const (
	DefaultPingInterval   = 25 * time.Second
	DefaultPingTimeout    = 20 * time.Second
	DefaultUpgradeTimeout = 10 * time.Second
	DefaultMaxPayload     = 1_000_000
	DefaultWriteQueueSize = 1024
	DefaultMaxHeaderBytes = 16 << 10
	DefaultBatchInterval  = 50 * time.Millisecond
)

// Transport names, as they appear in the "transport" query parameter.
const (
	TransportPolling      = "polling"
	TransportWebSocket    = "websocket"
	TransportWebTransport = "webtransport" // served by package webtransport, never by ServeHTTP
)

// Options are the Engine.IO settings of a server: heartbeat, limits,
// transports, CORS and logging. They are declared once, here: package
// socket embeds them in socket.Options as socket.EngineOptions, and the
// socket layer reads the same values (Logger). The zero value is valid:
// zero fields take the defaults documented on them, which are Node's.
// NewServer copies the Options, so changing them afterwards has no effect.
type Options struct {
	// PingInterval is how often the server pings each client.
	// Default: 25s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for the pong that answers a
	// ping before it closes the connection with reason "ping timeout". It
	// also bounds how long a graceful close waits for the client.
	// Default: 20s.
	PingTimeout time.Duration
	// UpgradeTimeout is how long an upgrade from polling to WebSocket may
	// take; an upgrade not completed by then is abandoned (the WebSocket is
	// closed, the client goes on polling).
	// Default: 10s.
	UpgradeTimeout time.Duration
	// MaxPayload bounds, in bytes, the body of a polling POST (however it is
	// sent: Content-Length or chunked) and a WebSocket message (fragments
	// included). Over it, a POST gets 413 and a WebSocket is closed with
	// status 1009; either way the connection ends with "transport error".
	// Default: 1_000_000.
	MaxPayload int64
	// Transports lists the transports clients may use: "polling",
	// "websocket" (socket.Polling, socket.WebSocket), and "webtransport"
	// (socket.WebTransport), which needs the HTTP/3 server of package
	// github.com/envivo/socketio/webtransport: NewServer panics when the
	// list names it and that package is not linked into the program. An
	// HTTP request for another transport, or for "webtransport", gets
	// error 0 "Transport unknown", as in Node.
	// Default: polling and websocket.
	Transports []string
	// DisableUpgrades, when true, offers polling clients no upgrade to
	// WebSocket (the handshake says "upgrades":[]).
	// Default: false.
	DisableUpgrades bool
	// AllowEIO3 lets clients of Engine.IO protocol 3 connect: those of
	// socket.io-client 2.x (Node's allowEIO3). They ping the server, which
	// answers (it closes one silent for PingInterval+PingTimeout), and speak
	// the v3 wire forms (length-prefixed polling payloads, a type byte in
	// binary WebSocket frames). When false, a handshake with EIO=3 gets HTTP
	// 400 {"code":5,"message":"Unsupported protocol version"}.
	// Default: false.
	AllowEIO3 bool
	// CORS controls cross-origin access; see CORS.
	// Default: none, same-origin requests only.
	CORS CORS
	// AllowRequest, when set, is asked about every handshake request (the
	// first request of a connection, polling or WebSocket). A non-nil error
	// refuses it with HTTP 403 and {"code":4,"message":<the error's text,
	// or "Forbidden" if empty>}, like Node's allowRequest callback.
	// Default: nil, every request is allowed.
	AllowRequest func(r *http.Request) error
	// InitialHeaders, when set, is called with the headers of the answer
	// to every accepted handshake (the first polling GET of a session, or
	// a WebSocket opened without a sid) before they are written, and may
	// add to them: a Set-Cookie for sticky sessions, say. It is Node's
	// engine "initial_headers" event. It runs before Headers, on the
	// request's goroutine, concurrently for different requests; it must
	// not keep h or r. Refused requests do not reach it.
	// Default: nil.
	InitialHeaders func(h http.Header, r *http.Request)
	// Headers, when set, is called with the headers of every successful
	// answer (each polling GET and POST, each WebSocket handshake or
	// upgrade) before they are written, and may add to them: Node's
	// engine "headers" event. It runs as InitialHeaders does.
	// Default: nil.
	Headers func(h http.Header, r *http.Request)
	// MaxHeaderBytes bounds the request headers of a handshake, counted as
	// the sum of each field's name and value plus 4 bytes per line (Node's
	// http server refuses more than 16 KB). A session keeps its handshake's
	// headers for its whole life (Socket.Handshake), so a handshake over
	// the bound is refused with HTTP 431 and nothing of it is kept. The
	// http.Server's own MaxHeaderBytes (1 MB by default) still bounds every
	// request.
	// Default: 16 KB.
	MaxHeaderBytes int
	// WriteQueueSize bounds how many messages may wait to be written to one
	// connection. A client that falls further behind is disconnected with
	// reason "transport error" rather than allowed to grow memory or slow
	// down a broadcast.
	// Default: 1024.
	WriteQueueSize int
	// BatchInterval is the shortest time between two writes of broadcasts
	// to one WebSocket client. A client that receives broadcasts more often
	// gets them several to a write (one system call instead of one each)
	// and each waits at most this long; the first broadcast after a quiet
	// period, emits to one socket, acks and anything else go out at once,
	// taking whatever waits along. Negative writes every broadcast at once.
	// Each write costs the server about as much as a dozen small frames
	// in it, so the default trades up to 50ms of added latency on a
	// sustained stream for a third to a half of the CPU of a large
	// fanout; a stream whose client renders each message as it comes (game
	// state at 60 Hz, live cursors) wants 10ms or less, or negative.
	// In the engine: what SendBatched queues waits for the next write.
	// Default: 50ms.
	BatchInterval time.Duration
	// HTTPCompressionThreshold is the size, in bytes, from which a polling
	// answer is compressed, with gzip or deflate as the request's
	// Accept-Encoding prefers (gzip on a tie), like Node's httpCompression.
	// An answer whose messages all say NoCompress, or a request that
	// accepts neither coding, gets it uncompressed. Negative turns polling
	// compression off.
	// Default: 1024.
	HTTPCompressionThreshold int
	// PerMessageDeflate offers WebSocket clients the permessage-deflate
	// extension, like Node's perMessageDeflate (also off by default there).
	// The server accepts it with server_no_context_takeover and
	// client_no_context_takeover: every message is compressed on its own,
	// so a broadcast is compressed once for all its recipients, and a
	// connection keeps no compression state between messages. A compressed
	// message from the client is inflated to at most MaxPayload bytes; past
	// that the connection is closed with status 1009, however well the
	// message compresses.
	// Default: false.
	PerMessageDeflate bool
	// PerMessageDeflateThreshold is the size, in bytes, of an Engine.IO
	// packet (type digit included) from which it is compressed on a
	// connection that negotiated permessage-deflate.
	// Default: 1024.
	PerMessageDeflateThreshold int
	// Router, when set, lets the servers of a cluster serve each other's
	// sessions, so that polling clients need no sticky sessions: it mints
	// the ids of new sessions and serves elsewhere the requests for
	// sessions this server does not hold (see Router).
	// Default: nil, such requests get HTTP 400 "Session ID unknown".
	Router Router
	// Logger receives the server's logs: recovered panics and handler
	// errors (warnings), refused requests and closed connections (debug).
	// Default: none (a logger that discards everything).
	Logger *slog.Logger
}

// CORS configures cross-origin access for polling requests and the origin
// check of WebSocket upgrades. It is enabled when Origins or AllowOrigin is
// set; the zero value sends no CORS headers and checks no origin, which
// browsers treat as same-origin only. Package socket exports it as
// socket.CORS.
//
// When enabled, every polling response (errors included) carries
// Access-Control-Allow-Origin for an allowed Origin, OPTIONS requests are
// answered as preflights (204, methods GET,POST), and a WebSocket upgrade
// whose Origin header is present but not allowed is refused with HTTP 403
// {"code":4,"message":"Forbidden"}. Requests without an Origin header (not
// from a browser) are never refused for their origin.
type CORS struct {
	// Origins lists the allowed origins, compared exactly
	// ("https://example.com"). "*" allows any origin: the response then
	// says "*", or echoes the request's origin when Credentials is set
	// (browsers refuse "*" with credentials).
	Origins []string
	// AllowOrigin, when set, decides instead of Origins.
	AllowOrigin func(origin string) bool
	// Credentials sends Access-Control-Allow-Credentials: true, so that
	// browsers include cookies. Default: false.
	Credentials bool
	// Headers is the Access-Control-Allow-Headers answered to preflights.
	// Default: the request's Access-Control-Request-Headers, echoed.
	Headers []string
	// MaxAge is how long a browser may cache a preflight answer
	// (Access-Control-Max-Age). Default: 0, no header.
	MaxAge time.Duration
}

// Defaults returns a copy of o (nil is the zero Options) with every zero
// field set to its default and every slice copied. It is the one place the
// defaults are set: NewServer applies it, and so does package socket to
// the copy it reads.
func Defaults(o *Options) Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.PingInterval <= 0 {
		out.PingInterval = DefaultPingInterval
	}
	if out.PingTimeout <= 0 {
		out.PingTimeout = DefaultPingTimeout
	}
	if out.UpgradeTimeout <= 0 {
		out.UpgradeTimeout = DefaultUpgradeTimeout
	}
	if out.MaxPayload <= 0 {
		out.MaxPayload = DefaultMaxPayload
	}
	if len(out.Transports) == 0 {
		out.Transports = []string{TransportPolling, TransportWebSocket}
	} else {
		out.Transports = slices.Clone(out.Transports)
	}
	if out.WriteQueueSize <= 0 {
		out.WriteQueueSize = DefaultWriteQueueSize
	}
	if out.MaxHeaderBytes <= 0 {
		out.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if out.BatchInterval == 0 {
		out.BatchInterval = DefaultBatchInterval
	}
	if out.HTTPCompressionThreshold == 0 {
		out.HTTPCompressionThreshold = DefaultCompressionThreshold
	}
	if out.PerMessageDeflateThreshold <= 0 {
		out.PerMessageDeflateThreshold = DefaultCompressionThreshold
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	out.CORS.Origins = slices.Clone(out.CORS.Origins)
	out.CORS.Headers = slices.Clone(out.CORS.Headers)
	return out
}

// withDefaults is Defaults(o).
func (o *Options) withDefaults() Options { return Defaults(o) }

// corsPolicy is CORS prepared for answering requests.
type corsPolicy struct {
	enabled     bool
	anyOrigin   bool
	origins     []string
	allow       func(string) bool
	credentials bool
	headers     string // joined Headers, "" to echo the request's
	maxAge      string // seconds, "" for none
}

func newCORSPolicy(c CORS) corsPolicy {
	p := corsPolicy{
		enabled:     len(c.Origins) > 0 || c.AllowOrigin != nil,
		anyOrigin:   slices.Contains(c.Origins, "*"),
		origins:     c.Origins,
		allow:       c.AllowOrigin,
		credentials: c.Credentials,
		headers:     strings.Join(c.Headers, ","),
	}
	if c.MaxAge > 0 {
		p.maxAge = strconv.FormatInt(int64(c.MaxAge/time.Second), 10)
	}
	return p
}

// allowed reports whether a request from origin may proceed.
func (p *corsPolicy) allowed(origin string) bool {
	if p.allow != nil {
		return p.allow(origin)
	}
	return p.anyOrigin || slices.Contains(p.origins, origin)
}

// apply sets the headers every response to a cross-origin polling request
// carries, like Node's cors middleware.
func (p *corsPolicy) apply(h http.Header, r *http.Request) {
	if p.anyOrigin && p.allow == nil && !p.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Add("Vary", "Origin")
		if origin := r.Header.Get("Origin"); origin != "" && p.allowed(origin) {
			h.Set("Access-Control-Allow-Origin", origin)
		}
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
}

// preflight answers an OPTIONS request: 204 with the allowed methods and
// headers.
func (p *corsPolicy) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET,POST")
	if p.headers != "" {
		h.Set("Access-Control-Allow-Headers", p.headers)
	} else if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Headers", req)
	}
	if p.maxAge != "" {
		h.Set("Access-Control-Max-Age", p.maxAge)
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}
