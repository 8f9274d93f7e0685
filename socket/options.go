package socket

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/envivo/socketio/internal/engine"
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
	// WriteQueueSize is how many messages may wait to be written to one
	// connection. A client that falls further behind is disconnected with
	// reason "transport error" rather than allowed to grow memory or slow
	// down a broadcast. Default: 1024.
	WriteQueueSize int
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

	// Adapter makes the adapter of each namespace. Default: NewMemoryAdapter,
	// which keeps rooms in this process.
	Adapter func(nsp *Namespace) Adapter

	// OnError, when set, is called when a handler returns an error or its
	// arguments fail to decode (see On). Default: the error is logged at
	// debug level.
	OnError func(s *Socket, event string, err error)

	// Logger receives the server's logs. Default: none.
	Logger *slog.Logger
}

// CORS configures cross-origin access for long-polling requests and the
// origin check of WebSocket upgrades; the zero value allows same-origin
// requests only. It is the Engine.IO layer's type: its fields (Origins,
// AllowOrigin, Credentials, Headers, MaxAge) and their defaults are
// documented there.
type CORS = engine.CORS

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
