package redisadapter

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/envivo/socketio/internal/redispeer"
	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m)) // skipnote: the skips for missing peers, visible
}

// redisServer is a real redis-server started by the test.
type redisServer = redispeer.Server

// startRedis starts a redis-server for t; see redispeer.Start.
func startRedis(t testing.TB, args ...string) *redisServer { return redispeer.Start(t, args...) }

// newClient returns a go-redis client of r, closed at cleanup.
func newClient(t testing.TB, r *redisServer) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DialTimeout: time.Second, MaxRetries: 1, DialerRetries: 1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testNode is an envivo server behind an httptest server.
type testNode struct {
	srv *socket.Server
	url string
}

// startNode serves a socket.Server with adapter; the cleanup shuts both
// down. onConnection, if not nil, is registered on the main namespace.
func startNode(t testing.TB, adapter func(*socket.Namespace) socket.Adapter, onConnection func(*socket.Socket)) *testNode {
	t.Helper()
	srv := socket.NewServer(&socket.Options{Adapter: adapter})
	if onConnection != nil {
		srv.OnConnection(onConnection)
	}
	return &testNode{srv: srv, url: sockettest.Serve(t, srv, srv)}
}

// serveOnly serves srv behind an httptest server closed at cleanup; the
// test shuts srv down itself.
func serveOnly(t testing.TB, srv *socket.Server) string {
	t.Helper()
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
	})
	return ts.URL
}

// adapter returns the adapter of the main namespace.
func (n *testNode) adapter() socket.Adapter { return n.srv.Of("/").Adapter() }

// waitServerCount waits until every node counts want servers.
func waitServerCount(t testing.TB, want int, nodes ...*testNode) {
	t.Helper()
	eventually(t, 10*time.Second, fmt.Sprintf("server count %d", want), func() bool {
		for _, n := range nodes {
			got, err := n.adapter().ServerCount(context.Background())
			if err != nil || got != want {
				return false
			}
		}
		return true
	})
}

// eventually polls cond until it holds, or fails the test after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// ctxT returns a context that ends after d or at the end of the test.
func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// logRecorder is a slog handler that keeps the messages it receives.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	l.mu.Lock()
	l.msgs = append(l.msgs, b.String())
	l.mu.Unlock()
	return nil
}

// count returns the number of messages containing s.
func (l *logRecorder) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if strings.Contains(m, s) {
			n++
		}
	}
	return n
}
