package redisadapter

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/socket"
)

// TestAdapterStats: over a real redis-server, the adapter counts what it
// published and the requests it made, with their latency, and Server.Stats
// reports them under the namespace.
func TestAdapterStats(t *testing.T) {
	t.Parallel()
	r := startRedis(t)
	a := startNode(t, New(newClient(t, r), nil), nil)
	b := startNode(t, New(newClient(t, r), nil), nil)
	waitServerCount(t, 2, a, b)
	if _, err := a.srv.FetchSockets(ctxT(t, waitFor)); err != nil {
		t.Fatal(err)
	}
	if err := a.srv.Emit("news", 1); err != nil {
		t.Fatal(err)
	}
	// a: the fetch request and the broadcast; b: its answer to the fetch.
	eventually(t, 5*time.Second, "both publications counted", func() bool {
		return adapterStats(t, a).Publishes == 2 && adapterStats(t, b).Publishes == 1
	})
	as := adapterStats(t, a)
	if as.PublishErrors != 0 || as.PublishLatency.Count() != 2 || as.PublishLatency.Sum <= 0 {
		t.Errorf("a's publications: %+v", as)
	}
	if as.Requests != 1 || as.RequestErrors != 0 || as.RequestLatency.Count() != 1 {
		t.Errorf("a's requests: %d, %d errors, %d timed", as.Requests, as.RequestErrors, as.RequestLatency.Count())
	}
	if bs := adapterStats(t, b); bs.Requests != 0 {
		t.Errorf("b made %d requests", bs.Requests)
	}
}

// adapterStats returns the adapter counters of n's main namespace.
func adapterStats(t *testing.T, n *testNode) socket.AdapterStats {
	t.Helper()
	for _, ns := range n.srv.Stats().Namespaces {
		if ns.Name == "/" {
			if ns.Adapter == nil {
				t.Fatal("no adapter stats for /")
			}
			return *ns.Adapter
		}
	}
	t.Fatal("no namespace / in Stats")
	return socket.AdapterStats{}
}

// recordHandler keeps the records it receives.
type recordHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *recordHandler) WithGroup(string) slog.Handler            { return h }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	h.mu.Unlock()
	return nil
}

// find returns the first record whose message contains s.
func (h *recordHandler) find(s string) (slog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.records {
		if strings.Contains(r.Message, s) {
			return r, true
		}
	}
	return slog.Record{}, false
}

// TestRedisLoggerStructured: what go-redis prints when it cannot dial
// ("redis: connection pool: failed to dial ... pool.go") arrives as a
// structured warning, with go-redis's source line. Not parallel: go-redis
// has one logger per process.
func TestRedisLoggerStructured(t *testing.T) {
	h := &recordHandler{}
	SetRedisLogger(slog.New(h))
	t.Cleanup(func() { SetRedisLogger(slog.New(slog.DiscardHandler)) })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("Ping to a closed port succeeded")
	}
	var rec slog.Record
	eventually(t, 5*time.Second, "go-redis's dial failure logged", func() bool {
		var ok bool
		rec, ok = h.find("connection pool: failed to dial")
		return ok
	})
	if rec.Level != slog.LevelWarn || strings.HasPrefix(rec.Message, "redis: ") {
		t.Errorf("record %v %q", rec.Level, rec.Message)
	}
	component := ""
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key == "component" {
			component = a.Value.String()
		}
		return true
	})
	if component != "go-redis" {
		t.Errorf("component = %q", component)
	}
	if src := rec.Source(); src == nil || !strings.HasSuffix(src.File, "pool.go") {
		t.Errorf("source %+v, want go-redis's pool.go", src)
	}
}
