package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// subKind is a kind of Redis subscription.
type subKind int

const (
	channelSub subKind = iota // SUBSCRIBE
	patternSub                // PSUBSCRIBE
	shardSub                  // SSUBSCRIBE
)

// Health checks of an idle subscription connection: a PING after
// healthInterval without traffic, a new connection if the PONG has not
// come after another healthInterval. go-redis reconnects (and subscribes
// again) by itself after an error; the check catches connections that
// died silently.
var healthInterval = 30 * time.Second

// Backoff between attempts to reach Redis again.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// subscriber owns one Redis Pub/Sub connection and the goroutine that
// reads it, and hands every message to handle, in order. It keeps its
// subscriptions across reconnections. Its methods are safe for concurrent
// use.
type subscriber struct {
	client   redis.UniversalClient
	log      *slog.Logger
	interval time.Duration // healthInterval when created
	handle   func(channel string, payload []byte)
	health   *health // told when the subscription is restored

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	ps   *redis.PubSub
	subs [3]map[string]struct{} // by subKind, kept for rebuilding
}

// newSubscriber subscribes to the given names of kind and starts reading.
// An error (Redis unreachable) is logged and retried by the reading
// goroutine until Redis answers or close is called.
func newSubscriber(client redis.UniversalClient, log *slog.Logger, h *health, kind subKind, names []string,
	handle func(channel string, payload []byte)) *subscriber {
	s := &subscriber{client: client, log: log, interval: healthInterval, health: h, handle: handle, done: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for i := range s.subs {
		s.subs[i] = make(map[string]struct{})
	}
	s.mu.Lock()
	s.ps = client.Subscribe(s.ctx)
	s.mu.Unlock()
	if err := s.add(kind, names...); err != nil {
		log.Warn("redisadapter: cannot subscribe yet; retrying", "err", err)
	}
	go s.run()
	return s
}

// add subscribes to names.
func (s *subscriber) add(kind subKind, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		s.subs[kind][n] = struct{}{}
	}
	return subscribe(s.ctx, s.ps, kind, names)
}

// remove unsubscribes from names.
func (s *subscriber) remove(kind subKind, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		delete(s.subs[kind], n)
	}
	switch kind {
	case patternSub:
		return s.ps.PUnsubscribe(s.ctx, names...)
	case shardSub:
		return s.ps.SUnsubscribe(s.ctx, names...)
	default:
		return s.ps.Unsubscribe(s.ctx, names...)
	}
}

// empty reports whether the subscriber holds no subscription.
func (s *subscriber) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs[0])+len(s.subs[1])+len(s.subs[2]) == 0
}

func subscribe(ctx context.Context, ps *redis.PubSub, kind subKind, names []string) error {
	switch kind {
	case patternSub:
		return ps.PSubscribe(ctx, names...)
	case shardSub:
		return ps.SSubscribe(ctx, names...)
	default:
		return ps.Subscribe(ctx, names...)
	}
}

// close stops reading and closes the connection, which drops its
// subscriptions. It waits for the reading goroutine to return.
func (s *subscriber) close() {
	s.cancel()
	s.mu.Lock()
	_ = s.ps.Close()
	s.mu.Unlock()
	<-s.done
}

// current returns the Pub/Sub connection in use.
func (s *subscriber) current() *redis.PubSub {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ps
}

// run reads messages until close. After an error it waits with backoff
// and reads again: go-redis then reconnects and subscribes again to
// everything. Losing and regaining the connection is logged once each.
func (s *subscriber) run() {
	defer close(s.done)
	var lost, pinged bool
	backoff := minBackoff
	for {
		msg, err := s.current().ReceiveTimeout(s.ctx, s.interval)
		if s.ctx.Err() != nil {
			return
		}
		switch {
		case err == nil:
			if lost {
				s.log.Info("redisadapter: subscription to Redis restored")
				s.health.up(s.log)
			}
			lost, pinged, backoff = false, false, minBackoff
			s.dispatch(msg)
		case isTimeout(err) && !pinged:
			pinged = true
			_ = s.current().Ping(s.ctx)
		case isTimeout(err):
			s.log.Warn("redisadapter: subscription connection unresponsive; reconnecting")
			s.rebuild()
			pinged = false
		default:
			if !lost {
				s.log.Error("redisadapter: subscription to Redis lost; reconnecting", "err", err)
				lost = true
			}
			if !s.sleep(backoff) {
				return
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

func (s *subscriber) dispatch(msg any) {
	if m, ok := msg.(*redis.Message); ok {
		s.handle(m.Channel, []byte(m.Payload))
	}
}

// sleep waits d, or returns false once the subscriber is closed.
func (s *subscriber) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// rebuild replaces a connection that stopped answering by a new one with
// the same subscriptions.
func (s *subscriber) rebuild() {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.ps.Close()
	s.ps = s.client.Subscribe(s.ctx)
	for kind, set := range s.subs {
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		if len(names) > 0 {
			_ = subscribe(s.ctx, s.ps, subKind(kind), names)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// health follows whether Redis answers. It turns the outcomes of
// commands into log lines, one when Redis starts failing and one when it
// answers again rather than one per command; and while Redis fails it lets
// one command through per probeInterval, so that calls fail fast rather
// than each wait for go-redis's dial retries. It is safe for concurrent
// use.
type health struct {
	down atomic.Bool

	mu        sync.Mutex
	lastErr   error
	nextProbe time.Time
}

// probeInterval is how often a command may try Redis while it is down.
var probeInterval = 500 * time.Millisecond

// allow returns nil if a command may be sent now, or an error wrapping
// ErrUnavailable.
func (h *health) allow() error {
	if !h.down.Load() {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := time.Now(); now.After(h.nextProbe) {
		h.nextProbe = now.Add(probeInterval)
		return nil
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, h.lastErr)
}

// observe records the outcome of a command about op.
func (h *health) observe(log *slog.Logger, op string, err error) {
	if err == nil {
		h.up(log)
		return
	}
	h.mu.Lock()
	h.lastErr = err
	h.nextProbe = time.Now().Add(probeInterval)
	h.mu.Unlock()
	if h.down.CompareAndSwap(false, true) {
		log.Error("redisadapter: Redis unavailable; local delivery continues", "op", op, "err", err)
	} else {
		log.Debug("redisadapter: Redis command failed", "op", op, "err", err)
	}
}

// up records that Redis answers.
func (h *health) up(log *slog.Logger) {
	if h.down.CompareAndSwap(true, false) {
		log.Info("redisadapter: Redis available again")
	}
}
