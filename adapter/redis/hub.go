package redisadapter

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/socket"
)

// hubs hands out the hub that the adapters of one factory (one New or
// NewSharded value) share: it starts one for the first adapter and stops
// it when the last one closes, so that a factory holds no connection and
// no goroutine while no namespace uses it. Its methods are safe for
// concurrent use.
type hubs struct {
	client    redis.UniversalClient
	sharded   bool
	log       *slog.Logger // nil: the logger of the first namespace's server
	queueSize int          // of the publisher

	mu    sync.Mutex
	cur   *hub
	users int
}

func newHubs(client redis.UniversalClient, sharded bool, log *slog.Logger, queueSize int) *hubs {
	return &hubs{client: client, sharded: sharded, log: log, queueSize: queueSize}
}

// acquire returns the current hub, started if needed, for an adapter of
// nsp; the adapter calls release when it closes.
func (s *hubs) acquire(nsp *socket.Namespace) *hub {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		log := s.log
		if log == nil {
			log = nsp.Server().Logger()
		}
		s.cur = newHub(s.client, s.sharded, log, s.queueSize)
	}
	s.users++
	return s.cur
}

// release gives h back; the last adapter to release it stops it, and waits
// for its goroutines.
func (s *hubs) release(h *hub) {
	s.mu.Lock()
	s.users--
	last := s.users == 0
	if last {
		s.cur = nil
	}
	s.mu.Unlock()
	if last {
		h.close()
	}
}

// hub holds what every adapter of a factory shares: the subscription
// connections of all their namespaces, the publisher that sends their
// messages, and whether Redis answers.
//
// Subscriptions are requested (want, unwant) without waiting: a single
// goroutine, the syncer, applies them to the connections, so that neither
// creating a namespace nor joining a room ever waits for Redis. The
// subscription connections are grouped in lanes: one connection per lane
// (one per cluster node holding a subscribed channel, with sharded Pub/Sub
// on a Redis Cluster), whatever the number of namespaces.
//
// Its goroutines are the syncer, one per subscription connection, the
// publisher's, and those of the commands in flight that callers stopped
// waiting for (query); close waits for all of them.
//
// Lock order: hub.mu, then lane.mu. Neither is held while talking to Redis.
type hub struct {
	client  redis.UniversalClient
	sharded bool
	log     *slog.Logger
	health  health
	pub     *publisher

	interval time.Duration // of the subscriptions' health checks: healthInterval when created

	ctx    context.Context // ends with close
	cancel context.CancelFunc
	kick   chan struct{} // wakes the syncer; capacity 1
	done   chan struct{} // closed when the syncer returned

	mu      sync.Mutex
	lanes   []*lane
	closed  bool
	queries sync.WaitGroup // commands run by query
}

func newHub(client redis.UniversalClient, sharded bool, log *slog.Logger, queueSize int) *hub {
	h := &hub{client: client, sharded: sharded, log: log, interval: healthInterval,
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.pub = newPublisher(client, sharded, &h.health, log, queueSize)
	go h.syncLoop()
	return h
}

// query runs f, a Redis command that answers, and returns its error, or
// ctx's as soon as ctx ends: go-redis does not stop a command in flight
// when its context ends (unless the client sets ContextTimeoutEnabled), so
// f goes on, on its own goroutine, until go-redis's timeouts end it.
func (h *hub) query(ctx context.Context, f func(ctx context.Context) error) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return fmt.Errorf("%w: query after close", ErrClosed)
	}
	h.queries.Add(1)
	h.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		defer h.queries.Done()
		done <- f(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// register returns the registration of an adapter of namespace nsp, whose
// messages go to handle, in a lane that holds no other adapter of nsp: each
// adapter of a namespace is then one subscriber of its channels, as the
// server count (PUBSUB NUMSUB) requires. Only a second Server on the same
// factory needs a second lane.
func (h *hub) register(nsp string, handle func(channel string, payload []byte)) *registration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var l *lane
	for _, c := range h.lanes {
		if !c.names[nsp] {
			l = c
			break
		}
	}
	if l == nil {
		l = &lane{h: h, names: map[string]bool{}, routes: map[subKey]map[*registration]int{},
			applied: map[subKey]string{}, subs: map[string]*subscriber{}}
		h.lanes = append(h.lanes, l)
	}
	l.names[nsp] = true
	return &registration{lane: l, nsp: nsp, handle: handle}
}

// wake tells the syncer that the wanted subscriptions changed.
func (h *hub) wake() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// syncLoop applies the wanted subscriptions until close, retrying with
// backoff what could not be applied (a cluster node that cannot be
// resolved).
func (h *hub) syncLoop() {
	defer close(h.done)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	backoff := minBackoff
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.kick:
		case <-retry.C:
		}
		if h.syncAll() {
			backoff = minBackoff
			continue
		}
		retry.Reset(backoff)
		backoff = min(2*backoff, maxBackoff)
	}
}

// syncAll applies the wanted subscriptions of every lane; it reports
// whether all could be applied.
func (h *hub) syncAll() bool {
	h.mu.Lock()
	lanes := slices.Clone(h.lanes)
	h.mu.Unlock()
	ok := true
	for _, l := range lanes {
		if h.ctx.Err() != nil {
			return true
		}
		ok = l.sync() && ok
	}
	return ok
}

// close sends the messages still queued, stops the syncer and closes
// every subscription connection. It waits for every goroutine of the hub:
// at once normally; while Redis hangs, until go-redis gives up on the
// commands in flight (its ReadTimeout and retries).
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	lanes := h.lanes
	h.lanes = nil
	h.mu.Unlock()
	h.pub.close()
	h.cancel()
	<-h.done
	for _, l := range lanes {
		for _, sub := range l.subs {
			sub.close()
		}
	}
	h.queries.Wait()
}

// subKey names one subscription.
type subKey struct {
	kind subKind
	name string
}

// lane is one set of subscription connections and the routes of the
// messages they read to the adapters that want them.
type lane struct {
	h *hub

	// names holds the namespaces registered here; guarded by h.mu.
	names map[string]bool

	mu     sync.RWMutex
	routes map[subKey]map[*registration]int // wanted subscriptions: who wants each, how many times

	// Owned by the syncer goroutine (and by close, once it has returned).
	applied map[subKey]string      // subscriptions sent, with the group of their connection
	subs    map[string]*subscriber // connections by group
}

// dispatch hands a message to every registration that wants its
// subscription; it runs on the goroutine of the connection that read it.
func (l *lane) dispatch(msg *redis.Message) {
	k := subKey{kind: channelSub, name: msg.Channel}
	switch {
	case msg.Pattern != "":
		k = subKey{kind: patternSub, name: msg.Pattern}
	case l.h.sharded:
		k.kind = shardSub
	}
	var buf [4]*registration
	targets := buf[:0]
	l.mu.RLock()
	for r := range l.routes[k] {
		targets = append(targets, r)
	}
	l.mu.RUnlock()
	for _, r := range targets {
		r.handle(msg.Channel, []byte(msg.Payload))
	}
}

// batchKey groups the names sent in one command.
type batchKey struct {
	group string
	kind  subKind
}

// sync brings the lane's connections in line with its routes: it
// unsubscribes what nobody wants, subscribes what is wanted (opening a
// connection for a new group), and closes the connections left with no
// subscription. It reports whether every wanted subscription was sent.
func (l *lane) sync() bool {
	var add, del []subKey
	l.mu.RLock()
	for k := range l.routes {
		if _, ok := l.applied[k]; !ok {
			add = append(add, k)
		}
	}
	for k := range l.applied {
		if _, ok := l.routes[k]; !ok {
			del = append(del, k)
		}
	}
	l.mu.RUnlock()

	dels := map[batchKey][]string{}
	for _, k := range del {
		b := batchKey{group: l.applied[k], kind: k.kind}
		dels[b] = append(dels[b], k.name)
		delete(l.applied, k)
	}
	for b, names := range dels {
		if sub := l.subs[b.group]; sub != nil {
			if err := sub.remove(b.kind, names...); err != nil {
				l.h.log.Debug("redisadapter: unsubscribe failed", "err", err)
			}
		}
	}
	ok := true
	adds := map[batchKey][]string{}
	for _, k := range add {
		g, err := l.group(k)
		if err != nil {
			l.h.log.Debug("redisadapter: no cluster node for channel yet; retrying", "channel", k.name, "err", err)
			ok = false
			continue
		}
		b := batchKey{group: g, kind: k.kind}
		adds[b] = append(adds[b], k.name)
		l.applied[k] = g
	}
	for b, names := range adds {
		l.subscribe(b, names)
	}
	for g, sub := range l.subs {
		if sub.empty() {
			delete(l.subs, g)
			sub.close()
		}
	}
	return ok
}

// subscribe sends one subscription command, on the group's connection,
// opened if needed. A failure is logged; the names are kept, and
// subscribed again when the connection comes back.
func (l *lane) subscribe(b batchKey, names []string) {
	sub := l.subs[b.group]
	if sub == nil {
		l.subs[b.group] = newSubscriber(l.h.client, l.h.log, &l.h.health, l.h.interval, b.kind, names, l.dispatch)
		return
	}
	if err := sub.add(b.kind, names...); err != nil {
		l.h.log.Debug("redisadapter: subscribe failed; retrying", "err", err)
	}
}

// groupTimeout bounds the lookup of the node of a sharded channel.
const groupTimeout = 5 * time.Second

// group returns the connection group of subscription k: the address of
// the master that serves its channel, for a sharded subscription on a
// Redis Cluster (where a connection reaches only its node's channels);
// the empty string otherwise.
func (l *lane) group(k subKey) (string, error) {
	cc, ok := l.h.client.(*redis.ClusterClient)
	if !ok || k.kind != shardSub {
		return "", nil
	}
	ctx, cancel := context.WithTimeout(l.h.ctx, groupTimeout)
	defer cancel()
	node, err := cc.MasterForKey(ctx, k.name)
	if err != nil {
		return "", err
	}
	return node.Options().Addr, nil
}

// registration is one adapter's place in a lane: the subscriptions it
// wants and where their messages go. Its methods are safe for concurrent
// use and never wait for Redis.
type registration struct {
	lane   *lane
	nsp    string
	handle func(channel string, payload []byte)
}

// want asks for subscriptions to names; each call counts, and is undone
// by one unwant.
func (r *registration) want(kind subKind, names ...string) {
	l := r.lane
	l.mu.Lock()
	for _, n := range names {
		k := subKey{kind: kind, name: n}
		m := l.routes[k]
		if m == nil {
			m = map[*registration]int{}
			l.routes[k] = m
		}
		m[r]++
	}
	l.mu.Unlock()
	l.h.wake()
}

// unwant undoes one want of each name; a subscription nobody wants any
// more is dropped.
func (r *registration) unwant(kind subKind, names ...string) {
	l := r.lane
	l.mu.Lock()
	for _, n := range names {
		k := subKey{kind: kind, name: n}
		m := l.routes[k]
		if m[r] <= 1 {
			delete(m, r)
		} else {
			m[r]--
		}
		if len(m) == 0 {
			delete(l.routes, k)
		}
	}
	l.mu.Unlock()
	l.h.wake()
}

// close drops every subscription of the registration and frees its
// namespace's place in the lane. Messages stop reaching handle once close
// returns, except one being handed over at that moment.
func (r *registration) close() {
	l := r.lane
	l.mu.Lock()
	for k, m := range l.routes {
		delete(m, r)
		if len(m) == 0 {
			delete(l.routes, k)
		}
	}
	l.mu.Unlock()
	l.h.mu.Lock()
	delete(l.names, r.nsp)
	l.h.mu.Unlock()
	l.h.wake()
}
