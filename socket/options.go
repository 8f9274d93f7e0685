package socket

import (
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
//
// The Engine.IO settings (heartbeat, limits, transports, CORS, Logger) are
// the fields of the embedded EngineOptions. They read and assign as fields
// of Options (opts.PingInterval = time.Second), but a composite literal
// names them inside EngineOptions, as Go requires of promoted fields:
//
//	socket.Options{
//		EngineOptions: socket.EngineOptions{PingInterval: 10 * time.Second},
//		ConnectTimeout: 5 * time.Second,
//	}
type Options struct {
	// EngineOptions are the Engine.IO settings: PingInterval, PingTimeout,
	// UpgradeTimeout, MaxPayload, Transports, DisableUpgrades, CORS,
	// AllowRequest, WriteQueueSize, BatchInterval and Logger; see
	// EngineOptions.
	EngineOptions

	// Path is where the server answers, with a trailing slash.
	// Default: "/socket.io/".
	Path string

	// ConnectTimeout closes a connection that has not joined any namespace
	// by then. Default: 45s.
	ConnectTimeout time.Duration

	// MaxAttachments bounds the binary attachments of one packet; a packet
	// with more closes the connection. Default: 10.
	MaxAttachments int

	// Adapter makes the adapter of each namespace. Default: NewMemoryAdapter,
	// which keeps rooms in this process.
	Adapter func(nsp *Namespace) Adapter

	// OnError, when set, is called when a handler returns an error or its
	// arguments fail to decode (see On). Default: the error is logged at
	// debug level.
	OnError func(s *Socket, event string, err error)
}

// EngineOptions are the Engine.IO settings of a Server, embedded in
// Options. They are declared once, by the Engine.IO layer, where each field
// documents its default (go doc github.com/envivo/socketio/internal/engine.Options):
//
//   - PingInterval (25s) and PingTimeout (20s): the heartbeat; a client
//     that does not answer a ping within PingTimeout is closed with
//     "ping timeout";
//   - UpgradeTimeout (10s): how long an upgrade to WebSocket may take;
//   - MaxPayload (1,000,000 bytes): the largest POST body or WebSocket
//     message;
//   - Transports (both Polling and WebSocket) and DisableUpgrades (false);
//   - CORS (none) and AllowRequest (nil): who may connect;
//   - WriteQueueSize (1024): how far a client may fall behind before it
//     is disconnected;
//   - BatchInterval (25ms; negative turns it off): the shortest time
//     between two writes of broadcasts to one WebSocket client;
//   - Logger (none): the server's logs.
type EngineOptions = engine.Options

// CORS configures cross-origin access for long-polling requests and the
// origin check of WebSocket upgrades; the zero value allows same-origin
// requests only. It is the Engine.IO layer's type: its fields (Origins,
// AllowOrigin, Credentials, Headers, MaxAge) and their defaults are
// documented there.
type CORS = engine.CORS

// withDefaults returns a copy of o (nil is the zero Options) with the
// defaults set: the Engine.IO ones by engine.Defaults, the others here.
// MaxAttachments is left to the parser, whose Decoder takes zero as its
// default.
func (o *Options) withDefaults() Options {
	c := Options{}
	if o != nil {
		c = *o
	}
	c.EngineOptions = engine.Defaults(&c.EngineOptions)
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if c.Path[len(c.Path)-1] != '/' {
		c.Path += "/"
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 45 * time.Second
	}
	if c.Adapter == nil {
		c.Adapter = func(nsp *Namespace) Adapter { return NewMemoryAdapter(nsp) }
	}
	return c
}
