package socket

import (
	"io/fs"
	"time"

	"github.com/envivo/socketio/internal/engine"
)

// Transport names, as used in Options.Transports and Socket.Transport.
const (
	Polling   = "polling"
	WebSocket = "websocket"
	// WebTransport is served by package webtransport (HTTP/3); a Server
	// whose Transports name it panics unless that package is linked in.
	WebTransport = "webtransport"
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
	// AllowRequest, WriteQueueSize, BatchInterval, compression and Logger;
	// see EngineOptions.
	EngineOptions

	// Path is where the server answers, with a trailing slash.
	// Default: "/socket.io/".
	Path string

	// ClientFiles, when set, holds the dist directory of the npm package
	// socket.io-client, for example os.DirFS("node_modules/socket.io-client/dist").
	// The server then serves its bundle under Path as Node's serveClient
	// does: socket.io.js, socket.io.min.js, socket.io.msgpack.min.js,
	// socket.io.esm.min.js and their source maps, so that a page can load
	// <script src="/socket.io/socket.io.min.js">. Each file is read on its
	// first request and kept in memory; a file missing from ClientFiles
	// is answered 404. Default: nil, no client files (this module ships
	// no third-party code, so unlike Node it has none of its own to serve).
	ClientFiles fs.FS

	// ConnectTimeout closes a connection that has not joined any namespace
	// by then. Default: 45s.
	ConnectTimeout time.Duration

	// Parser is the wire form of packets that every client of the server
	// speaks: JSONParser, socket.io-client's default, or MsgpackParser for
	// clients built with socket.io-msgpack-parser. NewServer panics on any
	// other value. Default: JSONParser.
	Parser Parser

	// MaxAttachments bounds the binary attachments of one packet (with
	// MsgpackParser, the binary values inline in one packet); a packet with
	// more closes the connection. Default: 10.
	MaxAttachments int
	// MaxNamespaceLength bounds, in bytes with the leading slash, the name
	// of a namespace a client asks to join. A CONNECT with a longer name is
	// refused with connect_error "Invalid namespace" before any dynamic
	// namespace's match function or middleware sees it, and nothing of it
	// is kept. Default: 256.
	MaxNamespaceLength int
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

	// Adapter makes the adapter of each namespace: when a static namespace
	// is made (Server.Of), and when a child of a dynamic namespace is
	// admitted its first socket (Server.OfFunc). The server closes the
	// adapter when it removes an empty child and on Shutdown. Admissions to
	// new dynamic children wait for it and for Close: neither should block
	// for long. Default: the in-memory adapter, which keeps rooms in this
	// process (adapter.NewLocal makes one).
	Adapter func(nsp *Namespace) Adapter

	// ConnectionStateRecovery, when set, turns on connection state
	// recovery: a client that loses its connection gets its socket id,
	// rooms and data back when it reconnects in time, with the events it
	// missed (see ConnectionStateRecovery). Default: nil, off, as in Node.
	ConnectionStateRecovery *ConnectionStateRecovery

	// OnError, when set, is called when a handler returns an error or its
	// arguments fail to decode (see On). Default: the error is logged at
	// warning level.
	OnError func(s *Socket, event string, err error)

	// Hooks are called on connections, disconnections, refusals and slow
	// clients, to count or trace them (see Hooks). Default: none.
	Hooks Hooks
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
//   - MaxHeaderBytes (16 KB): the largest handshake header block; a
//     larger one is refused with HTTP 431, since a socket keeps its
//     handshake's headers;
//   - WriteQueueSize (1024): how far a client may fall behind before it
//     is disconnected;
//   - BatchInterval (50ms; negative turns it off): the shortest time
//     between two writes of broadcasts to one WebSocket client;
//   - HTTPCompressionThreshold (1024 bytes; negative turns it off): polling
//     answers from this size on are compressed with gzip or deflate, as
//     the request's Accept-Encoding allows;
//   - PerMessageDeflate (false) and PerMessageDeflateThreshold (1024
//     bytes): WebSocket permessage-deflate, negotiated without context
//     takeover so that a broadcast is compressed once for all;
//   - Router (nil): lets the servers of a cluster serve each other's
//     polling sessions, so that no sticky sessions are needed (see
//     SessionRouter);
//   - Logger (none): the server's logs.
type EngineOptions = engine.Options

// SessionRouter is the type of EngineOptions.Router: it mints the ids of
// a server's Engine.IO sessions and forwards the requests for sessions
// that another server of the cluster holds (adapter/redis provides one,
// redisadapter.Router). Its contract is the Engine.IO layer's
// (go doc github.com/envivo/socketio/internal/engine.Router).
type SessionRouter = engine.Router

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
	if c.MaxPendingEvents == 0 {
		c.MaxPendingEvents = 256
	}
	if c.MaxNamespaceLength <= 0 {
		c.MaxNamespaceLength = 256
	}
	if c.ConnectionStateRecovery != nil {
		r := c.ConnectionStateRecovery.withDefaults()
		c.ConnectionStateRecovery = &r
	}
	if c.Adapter == nil {
		c.Adapter = func(nsp *Namespace) Adapter { return newMemoryAdapter(nsp) }
	}
	return c
}
