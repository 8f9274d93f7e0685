package adapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/envivo/socketio/internal/randid"
	"github.com/envivo/socketio/socket"
)

var (
	// ErrTimeout is wrapped by the error of a request that other nodes did
	// not all answer within the request timeout.
	ErrTimeout = errors.New("adapter: request timed out")
	// ErrClosed is wrapped by the error of a request interrupted because
	// the adapter was closed.
	ErrClosed = errors.New("adapter: adapter closed")
	// ErrNoAllRooms is what a Transport's EncodeAllRooms returns when its
	// format has no all-rooms request: Cluster then gets the rooms of the
	// other nodes by fetching their sockets, as Node's sharded adapter does.
	ErrNoAllRooms = errors.New("adapter: no all-rooms request in this format")
)

// Cluster is the part of a cluster adapter that every backend shares. It
// implements socket.Adapter for one namespace: the local part of each
// operation through a Local adapter, the rest through requests to the
// other nodes that its Transport encodes and carries. The backend calls
// its On methods with the messages it receives from the other nodes, in
// the order they were sent, from one goroutine per namespace or more.
//
// It is safe for concurrent use. Its On methods never wait for the
// network: the answers they send are queued with Transport.Post.
type Cluster struct {
	local   Local
	nsp     *socket.Namespace
	uid     string
	log     *slog.Logger
	timeout time.Duration
	t       Transport
	newID   func() string
	reqs    registry
	stats   requestStats

	ctx       context.Context // ends with Close
	cancel    context.CancelFunc
	closeOnce sync.Once
}

// ClusterOptions configure a Cluster.
type ClusterOptions struct {
	// UID is this node's id in the messages. Defaults to 16 random
	// characters.
	UID string
	// NewRequestID returns the id of a new request. Defaults to 16 random
	// characters.
	NewRequestID func() string
	// RequestTimeout bounds how long a request waits for the other nodes'
	// answers (and, without a context deadline, a broadcast for its
	// acknowledgements). Defaults to 5 seconds.
	RequestTimeout time.Duration
	// Logger receives the messages that cannot be used and the answers
	// that cannot be sent. Defaults to the server's logger.
	Logger *slog.Logger
}

// NewCluster returns the adapter of nsp over t. The backend keeps the
// Cluster to call its On methods, and hands it (or a type that embeds it)
// to the server as nsp's adapter.
func NewCluster(nsp *socket.Namespace, t Transport, opts ClusterOptions) *Cluster {
	c := &Cluster{local: NewLocal(nsp), nsp: nsp, t: t, uid: opts.UID, newID: opts.NewRequestID, timeout: opts.RequestTimeout}
	if c.uid == "" {
		c.uid = randid.New(16)
	}
	if c.newID == nil {
		c.newID = func() string { return randid.New(16) }
	}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = nsp.Server().Logger()
	}
	c.log = log.With("nsp", nsp.Name(), "uid", c.uid)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// UID returns this node's id.
func (c *Cluster) UID() string { return c.uid }

// Namespace returns the namespace the adapter serves.
func (c *Cluster) Namespace() *socket.Namespace { return c.nsp }

// Local returns the in-memory adapter of this node's sockets.
func (c *Cluster) Local() Local { return c.local }

// Logger returns the logger of the adapter, with its namespace and uid.
func (c *Cluster) Logger() *slog.Logger { return c.log }

// Context returns a context that ends when the adapter is closed.
func (c *Cluster) Context() context.Context { return c.ctx }

// Drop logs a message from another node that cannot be used, at warning
// level: where it came from (such as a channel) and why.
func (c *Cluster) Drop(from string, err error) {
	c.log.Warn("adapter: dropping bad message", "from", from, "err", err)
}

// send encodes a message for op and hands it to the transport, waiting
// until it has been sent or ctx ends.
func (c *Cluster) send(ctx context.Context, op string, encode func() (Message, error)) error {
	m, err := encode()
	if err == nil {
		err = c.t.Send(ctx, m)
	}
	if err != nil {
		return fmt.Errorf("adapter: %s: %w", op, err)
	}
	return nil
}

// post encodes a message for op and queues it with the transport, without
// waiting for it to be sent.
func (c *Cluster) post(ctx context.Context, op string, encode func() (Message, error)) error {
	m, err := encode()
	if err == nil {
		err = c.t.Post(ctx, m)
	}
	if err != nil {
		return fmt.Errorf("adapter: %s: %w", op, err)
	}
	return nil
}

// sendAnswer queues an answer to another node's request, from the
// goroutine that handles the bus, which must never wait for the network;
// a failure is only logged. An answer still queued when the adapter
// closes is not sent.
func (c *Cluster) sendAnswer(op string, m Message, err error) {
	if err == nil {
		err = c.t.Post(c.ctx, m)
	}
	if err != nil {
		c.log.Debug("adapter: answer not sent", "op", op, "err", err)
	}
}

// AddAll implements socket.Adapter on this node.
func (c *Cluster) AddAll(id string, rooms ...string) { c.local.AddAll(id, rooms...) }

// Del implements socket.Adapter on this node.
func (c *Cluster) Del(id, room string) { c.local.Del(id, room) }

// DelAll implements socket.Adapter on this node.
func (c *Cluster) DelAll(id string) { c.local.DelAll(id) }

// SocketRooms implements socket.Adapter on this node.
func (c *Cluster) SocketRooms(id string) []string { return c.local.SocketRooms(id) }

// PersistSession implements socket.SessionStore on this node: a client
// recovers its session only on the node it left, unless the backend
// stores sessions itself (a type that embeds Cluster then overrides it).
func (c *Cluster) PersistSession(s *socket.Session) { c.local.PersistSession(s) }

// RestoreSession implements socket.SessionStore on this node, as
// PersistSession.
func (c *Cluster) RestoreSession(ctx context.Context, pid, offset string, resume func(*socket.Session, []*socket.Packet)) (bool, error) {
	return c.local.RestoreSession(ctx, pid, offset, resume)
}

// Broadcast implements socket.Adapter: it delivers p to the local sockets,
// then posts it to the other nodes unless opts.Flags.Local is set, and
// returns without waiting for the network, as Node's adapters publish
// without waiting. It returns an error, after the local delivery, when the
// transport refuses the message (Transport.Post says why).
func (c *Cluster) Broadcast(ctx context.Context, p *socket.Packet, opts socket.BroadcastOptions) error {
	_ = c.local.Broadcast(ctx, p, opts)
	if opts.Flags.Local {
		return nil
	}
	return c.post(ctx, "broadcast", func() (Message, error) { return c.t.EncodeBroadcast(p, opts) })
}

// BroadcastWithAck implements socket.Adapter. It asks the other nodes for
// their client counts and returns once each has answered, having called
// acks.Expect for every node; the clients' acks keep arriving at
// acks.Reply until ctx ends (or, without a deadline, for the request
// timeout). It fails with ErrTimeout if a node does not answer in time.
func (c *Cluster) BroadcastWithAck(ctx context.Context, p *socket.Packet, opts socket.BroadcastOptions, acks socket.AckReceiver) error {
	if opts.Flags.Local {
		return c.local.BroadcastWithAck(ctx, p, opts, acks)
	}
	others, err := c.others(ctx)
	if err != nil || others == 0 {
		_ = c.local.BroadcastWithAck(ctx, p, opts, acks)
		return err
	}
	start := time.Now()
	id := c.newID()
	r := newRequest(BroadcastRequest, others)
	r.acks = acks
	window := c.window(ctx)
	c.open(ctx, id, r, window, nil)
	err = c.send(ctx, "broadcast with ack", func() (Message, error) { return c.t.EncodeBroadcastWithAck(id, p, opts, window) })
	_ = c.local.BroadcastWithAck(ctx, p, opts, acks)
	if err != nil {
		c.reqs.remove(id)
	} else {
		err = c.await(ctx, r, BroadcastRequest)
	}
	c.stats.requested(start, err)
	return err
}

// window returns how long acknowledgements are awaited: until ctx's
// deadline, or the request timeout without one.
func (c *Cluster) window(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Millisecond)
	}
	return c.timeout
}

// open registers request r under id until window has passed or ctx ends;
// expire, if not nil, runs if the window passes first.
func (c *Cluster) open(ctx context.Context, id string, r *request, window time.Duration, expire func()) {
	c.reqs.mu.Lock() // the timers' removals wait until r is registered
	defer c.reqs.mu.Unlock()
	timer := time.AfterFunc(window, func() {
		if c.reqs.remove(id) && expire != nil {
			expire()
		}
	})
	stop := context.AfterFunc(ctx, func() { c.reqs.remove(id) })
	r.release = func() {
		timer.Stop()
		stop()
	}
	c.reqs.addLocked(id, r)
}

// await waits until every node has answered r, ctx ends, the request
// timeout passes or the adapter closes.
func (c *Cluster) await(ctx context.Context, r *request, kind RequestKind) error {
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("adapter: %s: %w", kind, ctx.Err())
	case <-c.ctx.Done():
		return fmt.Errorf("%w: %s interrupted", ErrClosed, kind)
	case <-timer.C:
		got, want := c.reqs.progress(r)
		return fmt.Errorf("%w: %s: %d of %d other nodes answered within %v", ErrTimeout, kind, got, want, c.timeout)
	}
}

// ServerCount implements socket.Adapter: Transport.CountNodes, at least 1.
// It returns when the transport answers, ctx ends or the request timeout
// passes, whichever comes first.
func (c *Cluster) ServerCount(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	n, err := c.t.CountNodes(ctx)
	if err != nil {
		return 0, fmt.Errorf("adapter: server count: %w", err)
	}
	return max(n, 1), nil
}

// others returns the number of other nodes.
func (c *Cluster) others(ctx context.Context) (int, error) {
	n, err := c.ServerCount(ctx)
	return n - 1, err
}

// FetchSockets implements socket.Adapter: the local sockets, then those of
// the other nodes unless opts.Flags.Local is set.
func (c *Cluster) FetchSockets(ctx context.Context, opts socket.BroadcastOptions) ([]*socket.RemoteSocket, error) {
	local, _ := c.local.FetchSockets(ctx, opts)
	if opts.Flags.Local {
		return local, nil
	}
	r, err := c.ask(ctx, FetchRequest, func(id string) (Message, error) { return c.t.EncodeFetchSockets(id, opts) })
	if err != nil {
		return nil, err
	}
	return append(local, r.sockets...), nil
}

// ask sends a request to the other nodes and waits for all their answers.
// With no other node, it returns an empty request.
func (c *Cluster) ask(ctx context.Context, kind RequestKind, encode func(id string) (Message, error)) (*request, error) {
	others, err := c.others(ctx)
	if err != nil || others == 0 {
		return newRequest(kind, 0), err
	}
	start := time.Now()
	id := c.newID()
	r := newRequest(kind, others)
	c.reqs.add(id, r)
	defer c.reqs.remove(id)
	err = c.send(ctx, kind.String(), func() (Message, error) { return encode(id) })
	if err == nil {
		err = c.await(ctx, r, kind)
	}
	if errors.Is(err, ErrNoAllRooms) {
		return nil, err // not a request: AllRooms fetches sockets instead
	}
	c.stats.requested(start, err)
	if err != nil {
		return nil, err
	}
	return r, nil // read by the caller once the deferred remove stopped the answers
}

// AllRooms implements socket.Adapter: the rooms of every node.
func (c *Cluster) AllRooms(ctx context.Context) ([]string, error) {
	local, _ := c.local.AllRooms(ctx)
	remote, err := c.remoteRooms(ctx)
	if err != nil {
		return nil, err
	}
	return dedupe(append(local, remote...)), nil
}

// remoteRooms returns the rooms of the other nodes, by an all-rooms
// request or, when the transport has none, by fetching their sockets.
func (c *Cluster) remoteRooms(ctx context.Context) ([]string, error) {
	r, err := c.ask(ctx, RoomsRequest, c.t.EncodeAllRooms)
	if !errors.Is(err, ErrNoAllRooms) {
		if err != nil {
			return nil, err
		}
		return r.rooms, nil
	}
	r, err = c.ask(ctx, FetchRequest, func(id string) (Message, error) {
		return c.t.EncodeFetchSockets(id, socket.BroadcastOptions{})
	})
	if err != nil {
		return nil, err
	}
	var rooms []string
	for _, s := range r.sockets {
		rooms = append(rooms, s.Rooms...)
	}
	return rooms, nil
}

// dedupe returns list without repeated strings, in no particular order.
func dedupe(list []string) []string {
	seen := make(map[string]struct{}, len(list))
	out := list[:0]
	for _, s := range list {
		if _, dup := seen[s]; !dup {
			seen[s] = struct{}{}
			out = append(out, s)
		}
	}
	return out
}

// AddSockets implements socket.Adapter: the selected sockets join rooms
// here at once, and on the other nodes unless opts.Flags.Local is set.
func (c *Cluster) AddSockets(ctx context.Context, opts socket.BroadcastOptions, rooms []string) error {
	c.joinLocal(opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	return c.send(ctx, "sockets join", func() (Message, error) { return c.t.EncodeAddSockets(opts, rooms) })
}

// DelSockets implements socket.Adapter, as AddSockets.
func (c *Cluster) DelSockets(ctx context.Context, opts socket.BroadcastOptions, rooms []string) error {
	c.leaveLocal(opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	return c.send(ctx, "sockets leave", func() (Message, error) { return c.t.EncodeDelSockets(opts, rooms) })
}

// DisconnectSockets implements socket.Adapter, as AddSockets.
func (c *Cluster) DisconnectSockets(ctx context.Context, opts socket.BroadcastOptions, close bool) error {
	_ = c.local.DisconnectSockets(ctx, opts, close)
	if opts.Flags.Local {
		return nil
	}
	return c.send(ctx, "disconnect sockets", func() (Message, error) { return c.t.EncodeDisconnectSockets(opts, close) })
}

// joinLocal makes the selected local sockets join rooms through
// Socket.Join, so that the namespace's adapter (which may be a type that
// embeds c) sees every new room.
func (c *Cluster) joinLocal(opts socket.BroadcastOptions, rooms []string) {
	for _, s := range c.local.Sockets(opts) {
		s.Join(rooms...)
	}
}

func (c *Cluster) leaveLocal(opts socket.BroadcastOptions, rooms []string) {
	for _, s := range c.local.Sockets(opts) {
		for _, room := range rooms {
			s.Leave(room)
		}
	}
}

// ServerSideEmit implements socket.Adapter. With acks, it calls
// acks.Expect with the number of other nodes and returns; their answers
// reach acks.Reply until ctx ends or the request timeout passes, after
// which later answers are dropped and acks.Fail gets an ErrTimeout error.
func (c *Cluster) ServerSideEmit(ctx context.Context, p *socket.Packet, acks socket.AckReceiver) error {
	if acks == nil {
		return c.send(ctx, "server-side emit", func() (Message, error) { return c.t.EncodeServerSideEmit("", p) })
	}
	others, err := c.others(ctx)
	if err != nil {
		return err
	}
	acks.Expect(others)
	if others == 0 {
		return nil
	}
	id := c.newID()
	r := newRequest(EmitRequest, others)
	r.acks = acks
	c.open(ctx, id, r, c.timeout, func() { c.expired(r, acks) })
	err = c.send(ctx, "server-side emit", func() (Message, error) { return c.t.EncodeServerSideEmit(id, p) })
	if err != nil {
		c.reqs.remove(id)
	}
	return err
}

func (c *Cluster) expired(r *request, acks socket.AckReceiver) {
	got, want := c.reqs.progress(r)
	err := fmt.Errorf("%w: server-side emit: %d of %d other nodes answered within %v", ErrTimeout, got, want, c.timeout)
	c.log.Warn("adapter: server-side emit timed out", "answered", got, "expected", want)
	acks.Fail(err)
}

// Close implements socket.Adapter: pending requests fail with ErrClosed,
// then the transport releases what it holds for this adapter
// (Transport.Release). Closing twice does nothing.
func (c *Cluster) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.cancel()
		c.reqs.closeAll()
		_ = c.local.Close()
		err = c.t.Release()
	})
	return err
}
