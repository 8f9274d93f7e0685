package socket

import (
	"net/http"

	"github.com/envivo/socketio/internal/engine"
)

// Hooks are functions the server calls on the events an operator counts
// or traces: connections, disconnections, refusals and slow clients. Set
// them in Options.Hooks to wire OpenTelemetry, logs or any other system
// without forking. Every field is optional. Each hook is called
// synchronously on the goroutine where the event happens (a request's, a
// connection's read loop, a socket's queue), possibly concurrently with
// itself for different clients: it must not block, and it must be safe
// for concurrent use. A panic in a hook is not recovered.
//
// The server also counts these events itself, at no cost to the traffic:
// see Server.Stats.
type Hooks struct {
	// OnConnect is called when a socket has joined its namespace (its
	// CONNECT reply sent, recovered or not), on its queue, just before
	// the connection handlers.
	OnConnect func(s *Socket)
	// OnDisconnect is called when a connected socket has left its
	// namespace, on its queue, after its disconnect handlers.
	OnDisconnect func(s *Socket, reason DisconnectReason)
	// OnRefuse is called for each refused request or namespace CONNECT:
	// Node's engine "connection_error" (with the Engine.IO code, message
	// and request), and a CONNECT refused by middleware or for an unknown
	// namespace.
	OnRefuse func(r *Refusal)
	// OnSlowClient is called when a client cannot keep up: outbound, its
	// connection was closed because its write queue overflowed
	// WriteQueueSize; inbound, a socket's queue of unhandled events is
	// full (MaxPendingEvents), so the server stops reading the
	// connection until a handler finishes (nothing is dropped).
	OnSlowClient func(c *SlowClient)
}

// RefusalReason is the category of a refusal, a label fit for metrics.
type RefusalReason string

// The categories of refusals.
const (
	// RefusedBadRequest: a malformed request, or one for an unknown
	// transport, protocol or session (Engine.IO codes 0, 1, 2, 3, 5).
	RefusedBadRequest RefusalReason = engine.RefusedBadRequest
	// RefusedCORS: a WebSocket upgrade from an origin that CORS does not
	// allow.
	RefusedCORS RefusalReason = engine.RefusedCORS
	// RefusedForbidden: AllowRequest returned an error (code 4).
	RefusedForbidden RefusalReason = engine.RefusedForbidden
	// RefusedLimits: a handshake over MaxHeaderBytes.
	RefusedLimits RefusalReason = engine.RefusedLimits
	// RefusedShutdown: a handshake during Shutdown.
	RefusedShutdown RefusalReason = engine.RefusedShutdown
	// RefusedMiddleware: a namespace middleware returned an error.
	RefusedMiddleware RefusalReason = "middleware"
	// RefusedNamespace: a CONNECT to a namespace that does not exist (or
	// whose name is over MaxNamespaceLength).
	RefusedNamespace RefusalReason = "namespace"
)

// refusalReasons lists the categories in the order of the counters.
var refusalReasons = [...]RefusalReason{RefusedBadRequest, RefusedCORS, RefusedForbidden,
	RefusedLimits, RefusedShutdown, RefusedMiddleware, RefusedNamespace}

// Refusal describes a refused request or namespace CONNECT.
type Refusal struct {
	// Reason is the refusal's category.
	Reason RefusalReason
	// Code is the Engine.IO error code answered to a refused request
	// (0 "Transport unknown" ... 5 "Unsupported protocol version"), as in
	// Node's connection_error; -1 for a namespace refusal.
	Code int
	// Message is the message the client was answered: the Engine.IO
	// error's, or the connect_error's.
	Message string
	// Request is the refused HTTP request; nil for a namespace refusal.
	// It is valid only during the call.
	Request *http.Request
	// Namespace is the namespace a refused CONNECT named; "" for a
	// refused request.
	Namespace string
	// Socket is the socket a namespace refused, with its Handshake; it is
	// not connected and never will be. Nil for a refused request.
	Socket *Socket
}

// Direction says which queue of a slow client was full.
type Direction string

// The directions of SlowClient.
const (
	// Outbound: the client did not read fast enough; its connection was
	// closed with reason "transport error".
	Outbound Direction = "outbound"
	// Inbound: the client sent events faster than its handlers took
	// them; the server paused reading its connection.
	Inbound Direction = "inbound"
)

// SlowClient describes a client that cannot keep up.
type SlowClient struct {
	// Direction is the queue that was full.
	Direction Direction
	// ID is the Engine.IO session id of the connection.
	ID string
	// Transport is the connection's transport, Polling, WebSocket or
	// WebTransport.
	Transport string
	// RemoteAddr is the address of the connection's handshake request.
	RemoteAddr string
	// Socket is the socket whose event queue is full (Inbound); nil for
	// Outbound, where the whole connection is closed.
	Socket *Socket
}

// engineObserver returns the engine's observer, which counts and calls
// the hooks of the engine's events.
func (srv *Server) engineObserver() engine.Observer {
	return engine.Observer{
		Refused: func(r *http.Request, code int, msg, kind string) {
			if f := srv.opts.Hooks.OnRefuse; f != nil {
				f(&Refusal{Reason: RefusalReason(kind), Code: code, Message: msg, Request: r})
			}
		},
		QueueFull: func(c *engine.Conn) {
			if f := srv.opts.Hooks.OnSlowClient; f != nil {
				f(&SlowClient{Direction: Outbound, ID: c.ID(), Transport: c.Transport(),
					RemoteAddr: c.Request().RemoteAddr})
			}
		},
	}
}

// observeRefused counts a refused namespace CONNECT and calls the hook.
func (srv *Server) observeRefused(s *Socket, nsp string, reason RefusalReason, msg string) {
	srv.stats.refusals[refusalIndex(reason)].Add(1)
	if f := srv.opts.Hooks.OnRefuse; f != nil {
		f(&Refusal{Reason: reason, Code: -1, Message: msg, Namespace: nsp, Socket: s})
	}
}

// observeInboundFull counts a pause of s's connection for a full event
// queue and calls the hook.
func (srv *Server) observeInboundFull(s *Socket) {
	srv.stats.inboundFull.Add(1)
	if f := srv.opts.Hooks.OnSlowClient; f != nil {
		c := s.conn
		f(&SlowClient{Direction: Inbound, ID: c.ID(), Transport: c.Transport(),
			RemoteAddr: c.Request().RemoteAddr, Socket: s})
	}
}
