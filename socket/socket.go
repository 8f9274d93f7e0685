package socket

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/parser"
)

// Socket is one client's membership of one namespace. Its methods are safe
// for concurrent use. Its event handlers run one at a time, in the order the
// client sent the events, on a goroutine of their own: a slow handler delays
// only this socket, never other clients. Once Options.MaxPendingEvents of
// its events wait, the server stops reading the client's connection until
// there is room.
type Socket struct {
	id     string
	nsp    *Namespace
	client *client
	conn   *engine.Conn // client.conn, kept here: a broadcast reaches it with one pointer less to follow per recipient
	// What a broadcast reads of each recipient sits together, next to conn.
	state       atomic.Int32 // a socketState
	hasOutgoing atomic.Bool  // more has outgoing listeners, read without mu by broadcasts
	handshake   Handshake
	queue       serialQueue
	pid         string // private session id; "" unless connection state recovery is on
	// The small fields sit together (state and hasOutgoing above, these
	// below), so that a Socket fits a smaller size class of the allocator:
	// every connection has one.
	mu        sync.Mutex
	ended     bool // guarded by mu: the context is cancelled, or is born cancelled
	recovered bool // set before the connection handlers run

	ctx             *socketContext // made by the first call to Context
	handlers        eventHandlers
	more            *listeners // see listeners.go; nil until one is registered
	onDisconnecting []func(s *Socket, reason DisconnectReason)
	onDisconnect    []func(s *Socket, reason DisconnectReason)
	data            map[string]any
	acks            map[int64]pendingAck
	nextAckID       int64
}

type socketState int32

const (
	connecting socketState = iota
	connected
	disconnecting // leaving: hooks run, rooms are still readable
	disconnected
)

// newSocket returns a connecting socket; its id and handshake are set by
// the first task on its queue, before anything else reads them.
func newSocket(nsp *Namespace, c *client) *Socket {
	s := &Socket{nsp: nsp, client: c, conn: c.conn}
	s.queue.srv = nsp.server
	return s
}

// ID returns the socket's id, which is also the name of its own room.
// It differs from the Engine.IO session id, except for a socket.io-client
// 2.x client (Options.AllowEIO3), whose id is derived from it as Node
// does: the sid on "/", "/admin#<sid>" on "/admin".
func (s *Socket) ID() string { return s.id }

// ConnID returns the id of the Engine.IO connection the socket uses (Node's
// socket.conn.id), which the client's sockets in other namespaces share.
// It is the session id of its polling requests: show it only to whom may
// see them.
func (s *Socket) ConnID() string { return s.conn.ID() }

// Namespace returns the namespace the socket belongs to. For a child of a
// dynamic namespace, middleware may see a provisional namespace of the same
// name that the socket leaves for the live child when it is admitted (see
// Server.OfFunc): from the connection handlers on, it does not change.
func (s *Socket) Namespace() *Namespace { return s.nsp }

// Handshake returns how the client connected. The result must not be
// modified.
func (s *Socket) Handshake() *Handshake { return &s.handshake }

// Context returns a context that is cancelled when the socket starts to
// disconnect, before the OnDisconnecting hooks run.
func (s *Socket) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		// Made on demand: most sockets never need one.
		ctx, cancel := context.WithCancel(context.Background())
		s.ctx = &socketContext{ctx, cancel}
		if s.ended {
			cancel()
		}
	}
	return s.ctx.ctx
}

// socketContext is a socket's context and its cancel func, apart from the
// Socket, which then carries one pointer for them rather than three words.
type socketContext struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// endContext cancels the socket's context, now or when it is made.
func (s *Socket) endContext() {
	s.mu.Lock()
	s.ended = true
	if s.ctx != nil {
		s.ctx.cancel()
	}
	s.mu.Unlock()
}

// Connected reports whether the socket is connected and not disconnecting.
func (s *Socket) Connected() bool { return socketState(s.state.Load()) == connected }

// leaving reports whether the socket is disconnecting or disconnected.
func (s *Socket) leaving() bool { return socketState(s.state.Load()) >= disconnecting }

// Transport returns the name of the transport the client uses now,
// Polling, WebSocket or WebTransport.
func (s *Socket) Transport() string { return s.conn.Transport() }

// Set stores a value on the socket under key, for the application's own
// use (the auth package keeps the verified identity here). Values should
// encode to JSON: FetchSockets returns them to other nodes.
func (s *Socket) Set(key string, value any) {
	s.mu.Lock()
	if s.data == nil {
		s.data = make(map[string]any)
	}
	s.data[key] = value
	s.mu.Unlock()
}

// Get returns the value stored under key by Set.
func (s *Socket) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok
}

func (s *Socket) dataSnapshot() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.data) == 0 {
		return nil
	}
	m := make(map[string]any, len(s.data))
	for k, v := range s.data {
		m[k] = v
	}
	return m
}

// Join adds the socket to rooms. In the middleware of a dynamic
// namespace's child that is not live yet, it does nothing.
func (s *Socket) Join(rooms ...string) {
	if a := s.nsp.Adapter(); a != nil {
		a.AddAll(s.id, rooms...)
	}
}

// Leave removes the socket from room.
func (s *Socket) Leave(room string) {
	if a := s.nsp.Adapter(); a != nil {
		a.Del(s.id, room)
	}
}

// Rooms returns the rooms the socket is in, its own room included.
func (s *Socket) Rooms() []string {
	if a := s.nsp.Adapter(); a != nil {
		return a.SocketRooms(s.id)
	}
	return nil
}

// InRoom reports whether the socket is in room.
func (s *Socket) InRoom(room string) bool {
	for _, r := range s.Rooms() {
		if r == room {
			return true
		}
	}
	return false
}

// Emit sends an event to this socket's client. A []byte anywhere in args
// travels as binary; a json.RawMessage travels verbatim, as JSON. It does
// not wait for the network; it fails with
// ErrClosed once the socket has disconnected. With connection state
// recovery on, the event goes through the adapter, as a broadcast to the
// socket's own room, so that it can be replayed (see
// ConnectionStateRecovery).
func (s *Socket) Emit(event string, args ...any) error {
	if store := s.nsp.sessionStore(); store != nil {
		return s.emitStored(store.(Adapter), event, args) // the namespace's adapter
	}
	data, attachments, err := encodeEvent(event, args)
	if err != nil {
		return err
	}
	s.notifyOutgoing(data, attachments)
	return s.sendPacket(parser.Event, parser.NoID, data, attachments)
}

// EmitWithAck sends an event and waits for the client's acknowledgement,
// returning the arguments the client acknowledged with. It returns ctx's
// error when ctx ends first, and ErrClosed when the socket disconnects
// first.
func (s *Socket) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	data, attachments, err := encodeEvent(event, args)
	if err != nil {
		return Args{}, err
	}
	s.notifyOutgoing(data, attachments)
	reply := make(chan Args, 1)
	id := s.expectAck(func(a Args) { reply <- a })
	if err := s.sendPacket(parser.Event, id, data, attachments); err != nil {
		s.dropAck(id)
		return Args{}, err
	}
	select {
	case a := <-reply:
		return a, nil
	case <-ctx.Done():
		s.dropAck(id)
		return Args{}, ctx.Err()
	case <-s.Context().Done():
		return Args{}, ErrClosed
	}
}

// To returns a broadcast to the sockets in rooms, this socket excluded:
// Node's socket.to(room).emit(...).
func (s *Socket) To(rooms ...string) BroadcastOperator { return s.Broadcast().To(rooms...) }

// In is To: Node's socket.in(room).emit(...). Use InRoom for membership.
func (s *Socket) In(rooms ...string) BroadcastOperator { return s.To(rooms...) }

// Except returns a broadcast to every socket of the namespace except those
// in rooms and this socket.
func (s *Socket) Except(rooms ...string) BroadcastOperator { return s.Broadcast().Except(rooms...) }

// Compress returns an operator that reaches this socket alone, on this
// node, with the compress flag: s.Compress(false).Emit(...) sends the event
// uncompressed, as Node's socket.compress(false).emit(...). See
// BroadcastOperator.Compress.
func (s *Socket) Compress(compress bool) BroadcastOperator {
	return newBroadcastOperator(s.nsp).To(s.id).Local().Compress(compress)
}

// Volatile returns an operator that reaches this socket alone, on this
// node, whose events are dropped when the client is not ready to receive
// them at once: s.Volatile().Emit(...) is Node's socket.volatile.emit(...).
// See BroadcastOperator.Volatile.
func (s *Socket) Volatile() BroadcastOperator {
	return newBroadcastOperator(s.nsp).To(s.id).Local().Volatile()
}

// Local returns a broadcast to every socket of the namespace on this node
// but this one: Node's socket.local.emit(...).
func (s *Socket) Local() BroadcastOperator { return s.Broadcast().Local() }

// Broadcast returns a broadcast to every socket of the namespace but this one.
func (s *Socket) Broadcast() BroadcastOperator {
	return newBroadcastOperator(s.nsp).Except(s.id)
}

// Disconnect removes the socket from its namespace: the client sees reason
// "io server disconnect" and does not reconnect by itself. The client's
// other namespaces stay connected (see CloseConnection).
func (s *Socket) Disconnect() {
	if !s.state.CompareAndSwap(int32(connected), int32(disconnecting)) {
		return
	}
	_ = s.sendPacket(parser.Disconnect, parser.NoID, nil, nil)
	s.endContext()
	s.queue.push(func() { s.finishClose(ReasonServerNamespaceDisconnect) })
}

// CloseConnection disconnects the client from every namespace and closes
// its connection: Node's socket.disconnect(true).
func (s *Socket) CloseConnection() { s.client.disconnectAll() }

// OnDisconnecting registers h to run when the socket starts to disconnect,
// while Rooms still reports its rooms. reason is one of the Reason
// constants (see DisconnectReason).
func (s *Socket) OnDisconnecting(h func(s *Socket, reason DisconnectReason)) {
	s.mu.Lock()
	s.onDisconnecting = append(s.onDisconnecting, h)
	s.mu.Unlock()
}

// OnDisconnect registers h to run once the socket has disconnected and left
// its rooms. See OnDisconnecting for the reasons.
func (s *Socket) OnDisconnect(h func(s *Socket, reason DisconnectReason)) {
	s.mu.Lock()
	s.onDisconnect = append(s.onDisconnect, h)
	s.mu.Unlock()
}

// sendPacket encodes one packet for this socket and queues it.
func (s *Socket) sendPacket(t parser.Type, id int64, data json.RawMessage, attachments [][]byte) error {
	msgs, err := s.client.server.opts.Parser.encode(&parser.Packet{
		Type: t, Namespace: s.nsp.name, ID: id, Data: data, Attachments: attachments,
	})
	if err != nil {
		return err
	}
	return s.send(msgs)
}

// send queues engine messages for the client; it fails once the socket has
// disconnected.
func (s *Socket) send(msgs []*engine.Message) error {
	return s.sendVia(s.conn.Send, msgs)
}

// sendBatched is send for a broadcast: the messages may wait up to
// Options.BatchInterval to be written together with the next ones.
func (s *Socket) sendBatched(msgs []*engine.Message) error {
	return s.sendVia(s.conn.SendBatched, msgs)
}

func (s *Socket) sendVia(send func(...*engine.Message) error, msgs []*engine.Message) error {
	if st := socketState(s.state.Load()); st != connected && st != disconnecting {
		return ErrClosed
	}
	if err := send(msgs...); err != nil {
		return ErrClosed
	}
	return nil
}

// close starts disconnecting for reason, unless it has started already.
// The context ends at once, so that a middleware or handler waiting on it
// stops; the hooks and the cleanup run on the socket's queue, after the
// events received before.
func (s *Socket) close(reason DisconnectReason) {
	for {
		st := socketState(s.state.Load())
		if st == disconnecting || st == disconnected {
			return
		}
		if s.state.CompareAndSwap(int32(st), int32(disconnecting)) {
			break
		}
	}
	s.endContext()
	s.queue.push(func() { s.finishClose(reason) })
}

// finishClose runs on the socket's queue: the disconnecting hooks, leaving
// every room, then the disconnect hooks.
func (s *Socket) finishClose(reason DisconnectReason) {
	s.mu.Lock()
	disconnectingHooks, disconnectHooks := s.onDisconnecting, s.onDisconnect
	s.mu.Unlock()
	wasConnected := s.nsp.remove(s)
	if wasConnected {
		for _, h := range disconnectingHooks {
			s.safely("disconnecting", func() { h(s, reason) })
		}
		if a := s.nsp.Adapter(); a != nil {
			rooms := s.sessionRooms(a, reason)
			a.DelAll(s.id)
			s.persist(rooms)
		}
	}
	s.client.remove(s)
	s.state.Store(int32(disconnected))
	s.endContext()
	s.mu.Lock()
	s.acks = nil
	s.mu.Unlock()
	if wasConnected {
		for _, h := range disconnectHooks {
			s.safely("disconnect", func() { h(s, reason) })
		}
		s.nsp.server.observeDisconnect(s, reason)
		if s.nsp.server.debugging() {
			s.nsp.server.logger.Debug("socket disconnected", "nsp", s.nsp.name, "id", s.id, "reason", reason)
		}
		s.nsp.server.release(s.nsp)
	}
}

// safely runs f, turning a panic into a log line and a disconnect of this
// socket only. It reports whether f returned normally.
func (s *Socket) safely(what string, f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			s.logger().Error("socket: handler panicked", "nsp", s.nsp.name, "id", s.id,
				"handler", what, "panic", r)
			s.Disconnect()
			ok = false
		}
	}()
	f()
	return true
}

func (s *Socket) logger() *slog.Logger { return s.nsp.server.logger }
