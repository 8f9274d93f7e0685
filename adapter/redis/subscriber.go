package redisadapter

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
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
// reads it, and hands every message to route, in order. It keeps its
// subscriptions across reconnections. Its methods are safe for concurrent
// use; add and remove write to Redis and may wait for go-redis's dial and
// write timeouts, so only a lane's syncer calls them.
type subscriber struct {
	client   redis.UniversalClient
	log      *slog.Logger
	interval time.Duration // of the health check
	route    func(msg *redis.Message)
	health   *health // told when the subscription is restored
	cluster  bool    // client is a Redis Cluster client

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	ps   *redis.PubSub
	subs [3]map[string]struct{} // by subKind, kept for rebuilding
}

// newSubscriber subscribes to the given names of kind, before the
// connection exists so that a Redis Cluster client opens it on the node
// of the first channel, and starts reading. An error (Redis unreachable)
// is logged and retried by the reading goroutine until Redis answers or
// close is called.
func newSubscriber(client redis.UniversalClient, log *slog.Logger, h *health, interval time.Duration,
	kind subKind, names []string, route func(msg *redis.Message)) *subscriber {
	s := &subscriber{client: client, log: log, interval: interval, health: h, route: route, done: make(chan struct{})}
	_, s.cluster = client.(*redis.ClusterClient)
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
	return s.subscribe(s.ps, kind, names)
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
	return s.unsubscribe(s.ps, kind, names)
}

// empty reports whether the subscriber holds no subscription.
func (s *subscriber) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs[0])+len(s.subs[1])+len(s.subs[2]) == 0
}

// subscribe sends the command of kind for names. On a Redis Cluster,
// where one SSUBSCRIBE may only name channels of one hash slot, sharded
// channels go in one command per slot.
func (s *subscriber) subscribe(ps *redis.PubSub, kind subKind, names []string) error {
	var err error
	for _, group := range s.bySlot(kind, names) {
		var e error
		switch kind {
		case patternSub:
			e = ps.PSubscribe(s.ctx, group...)
		case shardSub:
			e = ps.SSubscribe(s.ctx, group...)
		default:
			e = ps.Subscribe(s.ctx, group...)
		}
		err = cmp.Or(err, e)
	}
	return err
}

// unsubscribe is subscribe's opposite.
func (s *subscriber) unsubscribe(ps *redis.PubSub, kind subKind, names []string) error {
	var err error
	for _, group := range s.bySlot(kind, names) {
		var e error
		switch kind {
		case patternSub:
			e = ps.PUnsubscribe(s.ctx, group...)
		case shardSub:
			e = ps.SUnsubscribe(s.ctx, group...)
		default:
			e = ps.Unsubscribe(s.ctx, group...)
		}
		err = cmp.Or(err, e)
	}
	return err
}

// bySlot splits the sharded channels names by hash slot on a Redis
// Cluster; it returns other names as they are. No group is empty (an empty
// UNSUBSCRIBE would drop every subscription).
func (s *subscriber) bySlot(kind subKind, names []string) [][]string {
	if len(names) == 0 {
		return nil
	}
	if kind != shardSub || !s.cluster {
		return [][]string{names}
	}
	slots := map[int][]string{}
	for _, n := range names {
		slots[hashSlot(n)] = append(slots[hashSlot(n)], n)
	}
	groups := make([][]string, 0, len(slots))
	for _, g := range slots {
		groups = append(groups, g)
	}
	return groups
}

// hashSlot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of
// the key, or of its hash tag (the first {...} with something inside),
// modulo 16384.
func hashSlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
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

// run reads messages until close. After an error (a lost connection, or a
// subscription Redis refused) it waits with backoff and opens a new
// connection with every subscription: go-redis's own reconnection
// subscribes again in one command per kind, which a Redis Cluster refuses
// for sharded channels of several slots. Losing and regaining the
// connection is logged once each.
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
			s.rebuild()
		}
	}
}

func (s *subscriber) dispatch(msg any) {
	if m, ok := msg.(*redis.Message); ok {
		s.route(m)
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

// rebuild replaces a connection that failed or stopped answering by a new
// one with the same subscriptions.
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
		_ = s.subscribe(s.ps, subKind(kind), names)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
