package adapter

import (
	"context"
	"sync"
	"time"

	"github.com/envivo/socketio/socket"
)

// This file holds what a node does with the messages of the others, once
// its transport has decoded them. The backend calls these methods from the
// goroutine that reads its messages, in the order they were sent; none of
// them waits for the network.

// OnBroadcast delivers a broadcast of another node to the local sockets.
func (c *Cluster) OnBroadcast(p *socket.Packet, opts socket.BroadcastOptions) {
	_ = c.local.Broadcast(c.ctx, p, opts)
}

// OnBroadcastWithAck delivers a broadcast of node from to the local
// sockets, answers with their count, then forwards each of their acks,
// for timeout (the request timeout if 0).
func (c *Cluster) OnBroadcastWithAck(from, id string, p *socket.Packet, opts socket.BroadcastOptions, timeout time.Duration) {
	if timeout <= 0 {
		timeout = c.timeout
	}
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	f := &ackForwarder{c: c, to: from, id: id, cancel: cancel}
	_ = c.local.BroadcastWithAck(ctx, p, opts, f)
}

// ackForwarder is the AckReceiver of a broadcast that another node asked
// for: it sends the client count and every ack back to that node.
type ackForwarder struct {
	c      *Cluster
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
	m, err := f.c.t.EncodeClientCount(f.to, f.id, n)
	f.c.sendAnswer("answer client count", m, err)
	f.finish()
}

// Reply implements socket.AckReceiver.
func (f *ackForwarder) Reply(args socket.Args) {
	f.mu.Lock()
	f.received++
	f.mu.Unlock()
	m, err := f.c.t.EncodeAck(f.to, f.id, firstArg(args))
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

// OnAddSockets, OnDelSockets and OnDisconnectSockets apply another node's
// request to the local sockets.
func (c *Cluster) OnAddSockets(opts socket.BroadcastOptions, rooms []string) {
	c.joinLocal(opts, rooms)
}

// OnDelSockets: see OnAddSockets.
func (c *Cluster) OnDelSockets(opts socket.BroadcastOptions, rooms []string) {
	c.leaveLocal(opts, rooms)
}

// OnDisconnectSockets: see OnAddSockets.
func (c *Cluster) OnDisconnectSockets(opts socket.BroadcastOptions, close bool) {
	_ = c.local.DisconnectSockets(c.ctx, opts, close)
}

// OnFetchSockets answers node from with the local sockets opts selects.
func (c *Cluster) OnFetchSockets(from, id string, opts socket.BroadcastOptions) {
	sockets, _ := c.local.FetchSockets(c.ctx, opts)
	m, err := c.t.EncodeFetchSocketsAnswer(from, id, sockets)
	c.sendAnswer("answer fetch sockets", m, err)
}

// OnAllRooms answers node from with the local rooms.
func (c *Cluster) OnAllRooms(from, id string) {
	rooms, _ := c.local.AllRooms(c.ctx)
	m, err := c.t.EncodeAllRoomsAnswer(from, id, rooms)
	c.sendAnswer("answer all rooms", m, err)
}

// OnServerSideEmit hands another node's server-side emit to the
// namespace's handler (see DispatchServerEvent); with an id, the handler's
// first answer goes back to node from.
func (c *Cluster) OnServerSideEmit(from, id string, p *socket.Packet) {
	var reply func(socket.Args)
	if id != "" {
		var once sync.Once
		reply = func(args socket.Args) {
			once.Do(func() {
				m, err := c.t.EncodeServerSideEmitAnswer(from, id, firstArg(args))
				c.sendAnswer("answer server-side emit", m, err)
			})
		}
	}
	if err := DispatchServerEvent(c.nsp, p, reply); err != nil {
		c.Drop("server-side emit", err)
	}
}

// Pending returns the kind of this node's open request id, and false when
// no such request is open (an answer to it is late, or meant for another
// node). A backend whose answers do not say what they answer uses it to
// decode them.
func (c *Cluster) Pending(id string) (RequestKind, bool) { return c.reqs.kindOf(id) }

// OnFetchSocketsAnswer, OnAllRoomsAnswer, OnServerSideEmitAnswer,
// OnClientCount and OnAck take the answers to this node's requests;
// answers to requests that are not open (late, or another node's) are
// ignored.
func (c *Cluster) OnFetchSocketsAnswer(id string, sockets []*socket.RemoteSocket) {
	c.reqs.update(id, FetchRequest, true, func(r *request) { r.sockets = append(r.sockets, sockets...) })
}

// OnAllRoomsAnswer: see OnFetchSocketsAnswer.
func (c *Cluster) OnAllRoomsAnswer(id string, rooms []string) {
	c.reqs.update(id, RoomsRequest, true, func(r *request) { r.rooms = append(r.rooms, rooms...) })
}

// OnServerSideEmitAnswer: see OnFetchSocketsAnswer.
func (c *Cluster) OnServerSideEmitAnswer(id string, arg socket.Args) {
	if r := c.reqs.update(id, EmitRequest, true, nil); r != nil {
		r.acks.Reply(arg)
	}
}

// OnClientCount: see OnFetchSocketsAnswer.
func (c *Cluster) OnClientCount(id string, n int) {
	// Expect runs before the last count releases BroadcastWithAck.
	c.reqs.update(id, BroadcastRequest, true, func(r *request) {
		r.clients += n
		r.acks.Expect(n)
	})
}

// OnAck: see OnFetchSocketsAnswer.
func (c *Cluster) OnAck(id string, arg socket.Args) {
	if r := c.reqs.update(id, BroadcastRequest, false, func(r *request) { r.acked++ }); r != nil {
		r.acks.Reply(arg)
	}
}

// firstArg returns the first of args alone, or no argument when there is
// none: Node's adapters forward only the first argument of an answer.
func firstArg(args socket.Args) socket.Args { return sock.FirstArg(args) }

// PendingRequests returns the number of this node's requests still open:
// waiting for answers, or for acknowledgements until their window ends.
func (c *Cluster) PendingRequests() int {
	c.reqs.mu.Lock()
	defer c.reqs.mu.Unlock()
	return len(c.reqs.open)
}
