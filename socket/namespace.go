package socket

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/envivo/socketio/internal/parser"
)

// Middleware runs when a client asks to join a namespace, before the socket
// is connected: s.Handshake() is set, s is in no room yet, and ctx ends if
// the client goes away. Returning an error refuses the client; see
// ConnectError for what the client sees.
type Middleware func(ctx context.Context, s *Socket) error

// Namespace is a communication channel that a client joins by name ("/",
// "/chat"): it has its own middleware, connection handlers, sockets and
// rooms. Its methods are safe for concurrent use.
//
// The namespace that Server.OfFunc or Server.OfRegexp return is the parent
// of dynamic namespaces: its middleware and connection handlers apply to
// every child namespace, and its broadcasts reach the sockets of all its
// live children (see Server.OfFunc).
type Namespace struct {
	name    string
	server  *Server
	parent  *Namespace              // for a child of a dynamic namespace
	adapter atomic.Pointer[Adapter] // nil for a parent, and for a child that is not live

	match func(name string, auth json.RawMessage) bool // for a parent

	// For a child, guarded by server.kidsMu (see dynamic.go):
	stage childStage
	users int // admitted sockets that have not finished leaving

	mu           sync.RWMutex
	middleware   []Middleware
	onConnection []func(s *Socket)
	sockets      map[string]*Socket
	kids         map[string]*Namespace // for a parent
	serverEvents serverEvents
	roomHandlers atomic.Pointer[[]RoomEventHandler] // written under mu; see room_events.go
}

// newNamespace returns a static namespace, with its adapter.
func newNamespace(srv *Server, name string) *Namespace {
	n := &Namespace{name: name, server: srv, sockets: make(map[string]*Socket)}
	a := srv.opts.Adapter(n)
	n.adapter.Store(&a)
	return n
}

// Name returns the namespace's name, such as "/chat".
func (n *Namespace) Name() string { return n.name }

// Server returns the server the namespace belongs to.
func (n *Namespace) Server() *Server { return n.server }

// Adapter returns the namespace's adapter. It is nil for the parent of
// dynamic namespaces, and for a child that no socket has been admitted to
// yet or that has been removed (see Server.OfFunc).
func (n *Namespace) Adapter() Adapter {
	if p := n.adapter.Load(); p != nil {
		return *p
	}
	return nil
}

// Use appends middleware, which runs in order for every client that joins
// the namespace afterwards. The first error refuses the client.
func (n *Namespace) Use(m ...Middleware) {
	n.mu.Lock()
	n.middleware = append(n.middleware, m...)
	n.mu.Unlock()
}

// OnConnection registers h to run for every socket that joins the
// namespace, after the middleware accepted it. h runs on the socket's
// handler goroutine before any of its events: register event handlers there.
func (n *Namespace) OnConnection(h func(s *Socket)) {
	n.mu.Lock()
	n.onConnection = append(n.onConnection, h)
	n.mu.Unlock()
}

// Socket returns the connected local socket with the given id, or nil.
func (n *Namespace) Socket(id string) *Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.sockets[id]
}

// Sockets returns the connected local sockets.
func (n *Namespace) Sockets() []*Socket {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Socket, 0, len(n.sockets))
	for _, s := range n.sockets {
		out = append(out, s)
	}
	return out
}

// To returns a broadcast to the sockets in rooms.
func (n *Namespace) To(rooms ...string) BroadcastOperator {
	return newBroadcastOperator(n).To(rooms...)
}

// In is the same as To.
func (n *Namespace) In(rooms ...string) BroadcastOperator { return n.To(rooms...) }

// Except returns a broadcast to every socket but those in rooms.
func (n *Namespace) Except(rooms ...string) BroadcastOperator {
	return newBroadcastOperator(n).Except(rooms...)
}

// Local returns a broadcast to the sockets of this node only.
func (n *Namespace) Local() BroadcastOperator { return newBroadcastOperator(n).Local() }

// Volatile returns a broadcast whose events may be dropped; see
// BroadcastOperator.Volatile.
func (n *Namespace) Volatile() BroadcastOperator { return newBroadcastOperator(n).Volatile() }

// Emit sends an event to every socket of the namespace.
func (n *Namespace) Emit(event string, args ...any) error {
	return newBroadcastOperator(n).Emit(event, args...)
}

// EmitWithAck sends an event to every socket of the namespace and collects
// their acknowledgements; see BroadcastOperator.EmitWithAck.
func (n *Namespace) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return newBroadcastOperator(n).EmitWithAck(ctx, event, args...)
}

// FetchSockets returns a snapshot of every socket of the namespace.
func (n *Namespace) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return newBroadcastOperator(n).FetchSockets(ctx)
}

// SocketsJoin makes every socket of the namespace join rooms.
func (n *Namespace) SocketsJoin(ctx context.Context, rooms ...string) error {
	return newBroadcastOperator(n).SocketsJoin(ctx, rooms...)
}

// SocketsLeave makes every socket of the namespace leave rooms.
func (n *Namespace) SocketsLeave(ctx context.Context, rooms ...string) error {
	return newBroadcastOperator(n).SocketsLeave(ctx, rooms...)
}

// DisconnectSockets disconnects every socket of the namespace; see
// BroadcastOperator.DisconnectSockets.
func (n *Namespace) DisconnectSockets(ctx context.Context) error {
	return newBroadcastOperator(n).DisconnectSockets(ctx)
}

// CloseConnections closes the connection of every socket of the
// namespace; see BroadcastOperator.CloseConnections.
func (n *Namespace) CloseConnections(ctx context.Context) error {
	return newBroadcastOperator(n).CloseConnections(ctx)
}

// children returns the live child namespaces of a parent.
func (n *Namespace) children() []*Namespace {
	n.mu.RLock()
	defer n.mu.RUnlock()
	out := make([]*Namespace, 0, len(n.kids))
	for _, c := range n.kids {
		out = append(out, c)
	}
	return out
}

// chain returns the middleware and connection handlers that apply: a
// parent's first, then the namespace's own. The slices are read-only
// snapshots, capped at their length: one registered later is appended
// past them, and combining a parent's with a child's copies both, so that
// a root namespace's connect copies nothing.
func (n *Namespace) chain() ([]Middleware, []func(*Socket)) {
	n.mu.RLock()
	mw := n.middleware[:len(n.middleware):len(n.middleware)]
	handlers := n.onConnection[:len(n.onConnection):len(n.onConnection)]
	n.mu.RUnlock()
	if n.parent == nil {
		return mw, handlers
	}
	parentMW, parentHandlers := n.parent.chain()
	return append(parentMW, mw...), append(parentHandlers, handlers...)
}

// connect runs on s's queue: the middleware, then, if they accept, the
// CONNECT reply and the connection handlers. A dynamic child becomes live
// only here, once the middleware accepted (see dynamic.go). With
// connection state recovery on, a client that asks to recover its session
// may skip the middleware (see recovery.go).
func (n *Namespace) connect(s *Socket) {
	req := n.recoveryRequest(s)
	if req.skipMiddleware && n.resume(s, req) {
		return
	}
	middleware, _ := n.chain()
	if err := runMiddleware(s, middleware); err != nil {
		n.refuse(s, err, RefusedMiddleware)
		return
	}
	nsp := n.server.admit(n)
	if nsp == nil {
		n.refuse(s, errInvalidNamespace, RefusedNamespace)
		return
	}
	if nsp != n {
		s.client.move(s, nsp)
	}
	if req.afterMiddleware && nsp.resume(s, req) {
		return
	}
	if !nsp.enter(s, []string{s.id}) {
		n.server.release(nsp)
		return // the client went away during the middleware
	}
	nsp.runConnectionHandlers(s)
}

// enter makes s, accepted, a connected socket of n in rooms, and sends the
// CONNECT reply. It reports false when s is no longer connecting.
func (n *Namespace) enter(s *Socket, rooms []string) bool {
	if !s.state.CompareAndSwap(int32(connecting), int32(connected)) {
		return false
	}
	n.mu.Lock()
	n.sockets[s.id] = s
	n.mu.Unlock()
	if a := n.Adapter(); a != nil {
		a.AddAll(s.id, rooms...)
	}
	_ = s.sendPacket(parser.Connect, parser.NoID, s.client.connectReply(s.id, s.pid), nil)
	n.server.observeConnect()
	return true
}

func (n *Namespace) runConnectionHandlers(s *Socket) {
	if f := n.server.opts.Hooks.OnConnect; f != nil {
		f(s)
	}
	_, handlers := n.chain()
	for _, h := range handlers {
		s.safely("connection", func() { h(s) })
	}
}

// runMiddleware runs middleware in order for s and returns the first error.
func runMiddleware(s *Socket, middleware []Middleware) error {
	for _, m := range middleware {
		var err error
		if !s.safely("middleware", func() { err = m(s.Context(), s) }) {
			err = errors.New("server error")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// errInvalidNamespace refuses a CONNECT to a namespace that does not exist.
var errInvalidNamespace = &ConnectError{Message: "Invalid namespace"}

// refuse answers a refused CONNECT with the middleware's error, and counts
// it with reason. The
// client forgets s before the refusal is queued: a client may send a new
// CONNECT to the namespace as soon as it reads the refusal, and that one
// must be a new attempt, not a duplicate that closes the connection.
func (n *Namespace) refuse(s *Socket, err error, reason RefusalReason) {
	ce := &ConnectError{Message: err.Error()}
	errors.As(err, &ce)
	s.state.Store(int32(disconnected))
	s.endContext()
	s.client.remove(s)
	n.server.observeRefused(s, n.name, reason, ce.Message)
	s.client.refuse(n.name, ce)
}

// remove takes s out of the namespace's sockets and reports whether it was
// there.
func (n *Namespace) remove(s *Socket) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.sockets[s.id] != s {
		return false
	}
	delete(n.sockets, s.id)
	return true
}
