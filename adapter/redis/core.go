package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/envivo/socketio/socket"
)

var (
	// ErrTimeout is wrapped by the error of a request that other nodes did
	// not all answer within the request timeout.
	ErrTimeout = errors.New("redisadapter: request timed out")
	// ErrClosed is wrapped by the error of a request interrupted because
	// the adapter was closed.
	ErrClosed = errors.New("redisadapter: adapter closed")
	// ErrUnavailable is wrapped by the error of an operation that needed
	// Redis while Redis was failing: the adapter did not try Redis again
	// (it does, once per half second, until it answers). The local part
	// of the operation was done.
	ErrUnavailable = errors.New("redisadapter: Redis unavailable")
)

// message is an encoded message for the bus, and the channel it goes to.
type message struct {
	channel string
	payload []byte
}

// transport is what differs between the classic and the sharded adapter:
// channels and message formats. Its request methods encode a message to
// every other node; its answer methods a message to the node whose uid is
// to. Sending is the core's business.
type transport interface {
	serverCount(ctx context.Context) (int, error)
	broadcast(p *socket.Packet, opts socket.BroadcastOptions) (message, error)
	broadcastWithAck(id string, p *socket.Packet, opts socket.BroadcastOptions, timeout time.Duration) (message, error)
	fetch(id string, opts socket.BroadcastOptions) (message, error)
	allRooms(id string) (message, error)
	join(opts socket.BroadcastOptions, rooms []string) (message, error)
	leave(opts socket.BroadcastOptions, rooms []string) (message, error)
	disconnect(opts socket.BroadcastOptions, close bool) (message, error)
	serverSideEmit(id string, p *socket.Packet) (message, error)

	clientCountAnswer(to, id string, n int) (message, error)
	ackAnswer(to, id string, arg value) (message, error)
	fetchAnswer(to, id string, sockets []*socket.RemoteSocket) (message, error)
	allRoomsAnswer(to, id string, rooms []string) (message, error)
	serverSideEmitAnswer(to, id string, arg value) (message, error)
}

// core implements socket.Adapter over a transport: the local part through
// the embedded MemoryAdapter, the rest through requests to the other
// nodes. The transports call its on* methods with the messages they
// decode. Its connections to Redis belong to the hub it shares with the
// other adapters of its factory.
type core struct {
	*socket.MemoryAdapter
	nsp     *socket.Namespace
	uid     string
	log     *slog.Logger
	timeout time.Duration
	t       transport
	newID   func() string // request ids
	reqs    registry
	hubs    *hubs
	hub     *hub
	health  *health       // the hub's
	reg     *registration // this adapter's subscriptions
	stats   counters      // read by AdapterStats

	// roomsByFetch makes AllRooms fetch every socket, for transports with
	// no all-rooms request (the sharded adapter, as Node's).
	roomsByFetch bool

	ctx       context.Context // ends with Close
	cancel    context.CancelFunc
	closeOnce sync.Once
}

// init sets up the parts every mode shares; a nil log means the server's.
// The transport then registers its subscriptions with c.hub.
func (c *core) init(nsp *socket.Namespace, uid string, log *slog.Logger, timeout time.Duration, hs *hubs) {
	if log == nil {
		log = nsp.Server().Logger()
	}
	c.MemoryAdapter = socket.NewMemoryAdapter(nsp)
	c.nsp, c.uid, c.log, c.timeout = nsp, uid, log.With("nsp", nsp.Name(), "uid", uid), timeout
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.hubs, c.hub = hs, hs.acquire(nsp)
	c.health = &c.hub.health
}

// send queues the message that encode returns, for op, and waits until it
// has been sent or ctx ends. It returns nil, or an error wrapping the
// encoding error, ErrUnavailable (Redis known to be failing; nothing was
// queued), ErrQueueFull, Redis's error, or ctx's (the message is then not
// sent unless it had already left).
func (c *core) send(ctx context.Context, op string, encode func() (message, error)) error {
	m, err := encode()
	if err == nil {
		err = c.hub.pub.send(ctx, m, &c.stats)
	}
	if err != nil {
		return fmt.Errorf("redisadapter: %s: %w", op, err)
	}
	return nil
}

// post queues the message that encode returns, for op, and returns at
// once: nil once the message is queued (its delivery is not awaited, and
// a failure to send it is logged), or an error wrapping the encoding
// error, ErrUnavailable or ErrQueueFull, the message then dropped.
func (c *core) post(ctx context.Context, op string, encode func() (message, error)) error {
	m, err := encode()
	if err == nil {
		err = c.hub.pub.post(ctx, m, &c.stats)
	}
	if err != nil {
		return fmt.Errorf("redisadapter: %s: %w", op, err)
	}
	return nil
}

// sendAnswer queues an answer to another node's request, from the
// goroutine that handles the bus, which must never wait for Redis; a
// failure is only logged. An answer still queued when the adapter closes
// is not sent.
func (c *core) sendAnswer(op string, m message, err error) {
	if err == nil {
		err = c.hub.pub.post(c.ctx, m, &c.stats)
	}
	if err != nil {
		c.log.Debug("redisadapter: answer not sent", "op", op, "err", err)
	}
}

// Broadcast implements socket.Adapter: it delivers p to the local sockets,
// then queues it for the other nodes unless opts.Flags.Local is set, and
// returns without waiting for Redis, as Node's adapter publishes without
// waiting. It returns an error, after the local delivery, when the message
// is dropped: Redis is known to be failing (ErrUnavailable) or the publish
// queue is full (ErrQueueFull). A queued message that Redis then fails to
// take is logged, not returned; one still queued when ctx ends is dropped.
func (c *core) Broadcast(ctx context.Context, p *socket.Packet, opts socket.BroadcastOptions) error {
	_ = c.MemoryAdapter.Broadcast(ctx, p, opts)
	if opts.Flags.Local {
		return nil
	}
	return c.post(ctx, "broadcast", func() (message, error) { return c.t.broadcast(p, opts) })
}

// BroadcastWithAck implements socket.Adapter. It asks the other nodes for
// their client counts and returns once each has answered, having called
// acks.Expect for every node; the clients' acks keep arriving at
// acks.Reply until ctx ends (or, without a deadline, for the request
// timeout). It fails with ErrTimeout if a node does not answer in time.
func (c *core) BroadcastWithAck(ctx context.Context, p *socket.Packet, opts socket.BroadcastOptions, acks socket.AckReceiver) error {
	if opts.Flags.Local {
		return c.MemoryAdapter.BroadcastWithAck(ctx, p, opts, acks)
	}
	others, err := c.others(ctx)
	if err != nil || others == 0 {
		_ = c.MemoryAdapter.BroadcastWithAck(ctx, p, opts, acks)
		return err
	}
	start := time.Now()
	id := c.newID()
	r := newRequest(broadcastRequest, others)
	r.acks = acks
	window := c.window(ctx)
	c.open(ctx, id, r, window, nil)
	err = c.send(ctx, "broadcast with ack", func() (message, error) { return c.t.broadcastWithAck(id, p, opts, window) })
	if err != nil {
		c.reqs.remove(id)
		_ = c.MemoryAdapter.BroadcastWithAck(ctx, p, opts, acks)
		c.stats.requested(start, err)
		return err
	}
	_ = c.MemoryAdapter.BroadcastWithAck(ctx, p, opts, acks)
	err = c.await(ctx, r, broadcastRequest)
	c.stats.requested(start, err)
	return err
}

// window returns how long acknowledgements are awaited: until ctx's
// deadline, or the request timeout without one.
func (c *core) window(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Millisecond)
	}
	return c.timeout
}

// open registers request r under id until window has passed or ctx ends;
// expire, if not nil, runs if the window passes first.
func (c *core) open(ctx context.Context, id string, r *request, window time.Duration, expire func()) {
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
func (c *core) await(ctx context.Context, r *request, kind requestKind) error {
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("redisadapter: %s: %w", kind, ctx.Err())
	case <-c.ctx.Done():
		return fmt.Errorf("%w: %s interrupted", ErrClosed, kind)
	case <-timer.C:
		got, want := c.reqs.progress(r)
		return fmt.Errorf("%w: %s: %d of %d other nodes answered within %v", ErrTimeout, kind, got, want, c.timeout)
	}
}

// ServerCount implements socket.Adapter: the nodes subscribed to this
// namespace's channels, as Node counts them (at least 1). It returns when
// Redis answers, ctx ends or the request timeout passes, whichever comes
// first, even if Redis hangs.
func (c *core) ServerCount(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var n int
	err := c.health.allow()
	if err == nil {
		err = c.hub.query(ctx, func(ctx context.Context) (err error) {
			n, err = c.t.serverCount(ctx)
			c.health.observe(c.log, "server count", err)
			return err
		})
	}
	if err != nil {
		return 0, fmt.Errorf("redisadapter: server count: %w", err)
	}
	return max(n, 1), nil
}

// others returns the number of other nodes.
func (c *core) others(ctx context.Context) (int, error) {
	n, err := c.ServerCount(ctx)
	return n - 1, err
}

// FetchSockets implements socket.Adapter: the local sockets, then those of
// the other nodes unless opts.Flags.Local is set.
func (c *core) FetchSockets(ctx context.Context, opts socket.BroadcastOptions) ([]*socket.RemoteSocket, error) {
	local, _ := c.MemoryAdapter.FetchSockets(ctx, opts)
	if opts.Flags.Local {
		return local, nil
	}
	r, err := c.ask(ctx, fetchRequest, func(id string) (message, error) { return c.t.fetch(id, opts) })
	if err != nil {
		return nil, err
	}
	return append(local, r.sockets...), nil
}

// ask sends a request to the other nodes with publish and waits for all
// their answers. With no other node, it returns an empty request.
func (c *core) ask(ctx context.Context, kind requestKind, encode func(id string) (message, error)) (*request, error) {
	others, err := c.others(ctx)
	if err != nil || others == 0 {
		return newRequest(kind, 0), err
	}
	start := time.Now()
	id := c.newID()
	r := newRequest(kind, others)
	c.reqs.add(id, r)
	defer c.reqs.remove(id)
	err = c.send(ctx, kind.String(), func() (message, error) { return encode(id) })
	if err == nil {
		err = c.await(ctx, r, kind)
	}
	c.stats.requested(start, err)
	if err != nil {
		return nil, err
	}
	return r, nil // read by the caller once the deferred remove stopped the answers
}

// AllRooms implements socket.Adapter: the rooms of every node.
func (c *core) AllRooms(ctx context.Context) ([]string, error) {
	local, _ := c.MemoryAdapter.AllRooms(ctx)
	var remote []string
	if c.roomsByFetch {
		r, err := c.ask(ctx, fetchRequest, func(id string) (message, error) {
			return c.t.fetch(id, socket.BroadcastOptions{})
		})
		if err != nil {
			return nil, err
		}
		for _, s := range r.sockets {
			remote = append(remote, s.Rooms...)
		}
	} else {
		r, err := c.ask(ctx, roomsRequest, c.t.allRooms)
		if err != nil {
			return nil, err
		}
		remote = r.rooms
	}
	return dedupeSlow(append(local, remote...)), nil
}

// AddSockets implements socket.Adapter: the selected sockets join rooms
// here at once, and on the other nodes unless opts.Flags.Local is set.
func (c *core) AddSockets(ctx context.Context, opts socket.BroadcastOptions, rooms []string) error {
	c.joinLocal(opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	return c.send(ctx, "sockets join", func() (message, error) { return c.t.join(opts, rooms) })
}

// DelSockets implements socket.Adapter, as AddSockets.
func (c *core) DelSockets(ctx context.Context, opts socket.BroadcastOptions, rooms []string) error {
	c.leaveLocal(opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	return c.send(ctx, "sockets leave", func() (message, error) { return c.t.leave(opts, rooms) })
}

// DisconnectSockets implements socket.Adapter, as AddSockets.
func (c *core) DisconnectSockets(ctx context.Context, opts socket.BroadcastOptions, close bool) error {
	_ = c.MemoryAdapter.DisconnectSockets(ctx, opts, close)
	if opts.Flags.Local {
		return nil
	}
	return c.send(ctx, "disconnect sockets", func() (message, error) { return c.t.disconnect(opts, close) })
}

// joinLocal makes the selected local sockets join rooms through
// Socket.Join, so that the namespace's adapter sees every new room.
func (c *core) joinLocal(opts socket.BroadcastOptions, rooms []string) {
	selected, _ := c.MemoryAdapter.FetchSockets(c.ctx, opts)
	for _, rs := range selected {
		if s := c.nsp.Socket(rs.ID); s != nil {
			s.Join(rooms...)
		}
	}
}

func (c *core) leaveLocal(opts socket.BroadcastOptions, rooms []string) {
	selected, _ := c.MemoryAdapter.FetchSockets(c.ctx, opts)
	for _, rs := range selected {
		if s := c.nsp.Socket(rs.ID); s != nil {
			for _, room := range rooms {
				s.Leave(room)
			}
		}
	}
}

// ServerSideEmit implements socket.Adapter. With acks, it calls
// acks.Expect with the number of other nodes and returns; their answers
// reach acks.Reply until ctx ends or the request timeout passes, after
// which later answers are dropped and acks.Fail gets an ErrTimeout error.
func (c *core) ServerSideEmit(ctx context.Context, p *socket.Packet, acks socket.AckReceiver) error {
	if acks == nil {
		return c.send(ctx, "server-side emit", func() (message, error) { return c.t.serverSideEmit("", p) })
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
	r := newRequest(emitRequest, others)
	r.acks = acks
	c.open(ctx, id, r, c.timeout, func() { c.expired(r, acks) })
	err = c.send(ctx, "server-side emit", func() (message, error) { return c.t.serverSideEmit(id, p) })
	if err != nil {
		c.reqs.remove(id)
	}
	return err
}

func (c *core) expired(r *request, acks socket.AckReceiver) {
	got, want := c.reqs.progress(r)
	err := fmt.Errorf("%w: server-side emit: %d of %d other nodes answered within %v", ErrTimeout, got, want, c.timeout)
	c.log.Warn("redisadapter: server-side emit timed out", "answered", got, "expected", want)
	acks.Fail(err)
}

// Close implements socket.Adapter: it drops the namespace's
// subscriptions from the shared connection, and pending requests fail
// with ErrClosed. The last adapter of a factory to close also closes the
// connections and waits for their goroutines. Closing twice does nothing.
func (c *core) Close() error {
	c.closeOnce.Do(func() {
		c.cancel()
		c.reg.close()
		c.reqs.closeAll()
		c.hubs.release(c.hub)
	})
	return nil
}
