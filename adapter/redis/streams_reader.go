package redisadapter

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// readers hands out the stream readers of one NewStreams factory: one per
// stream that a namespace uses, started with its first adapter and
// stopped with its last. Its methods are safe for concurrent use.
type readers struct {
	client redis.UniversalClient
	o      StreamsOptions

	mu    sync.Mutex
	byKey map[string]*streamReader
}

// acquire returns the reader of stream, started if needed; the adapter
// calls release when it closes.
func (rs *readers) acquire(stream string, log *slog.Logger) *streamReader {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.byKey == nil {
		rs.byKey = make(map[string]*streamReader)
	}
	r := rs.byKey[stream]
	if r == nil {
		r = newStreamReader(rs.client, stream, rs.o, log)
		rs.byKey[stream] = r
	}
	r.users++
	return r
}

// release gives r back; the last user stops it and waits for its
// goroutine.
func (rs *readers) release(r *streamReader) {
	rs.mu.Lock()
	r.users--
	last := r.users == 0
	if last {
		delete(rs.byKey, r.stream)
	}
	rs.mu.Unlock()
	if last {
		r.close()
	}
}

// streamReader reads one stream from one goroutine, on a connection of its
// own (XREAD BLOCK from the last id it read), and hands each entry to the
// adapters of the entry's namespace, in the stream's order. After an
// error (Redis restarting) it tries again with backoff, from the same id:
// nothing the stream still holds is lost.
//
// mu orders the delivery of broadcasts against the restoring of sessions:
// it is held for reading while a broadcast is delivered to local sockets
// (by this goroutine, or by a Broadcast of this node once its entry is
// added) and for writing while a session is restored, so that a restored
// socket gets each broadcast once (see streams.RestoreSession).
type streamReader struct {
	client      redis.UniversalClient // dedicated
	closeClient func() error
	stream      string
	o           StreamsOptions
	log         *slog.Logger

	users int // guarded by readers.mu

	mu   sync.RWMutex
	last string // the id of the last entry handed on; written by run under mu.RLock, read under mu.Lock

	amu      sync.Mutex
	adapters map[string][]*streams // by namespace
	ready    bool                  // the start position is known
	waiting  []func()              // run once ready

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newStreamReader(client redis.UniversalClient, stream string, o StreamsOptions, log *slog.Logger) *streamReader {
	r := &streamReader{stream: stream, o: o, log: log.With("stream", stream),
		adapters: map[string][]*streams{}, done: make(chan struct{})}
	r.client, r.closeClient = dedicated(client)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	go r.run()
	return r
}

// dedicated returns a client of the same server with a connection of its
// own for the blocking reads, which closing it interrupts. A client of
// another kind is used as it is: closing the reader then waits for the
// XREAD in flight (at most BlockTime).
func dedicated(client redis.UniversalClient) (redis.UniversalClient, func() error) {
	switch c := client.(type) {
	case *redis.Client:
		o := *c.Options()
		o.PoolSize, o.MinIdleConns = 1, 0
		// A client's own, as go-redis's clone makes them: c's processor
		// already has its handlers, and the reader needs none.
		o.PushNotificationProcessor = nil
		if m := o.MaintNotificationsConfig; m != nil {
			mc := *m
			o.MaintNotificationsConfig = &mc
		}
		d := redis.NewClient(&o)
		return d, d.Close
	case *redis.ClusterClient:
		o := *c.Options()
		o.PoolSize, o.MinIdleConns = 1, 0
		o.PushNotificationProcessor = nil
		if m := o.MaintNotificationsConfig; m != nil {
			mc := *m
			o.MaintNotificationsConfig = &mc
		}
		d := redis.NewClusterClient(&o)
		return d, d.Close
	}
	return client, func() error { return nil }
}

// add routes the entries of a's namespace to a, and runs ready once the
// reader knows where it starts reading.
func (r *streamReader) add(a *streams, ready func()) {
	r.amu.Lock()
	defer r.amu.Unlock()
	name := a.nsp.Name()
	r.adapters[name] = append(r.adapters[name], a)
	if r.ready {
		ready()
		return
	}
	r.waiting = append(r.waiting, ready)
}

// remove stops routing entries to a; an entry being handed over at that
// moment may still reach it.
func (r *streamReader) remove(a *streams) {
	r.amu.Lock()
	defer r.amu.Unlock()
	name := a.nsp.Name()
	list := r.adapters[name]
	for i, b := range list {
		if b == a {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(r.adapters, name)
	} else {
		r.adapters[name] = list
	}
}

func (r *streamReader) targets(nsp string) []*streams {
	r.amu.Lock()
	defer r.amu.Unlock()
	return r.adapters[nsp]
}

func (r *streamReader) markReady() {
	r.amu.Lock()
	r.ready = true
	waiting := r.waiting
	r.waiting = nil
	r.amu.Unlock()
	for _, f := range waiting {
		f()
	}
}

// close stops the goroutine and waits for it.
func (r *streamReader) close() {
	r.cancel()
	_ = r.closeClient()
	<-r.done
}

// run reads until close, with backoff after errors.
func (r *streamReader) run() {
	defer close(r.done)
	backoff, failing := minBackoff, false
	for r.ctx.Err() == nil {
		err := r.step()
		if err == nil || r.ctx.Err() != nil {
			if failing {
				r.log.Info("redisadapter: reading the stream again", "from", r.last)
				failing = false
			}
			backoff = minBackoff
			continue
		}
		if !failing {
			r.log.Warn("redisadapter: reading the stream failed; retrying", "err", err)
			failing = true
		}
		select {
		case <-r.ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// step finds the start position if it is not known yet, then reads the
// entries after the last one read, waiting up to BlockTime for some.
func (r *streamReader) step() error {
	if r.last == "" {
		if err := r.position(); err != nil {
			return err
		}
	}
	res, err := r.client.XRead(r.ctx, &redis.XReadArgs{
		Streams: []string{r.stream, r.last}, Count: r.o.ReadCount, Block: r.o.BlockTime,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, s := range res {
		for _, m := range s.Messages {
			r.dispatch(m)
		}
	}
	return nil
}

// position starts reading after the stream's current last entry (Node
// reads from "$", which loses what is added before its first XREAD).
func (r *streamReader) position() error {
	tail, err := r.client.XRevRangeN(r.ctx, r.stream, "+", "-", 1).Result()
	if err != nil {
		return err
	}
	last := "0-0"
	if len(tail) > 0 {
		last = tail[0].ID
	}
	r.mu.RLock()
	r.last = last
	r.mu.RUnlock()
	r.markReady()
	return nil
}

// dispatch hands entry m to the adapters of its namespace: a broadcast
// under mu, anything else after it, since disconnecting sockets runs user
// code.
func (r *streamReader) dispatch(m redis.XMessage) {
	e, err := decodeEntry(m.Values)
	var targets []*streams
	if e != nil {
		targets = r.targets(e.nsp)
	}
	if err != nil {
		r.log.Warn("redisadapter: dropping bad stream entry", "id", m.ID, "err", err)
	}
	var later []func()
	r.mu.RLock()
	for _, a := range targets {
		if f := a.onEntry(m.ID, e); f != nil {
			later = append(later, f)
		}
	}
	r.last = m.ID
	r.mu.RUnlock()
	for _, f := range later {
		f()
	}
}
