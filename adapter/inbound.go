package redisadapter

import (
	"context"
	"sync"
	"time"

	"github.com/envivo/socketio/socket"
)

// This file holds what a node does with the messages of the others, once
// a transport has decoded them. Requests run on the subscriber's
// goroutine, in the order they were published.

// drop logs a message from the bus that cannot be used.
func (c *core) drop(channel string, err error) {
	c.log.Warn("redisadapter: dropping bad message", "channel", channel, "err", err)
}

// onBroadcast delivers a broadcast of another node to the local sockets.
func (c *core) onBroadcast(p *socket.Packet, opts socket.BroadcastOptions) {
	_ = c.MemoryAdapter.Broadcast(c.ctx, p, opts)
}

// onBroadcastWithAck delivers a broadcast of node from to the local
// sockets, answers with their count, then forwards each of their acks,
// for timeout (the request timeout if 0).
func (c *core) onBroadcastWithAck(from, id string, p *socket.Packet, opts socket.BroadcastOptions, timeout time.Duration) {
	if timeout <= 0 {
		timeout = c.timeout
	}
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	f := &ackForwarder{c: c, to: from, id: id, cancel: cancel}
	_ = c.MemoryAdapter.BroadcastWithAck(ctx, p, opts, f)
}

// ackForwarder is the AckReceiver of a broadcast that another node asked
// for: it sends the client count and every ack back to that node.
type ackForwarder struct {
	c      *core
	to, id string
	cancel context.CancelFunc

	mu       sync.Mutex
	expected int
	received int
}

// Expect implements socket.AckReceiver.
func (f *ackForwarder) Expect(n int) {
	f.mu.Lock()
	f.expected += n
	f.mu.Unlock()
	m, err := f.c.t.clientCountAnswer(f.to, f.id, n)
	f.c.sendAnswer("answer client count", m, err)
	f.finish()
}

// Reply implements socket.AckReceiver.
func (f *ackForwarder) Reply(args socket.Args) {
	f.mu.Lock()
	f.received++
	f.mu.Unlock()
	m, err := f.c.t.ackAnswer(f.to, f.id, firstArg(args))
	f.c.sendAnswer("answer ack", m, err)
	f.finish()
}

// Fail implements socket.AckReceiver: the answers will not come, so there
// is nothing left to forward.
func (f *ackForwarder) Fail(error) { f.cancel() }

// finish releases the broadcast's context once every client answered.
func (f *ackForwarder) finish() {
	f.mu.Lock()
	done := f.received >= f.expected
	f.mu.Unlock()
	if done {
		f.cancel()
	}
}

// onJoin, onLeave and onDisconnect apply another node's request to the
// local sockets.
func (c *core) onJoin(opts socket.BroadcastOptions, rooms []string) { c.joinLocal(opts, rooms) }

func (c *core) onLeave(opts socket.BroadcastOptions, rooms []string) { c.leaveLocal(opts, rooms) }

func (c *core) onDisconnect(opts socket.BroadcastOptions, close bool) {
	_ = c.MemoryAdapter.DisconnectSockets(c.ctx, opts, close)
}

// onFetch answers node from with the local sockets opts selects.
func (c *core) onFetch(from, id string, opts socket.BroadcastOptions) {
	sockets, _ := c.MemoryAdapter.FetchSockets(c.ctx, opts)
	m, err := c.t.fetchAnswer(from, id, sockets)
	c.sendAnswer("answer fetch sockets", m, err)
}

// onAllRooms answers node from with the local rooms.
func (c *core) onAllRooms(from, id string) {
	rooms, _ := c.MemoryAdapter.AllRooms(c.ctx)
	m, err := c.t.allRoomsAnswer(from, id, rooms)
	c.sendAnswer("answer all rooms", m, err)
}

// onServerSideEmit hands another node's server-side emit to the
// namespace's handler; with an id, the handler's first answer goes back.
func (c *core) onServerSideEmit(from, id string, p *socket.Packet) {
	var reply func(socket.Args)
	if id != "" {
		var once sync.Once
		reply = func(args socket.Args) {
			once.Do(func() {
				m, err := c.t.serverSideEmitAnswer(from, id, firstArg(args))
				c.sendAnswer("answer server-side emit", m, err)
			})
		}
	}
	if err := c.nsp.DispatchServerEvent(p, reply); err != nil {
		c.drop("server-side emit", err)
	}
}

// onFetchAnswer, onRoomsAnswer, onEmitAnswer, onClientCount and onAck take
// the answers to this node's requests; answers to requests that are not
// open (late, or another node's) are ignored.
func (c *core) onFetchAnswer(id string, sockets []*socket.RemoteSocket) {
	c.reqs.update(id, fetchRequest, true, func(r *request) { r.sockets = append(r.sockets, sockets...) })
}

func (c *core) onRoomsAnswer(id string, rooms []string) {
	c.reqs.update(id, roomsRequest, true, func(r *request) { r.rooms = append(r.rooms, rooms...) })
}

func (c *core) onEmitAnswer(id string, arg value) {
	if r := c.reqs.update(id, emitRequest, true, nil); r != nil {
		r.acks.Reply(arg.args())
	}
}

func (c *core) onClientCount(id string, n int) {
	// Expect runs before the last count releases BroadcastWithAck.
	c.reqs.update(id, broadcastRequest, true, func(r *request) {
		r.clients += n
		r.acks.Expect(n)
	})
}

func (c *core) onAck(id string, arg value) {
	if r := c.reqs.update(id, broadcastRequest, false, func(r *request) { r.acked++ }); r != nil {
		r.acks.Reply(arg.args())
	}
}
