package redisadapter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/adapter"
)

// ErrQueueFull is wrapped by the error of an operation whose message was
// dropped because the adapter's publish queue was full (see
// Options.PublishQueueSize). The local part of the operation was done.
var ErrQueueFull = errors.New("redisadapter: publish queue full")

// defaultPublishQueueSize is the default of Options.PublishQueueSize.
const defaultPublishQueueSize = 4096

// maxBatch bounds the messages sent in one pipeline.
const maxBatch = 256

// outgoing is a message waiting in the publish queue.
type outgoing struct {
	ctx    context.Context // not sent if it ended first
	msg    adapter.Message
	probe  bool       // admitted while Redis was failing, to find out whether it is back
	result chan error // buffered; nil when nobody waits
	stats  *counters  // the sending adapter's, or nil
	queued time.Time  // when it was queued
}

func (o *outgoing) finish(err error) {
	o.stats.published(o.queued, err)
	if o.result != nil {
		o.result <- err
	}
}

// publisher sends the messages of every adapter of a hub, in the order
// they were queued, from one goroutine: callers never wait for Redis
// unless they ask to. The queue holds at most size messages; when it is
// full, the newest message is dropped and counted, and a warning is
// logged once per episode. Messages are sent in pipelines of up to
// maxBatch. Its methods are safe for concurrent use.
type publisher struct {
	client  redis.UniversalClient
	sharded bool // SPUBLISH rather than PUBLISH
	health  *health
	log     *slog.Logger
	size    int

	mu       sync.Mutex
	queue    []*outgoing
	closing  bool
	overflow int // messages dropped since the queue was last empty, for the log

	wake    chan struct{} // capacity 1
	done    chan struct{} // closed when run returned
	dropped atomic.Int64  // messages dropped, queue full or Redis failing
}

func newPublisher(client redis.UniversalClient, sharded bool, h *health, log *slog.Logger, size int) *publisher {
	p := &publisher{client: client, sharded: sharded, health: h, log: log, size: size,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go p.run()
	return p
}

// post queues m and returns at once. It fails, dropping m, with an error
// wrapping ErrUnavailable while Redis is known to be failing, ErrQueueFull
// when the queue is full, or ErrClosed once the publisher is closed. A
// message queued is sent unless ctx ends first; a failure to send it is
// logged, not returned.
func (p *publisher) post(ctx context.Context, m adapter.Message, st *counters) error {
	return p.enqueue(&outgoing{ctx: ctx, msg: m, stats: st})
}

// send queues m and waits until it has been sent or ctx ends; it returns
// post's errors, Redis's, or ctx's. A message not sent yet when ctx ends
// is not sent.
func (p *publisher) send(ctx context.Context, m adapter.Message, st *counters) error {
	o := &outgoing{ctx: ctx, msg: m, result: make(chan error, 1), stats: st}
	if err := p.enqueue(o); err != nil {
		return err
	}
	select {
	case err := <-o.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue queues o, or counts it failed and returns why not.
func (p *publisher) enqueue(o *outgoing) error {
	err := p.tryEnqueue(o)
	if err != nil {
		o.stats.published(time.Time{}, err)
	}
	return err
}

func (p *publisher) tryEnqueue(o *outgoing) error {
	probe, err := p.health.admit()
	if err != nil {
		return err
	}
	o.queued = time.Now()
	o.probe = probe
	p.mu.Lock()
	switch {
	case p.closing:
		p.mu.Unlock()
		return fmt.Errorf("%w: publish after close", ErrClosed)
	case len(p.queue) >= p.size:
		p.overflow++
		first := p.overflow == 1
		p.mu.Unlock()
		total := p.dropped.Add(1)
		if first {
			p.log.Warn("redisadapter: publish queue full; dropping new messages", "size", p.size, "dropped", total)
		}
		return fmt.Errorf("%w (%d messages)", ErrQueueFull, p.size)
	}
	p.queue = append(p.queue, o)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// run sends the queue until close, then what is left in it.
func (p *publisher) run() {
	defer close(p.done)
	for {
		batch := p.take()
		if batch == nil {
			return
		}
		p.sendBatch(batch)
	}
}

// take waits for messages and removes up to maxBatch of them from the
// queue; it returns nil once the publisher is closing and the queue is
// empty.
func (p *publisher) take() []*outgoing {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) == 0 {
		if p.closing {
			return nil
		}
		p.mu.Unlock()
		<-p.wake
		p.mu.Lock()
	}
	n := min(len(p.queue), maxBatch)
	batch := make([]*outgoing, n)
	copy(batch, p.queue)
	clear(p.queue[:n]) // let the sent messages be collected
	p.queue = p.queue[n:]
	if len(p.queue) == 0 {
		p.queue = nil
		if p.overflow > 0 {
			p.log.Info("redisadapter: publish queue drained", "dropped", p.overflow)
			p.overflow = 0
		}
	}
	return batch
}

// sendBatch sends the messages of batch whose context has not ended, in
// one pipeline. While Redis is known to be failing, a batch with no probe
// in it is dropped at once rather than sent to wait for go-redis's
// timeouts.
func (p *publisher) sendBatch(batch []*outgoing) {
	live := batch[:0]
	probe := false
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.finish(err)
			continue
		}
		probe = probe || o.probe
		live = append(live, o)
	}
	if len(live) == 0 {
		return
	}
	if !probe {
		if err := p.health.failing(); err != nil {
			p.dropped.Add(int64(len(live)))
			p.log.Debug("redisadapter: dropping queued messages; Redis unavailable", "count", len(live))
			for _, o := range live {
				o.finish(err)
			}
			return
		}
	}
	cmds, _ := p.client.Pipelined(context.Background(), func(pipe redis.Pipeliner) error {
		for _, o := range live {
			if p.sharded {
				pipe.SPublish(o.ctx, o.msg.Channel, o.msg.Payload)
			} else {
				pipe.Publish(o.ctx, o.msg.Channel, o.msg.Payload)
			}
		}
		return nil
	})
	var first error
	for i, o := range live {
		err := errors.New("redis: pipeline returned no result")
		if i < len(cmds) {
			err = cmds[i].Err()
		}
		if err != nil {
			first = cmp.Or(first, err)
			err = fmt.Errorf("redisadapter: publish: %w", err)
		}
		o.finish(err)
	}
	p.health.observe(p.log, "publish", first)
}

// close stops accepting messages, sends those queued (dropping them at
// once if Redis is known to be failing) and waits for the goroutine to
// return: while Redis hangs, at most as long as go-redis takes to give up
// on the pipeline in flight.
func (p *publisher) close() {
	p.mu.Lock()
	p.closing = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	<-p.done
}
