package socket

import (
	"log/slog"
	"net/http"
	"time"
)

// Transport names, as used in Options.Transports and Socket.Transport.
const (
	Polling   = "polling"
	WebSocket = "websocket"
)

// Options configures a Server. The zero value is valid: every zero field takes
// the default given in its comment, which matches Node socket.io. NewServer
// copies the struct, so changing it afterwards has no effect.
type Options struct {
	// Path is where the server answers, with a trailing slash.
	// Default: "/socket.io/".
	Path string

	// PingInterval is how often the server pings each client. Default: 25s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for the pong before it
	// closes the connection with reason "ping timeout". Default: 20s.
	PingTimeout time.Duration
	// ConnectTimeout closes a connection that has not joined any namespace
	// by then. Default: 45s.
	ConnectTimeout time.Duration
	// UpgradeTimeout abandons an upgrade from polling to WebSocket that has
	// not completed by then. Default: 10s.
	UpgradeTimeout time.Duration

	// MaxPayload bounds, in bytes, a long-polling request body and a
	// WebSocket message. Default: 1,000,000.
	MaxPayload int64
	// MaxAttachments bounds the binary attachments of one packet; a packet
	// with more closes the connection. Default: 10.
	MaxAttachments int
	// MaxNamespaceLength bounds, in bytes with the leading slash, the name
	// of a namespace a client asks to join. A CONNECT with a longer name is
	// refused with connect_error "Invalid namespace" before any dynamic
	// namespace's match function or middleware sees it, and nothing of it
	// is kept. Default: 256.
	MaxNamespaceLength int
	// WriteQueueSize is how many messages may wait to be written to one
	// connection. A client that falls further behind is disconnected with
	// reason "transport error" rather than allowed to grow memory or slow
	// down a broadcast. Default: 1024.
	WriteQueueSize int
	// MaxPendingEvents bounds, per socket, the events received from the
	// client and not yet handled (queued, or in their handler). When a
	// socket's queue is full, the server stops reading the connection until
	// a handler finishes: TCP then holds the sender back, and a long-polling
	// POST is answered only once its events have found room. Memory then
	// stays bounded however fast a client sends, and no event is dropped.
	//
	// While the connection is not read, nothing else on it is: the
	// client's other namespaces, its acknowledgements and its pong wait
	// too. A client whose pong is not read within PingTimeout of a ping is
	// closed with reason "ping timeout", as one held back for longer than
	// PingInterval plus PingTimeout always is. A handler that waits for
	// something its own client sends later (the reply to EmitWithAck)
	// waits in vain while that client has filled the queue behind it: give
	// such a wait a deadline. Connecting and disconnecting are never held
	// back.
	//
	// Negative removes the bound: a client that sends faster than its
	// handlers then grows the server's memory without limit. Default: 256.
	MaxPendingEvents int
	// BroadcastBatch is the shortest time between two writes of broadcasts
	// to one WebSocket client. A client that receives broadcasts more often
	// gets them several to a write (one system call instead of one each)
	// and each waits at most this long; the first broadcast after a quiet
	// period, emits to one socket, acks and anything else go out at once,
	// taking whatever waits along. Negative writes every broadcast at once.
	// Default: 25ms.
	BroadcastBatch time.Duration

	// Transports lists the transports clients may use, among Polling and
	// WebSocket. Default: both.
	Transports []string
	// DisableUpgrades stops offering polling clients the upgrade to
	// WebSocket. Default: upgrades are offered.
	DisableUpgrades bool

	// CORS controls cross-origin access. Default: none; see CORS.
	CORS CORS
	// AllowRequest, when set, sees every handshake request first; a non-nil
	// error refuses it with HTTP 403. Default: every request is allowed.
	AllowRequest func(r *http.Request) error

	// Adapter makes the adapter of each namespace: when a static namespace
	// is made (Server.Of), and when a child of a dynamic namespace is
	// admitted its first socket (Server.OfFunc). The server closes the
	// adapter when it removes an empty child and on Shutdown. Admissions to
	// new dynamic children wait for it and for Close: neither should block
	// for long. Default: NewMemoryAdapter, which keeps rooms in this
	// process.
	Adapter func(nsp *Namespace) Adapter

	// OnError, when set, is called when a handler returns an error or its
	// arguments fail to decode (see On). Default: the error is logged at
	// debug level.
	OnError func(s *Socket, event string, err error)

	// Logger receives the server's logs. Default: none.
	Logger *slog.Logger
}

// CORS configures cross-origin access for long-polling requests and the
// origin check of WebSocket upgrades. It is enabled when Origins or
// AllowOrigin is set; the zero value sends no CORS headers and checks no
// origin, which browsers treat as same-origin only.
//
// When enabled, every polling response (errors included) carries
// Access-Control-Allow-Origin for an allowed Origin, OPTIONS requests are
// answered as preflights, and a WebSocket upgrade whose Origin header is
// present but not allowed is refused with HTTP 403. Requests without an
// Origin header (not from a browser) are never refused for their origin.
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
	// Headers are the request headers a preflight allows. Default: those the
	// preflight asks for.
	Headers []string
	// MaxAge lets browsers cache a preflight answer. Default: not sent.
	MaxAge time.Duration
}

func (o *Options) withDefaults() Options {
	c := Options{}
	if o != nil {
		c = *o
	}
	c.Transports = append([]string(nil), c.Transports...)
	c.CORS.Origins = append([]string(nil), c.CORS.Origins...)
	c.CORS.Headers = append([]string(nil), c.CORS.Headers...)
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if c.Path[len(c.Path)-1] != '/' {
		c.Path += "/"
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 45 * time.Second
	}
	if c.MaxPendingEvents == 0 {
		c.MaxPendingEvents = 256
	}
	if c.MaxNamespaceLength <= 0 {
		c.MaxNamespaceLength = 256
	}
	if c.MaxAttachments <= 0 {
		c.MaxAttachments = 10
	}
	if c.Adapter == nil {
		c.Adapter = func(nsp *Namespace) Adapter { return NewMemoryAdapter(nsp) }
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
