package socket

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/envivo/socketio/internal/parser"
)

// ackFunc returns the function that answers the client's ack request id.
func (s *Socket) ackFunc(id int64) AckFunc {
	var sent atomic.Bool
	return func(args ...any) error {
		if !sent.CompareAndSwap(false, true) {
			return nil
		}
		data, attachments, err := encodeArgs(args)
		if err != nil {
			return err
		}
		return s.sendPacket(parser.Ack, id, data, attachments)
	}
}

// pendingAck is an acknowledgement the server waits for.
type pendingAck struct {
	f    func(Args)
	sent time.Time // when it was asked for, for Stats.AckLatency
}

// expectAck registers f to receive the client's acknowledgement and returns
// the ack id to send.
func (s *Socket) expectAck(f func(Args)) int64 {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.acks == nil {
		s.acks = make(map[int64]pendingAck)
	}
	id := s.nextAckID
	s.nextAckID++
	s.acks[id] = pendingAck{f, now}
	return id
}

// dropAck forgets ack id, whose waiter has given up.
func (s *Socket) dropAck(id int64) {
	s.mu.Lock()
	delete(s.acks, id)
	s.mu.Unlock()
}

// onAck delivers an ACK packet from the client. An ack nobody waits for any
// more (late, or unknown) is dropped, as in Node.
func (s *Socket) onAck(p *parser.Packet) error {
	args, err := newArgs(p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	a, ok := s.acks[p.ID]
	delete(s.acks, p.ID)
	s.mu.Unlock()
	if ok {
		s.nsp.server.stats.ackLatency.Observe(time.Since(a.sent))
		a.f(args)
	}
	return nil
}

// AckReceiver receives the acknowledgements of a broadcast with acks. The
// adapter that performs the broadcast calls Expect with the number of
// sockets it asked (once per node for cluster adapters), Reply with each
// answer, and Fail when it knows that the answers it still expects will not
// come (a node that never answers, a closed adapter). Implementations must
// be safe for concurrent use.
type AckReceiver interface {
	Expect(n int)
	Reply(args Args)
	Fail(err error)
}

// ackCollector is the AckReceiver of EmitWithAck: it waits for as many
// replies as were expected.
type ackCollector struct {
	mu       sync.Mutex
	expected int
	replies  []Args
	failed   error
	changed  chan struct{} // closed and replaced on every change
}

func newAckCollector() *ackCollector {
	return &ackCollector{changed: make(chan struct{})}
}

// Expect implements AckReceiver.
func (c *ackCollector) Expect(n int) {
	c.mu.Lock()
	c.expected += n
	c.notify()
	c.mu.Unlock()
}

// Reply implements AckReceiver.
func (c *ackCollector) Reply(args Args) {
	c.mu.Lock()
	c.replies = append(c.replies, args)
	c.notify()
	c.mu.Unlock()
}

// Fail implements AckReceiver: the wait ends with err.
func (c *ackCollector) Fail(err error) {
	c.mu.Lock()
	if c.failed == nil {
		c.failed = err
	}
	c.notify()
	c.mu.Unlock()
}

func (c *ackCollector) notify() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait returns the replies once as many have arrived as were expected, or
// what has arrived when ctx ends or the adapter fails the wait, with an
// *AckIncompleteError.
func (c *ackCollector) wait(ctx context.Context) ([]Args, error) {
	for {
		c.mu.Lock()
		replies, expected, failed, changed := c.replies, c.expected, c.failed, c.changed
		c.mu.Unlock()
		if len(replies) >= expected {
			return replies, nil
		}
		if failed != nil {
			return replies, &AckIncompleteError{Expected: expected, Received: len(replies), Err: failed}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return replies, &AckIncompleteError{Expected: expected, Received: len(replies), Err: ctx.Err()}
		}
	}
}

// expectAckUntil registers f like expectAck and forgets it when ctx ends,
// without a goroutine per ack.
func (s *Socket) expectAckUntil(ctx context.Context, f func(Args)) int64 {
	id := s.expectAck(f)
	context.AfterFunc(ctx, func() { s.dropAck(id) })
	return id
}
