package socket

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strconv"
	"time"

	"github.com/envivo/socketio/internal/randid"
)

// ConnectionStateRecovery configures connection state recovery, which
// socket.io-client 4.6 and later use unchanged. When it is on:
//
//   - the CONNECT reply carries a private session id, pid, beside the
//     socket id;
//   - every event that goes through the adapter's broadcast path gets an
//     offset appended as its last argument: broadcasts, and Socket.Emit,
//     which then goes through the socket's own room as in Node. Events
//     with an acknowledgement and volatile ones are neither numbered nor
//     kept. The offset is encoded once per broadcast, not per recipient;
//   - a socket that disconnects for a reason that is not its client's nor
//     the server's own choice ("transport close", "transport error",
//     "ping timeout", "forced close", "forced server close", "server
//     shutting down": Node's list) leaves a session behind: its id, rooms
//     and data;
//   - a client that reconnects within MaxDisconnectionDuration sends its
//     pid and the offset of the last event it received in its CONNECT
//     auth; it gets its socket id, rooms and data back, then every event
//     it missed since that offset, in order, before any new one.
//     Socket.Recovered reports true, and so does socket.recovered on the
//     client.
//
// A recovery fails cleanly, as a new connection with a new id, when the
// session is unknown (another process, a restart), expired, already
// recovered, or when the offset is no longer kept (older than
// MaxDisconnectionDuration or MaxPackets packets). A client that has
// received no event yet has no offset to send, and cannot recover.
//
// The adapter keeps the sessions and packets: it must implement
// SessionStore, as the in-memory adapter does; with an adapter that does not,
// recovery never succeeds (see SessionStore for adapter/redis). A child
// of a dynamic namespace keeps them while it is live: they go with its
// adapter when its last socket leaves; and since the child is known only
// once the middleware has accepted, its middleware always runs.
type ConnectionStateRecovery struct {
	// MaxDisconnectionDuration is how long sessions and packets are kept
	// for a client that is away. Defaults to 2 minutes, as in Node.
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace's middleware for a client that
	// recovers its session too. Defaults to false: a recovered socket skips
	// the middleware, as with Node's default skipMiddlewares: true. When
	// they run, they see the socket before recovery (a new ID, Recovered
	// false, no restored data); the session is recovered once they accept,
	// and what they Set is kept over the restored data.
	RunMiddlewares bool
	// MaxPackets bounds the packets kept per namespace for clients that are
	// away; the oldest go first. Each costs about its encoded size.
	// Defaults to 10000.
	MaxPackets int
	// MaxSessions bounds the sessions kept per namespace; the oldest go
	// first. Each costs about 200 bytes plus its rooms and data. Defaults
	// to 100000.
	MaxSessions int
}

func (r ConnectionStateRecovery) withDefaults() ConnectionStateRecovery {
	if r.MaxDisconnectionDuration <= 0 {
		r.MaxDisconnectionDuration = 2 * time.Minute
	}
	if r.MaxPackets <= 0 {
		r.MaxPackets = 10000
	}
	if r.MaxSessions <= 0 {
		r.MaxSessions = 100000
	}
	return r
}

// ConnectionStateRecovery returns a copy of the server's recovery
// settings, with the defaults applied, or nil when recovery is off. It is
// for adapters that keep sessions (SessionStore), which need
// MaxDisconnectionDuration.
func (s *Server) ConnectionStateRecovery() *ConnectionStateRecovery {
	r := s.opts.ConnectionStateRecovery
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// Session is what connection state recovery keeps of a socket that
// disconnected: enough to give it back to its client.
type Session struct {
	// ID is the socket id.
	ID string `json:"sid"`
	// PID is the private session id the client proves itself with.
	PID string `json:"pid"`
	// Rooms are the socket's rooms, its own room included.
	Rooms []string `json:"rooms"`
	// Data is what the socket held through Set.
	Data map[string]any `json:"data"`
}

// SessionStore is implemented by an Adapter that supports connection state
// recovery, as http.Flusher is by a ResponseWriter that can flush. While
// recovery is on, its Broadcast appends to the Data of each packet it keeps
// (every packet whose flags are not Volatile) the packet's offset as a JSON
// string, once for all recipients, and keeps the packet with its
// BroadcastOptions for MaxDisconnectionDuration. Implementations must be
// safe for concurrent use.
//
// MaxDisconnectionDuration, MaxPackets and MaxSessions bound what the store
// keeps. The in-memory adapter implements it for one process, and so does
// adapter.Cluster, on each node: a client that comes back to the node it
// left recovers, one that reaches another node does not, and gets a new
// session, unless the cluster adapter stores sessions where every node
// finds them, as adapter/redis's NewStreams does.
type SessionStore interface {
	// PersistSession keeps s, which the caller no longer modifies.
	PersistSession(s *Session)
	// RestoreSession takes out of the store the session pid, if it is
	// known and not expired and the store still holds the packet at
	// offset. It then calls resume with it and with the packets broadcast
	// after offset that its rooms select, in order, and returns true. A
	// packet broadcast while it runs either is among those handed to
	// resume or is delivered after resume returns, to the rooms resume
	// joined: so each one reaches the recovered socket once. resume must
	// not broadcast. Otherwise it returns false without calling resume.
	RestoreSession(ctx context.Context, pid, offset string, resume func(s *Session, missed []*Packet)) (bool, error)
}

// recoveryAuth returns the pid and offset of a CONNECT's auth when both
// are strings, as Node requires.
func recoveryAuth(auth json.RawMessage) (pid, offset string, ok bool) {
	var a struct {
		PID    any `json:"pid"`
		Offset any `json:"offset"`
	}
	if len(auth) == 0 || json.Unmarshal(auth, &a) != nil {
		return "", "", false
	}
	pid, ok1 := a.PID.(string)
	offset, ok2 := a.Offset.(string)
	return pid, offset, ok1 && ok2
}

// withOffset returns a copy of p whose event gets offset as its last
// argument. Its messages are not encoded yet.
func (p *Packet) withOffset(offset uint64) *Packet {
	data := bytes.TrimRight(p.data, " \t\r\n")
	if len(data) == 0 || data[len(data)-1] != ']' {
		data = p.data // not an array: leave it, the parser refuses it anyway
		return &Packet{nsp: p.nsp, data: data, attachments: p.attachments}
	}
	out := make([]byte, 0, len(data)+24)
	out = append(out, data[:len(data)-1]...)
	out = append(out, ',', '"')
	out = strconv.AppendUint(out, offset, 10)
	out = append(out, '"', ']')
	return &Packet{nsp: p.nsp, data: out, attachments: p.attachments}
}

// Recovered reports whether the socket got the id, rooms and data of a
// previous session back through connection state recovery. It is set
// before the connection handlers run and does not change afterwards.
func (s *Socket) Recovered() bool { return s.recovered }

// sessionStore returns the namespace's adapter as a SessionStore when
// recovery is on and the adapter supports it.
func (n *Namespace) sessionStore() SessionStore {
	if n.server.opts.ConnectionStateRecovery == nil {
		return nil
	}
	store, _ := n.Adapter().(SessionStore)
	return store
}

// sessionRooms returns the rooms of s, which disconnects for reason, if it
// is to leave a session behind; nil otherwise.
func (s *Socket) sessionRooms(a Adapter, reason DisconnectReason) []string {
	if s.pid == "" || !reason.Recoverable() || s.nsp.sessionStore() == nil {
		return nil
	}
	return a.SocketRooms(s.id)
}

// persist leaves a session behind for s, which has left rooms, unless
// rooms is nil.
func (s *Socket) persist(rooms []string) {
	if rooms == nil {
		return
	}
	if store := s.nsp.sessionStore(); store != nil {
		store.PersistSession(&Session{ID: s.id, PID: s.pid, Rooms: rooms, Data: s.dataSnapshot()})
	}
}

// emitStored is Socket.Emit with recovery on: the event goes through the
// adapter to the socket's own room, so that it is numbered and kept. As in
// Node, an event emitted while the socket is away is kept too, and reaches
// the client if it recovers the session; Emit still reports ErrClosed.
func (s *Socket) emitStored(a Adapter, event string, args []any) error {
	p, err := newEventPacket(s.nsp.name, event, args...)
	if err != nil {
		return err
	}
	err = a.Broadcast(context.Background(), p, BroadcastOptions{
		Rooms: []string{s.id},
		Flags: BroadcastFlags{Local: true},
	})
	if st := socketState(s.state.Load()); err == nil && st != connected && st != disconnecting {
		err = ErrClosed
	}
	return err
}

// recoveryRequest is what a CONNECT asks of connection state recovery.
type recoveryRequest struct {
	pid, offset     string
	skipMiddleware  bool // try to recover before the middleware, skipping it if that works
	afterMiddleware bool // try to recover once the middleware accepted
}

// recoveryRequest gives s, a socket of n that connects, its private
// session id when recovery is on, and says when to try to recover the
// session its client asks for. A child of a dynamic namespace is known only
// after the middleware: its sessions are tried then.
func (n *Namespace) recoveryRequest(s *Socket) recoveryRequest {
	cfg := n.server.opts.ConnectionStateRecovery
	if cfg == nil {
		return recoveryRequest{}
	}
	s.pid = randid.New(randid.Len)
	pid, offset, ok := recoveryAuth(s.handshake.Auth)
	if !ok {
		return recoveryRequest{}
	}
	skip := !cfg.RunMiddlewares && n.parent == nil
	return recoveryRequest{pid: pid, offset: offset, skipMiddleware: skip, afterMiddleware: !skip}
}

// resume recovers the session req names for s, a socket of n that is
// admitted already (or needs no admission: a static namespace), and
// reports whether it did: then s is connected with the session's id,
// rooms and data, has been sent what it missed, and the connection
// handlers have run; or it went away meanwhile. When it did not, s is
// still connecting and nothing has changed.
func (n *Namespace) resume(s *Socket, req recoveryRequest) bool {
	store := n.sessionStore()
	if store == nil {
		return false
	}
	entered := false
	ok, err := store.RestoreSession(s.Context(), req.pid, req.offset, func(sess *Session, missed []*Packet) {
		s.id, s.pid, s.recovered = sess.ID, sess.PID, true
		s.mergeData(sess.Data)
		if entered = n.enter(s, sess.Rooms); entered {
			for _, p := range missed {
				if msgs, err := p.messages(n.server.opts.Parser); err == nil {
					_ = s.send(msgs)
				}
			}
		}
	})
	if err != nil {
		n.server.logger.Debug("socket: restoring a session failed", "nsp", n.name, "err", err)
	}
	if !ok {
		return false
	}
	if !entered {
		n.server.release(n)
		return true
	}
	n.server.logger.Debug("socket: session recovered", "nsp", n.name, "id", s.id)
	n.runConnectionHandlers(s)
	return true
}

// mergeData gives s the data of a recovered session, under what the
// middleware may have set already.
func (s *Socket) mergeData(data map[string]any) {
	if len(data) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	merged := maps.Clone(data)
	maps.Copy(merged, s.data)
	s.data = merged
}
