package redisadapter

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/envivo/socketio/socket"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// inCI reports whether CI=true: peers that are missing fail the tests
// rather than skip them.
func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// redisServer is a redis-server process started by a test on a free port
// of 127.0.0.1, with no persistence. It is stopped at the test's cleanup.
type redisServer struct {
	t    testing.TB
	bin  string
	port int
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// startRedis starts a redis-server, or skips the test (fails it under
// CI=true) when the binary is missing.
func startRedis(t testing.TB, args ...string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "redis-server not found in PATH; install it (Debian: apt-get install -y redis-server)"
		if inCI() {
			t.Fatalf("%s (CI=true: the Redis tests are required)", msg)
		}
		t.Skipf("skipping: %s", msg)
	}
	r := &redisServer{t: t, bin: bin, args: args}
	for attempt := 0; ; attempt++ {
		r.port = freePort(t)
		err := r.tryStart()
		if err == nil {
			break
		}
		if attempt == 2 { // the free port may have been taken meanwhile: retry
			t.Fatal(err)
		}
	}
	t.Cleanup(r.Stop)
	return r
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr returns host:port.
func (r *redisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// URL returns the redis:// URL of the server.
func (r *redisServer) URL() string { return "redis://" + r.Addr() }

// Start starts the process again, on the same port, after Stop, and
// waits until it answers.
func (r *redisServer) Start() {
	r.t.Helper()
	if err := r.tryStart(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *redisServer) tryStart() error {
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir()}, r.args...)
	cmd := exec.Command(r.bin, args...)
	out := &syncBuilder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	r.mu.Lock()
	r.cmd, r.done = cmd, done
	r.mu.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	for !r.answers() {
		select {
		case <-done:
			r.mu.Lock()
			r.cmd = nil
			r.mu.Unlock()
			return fmt.Errorf("redis-server exited:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			r.Stop()
			return fmt.Errorf("redis-server does not answer on %s:\n%s", r.Addr(), out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// syncBuilder is a strings.Builder safe for concurrent writes and reads.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// answers reports whether the server answers PING.
func (r *redisServer) answers() bool {
	c, err := net.DialTimeout("tcp", r.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// Stop kills the process and waits for it.
func (r *redisServer) Stop() {
	r.mu.Lock()
	cmd, done := r.cmd, r.done
	r.cmd = nil
	r.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

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
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return &testNode{srv: srv, url: ts.URL}
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
