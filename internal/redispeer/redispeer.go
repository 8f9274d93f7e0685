// Package redispeer runs real redis-server processes for tests: each on a
// free port of 127.0.0.1, without persistence unless the test's arguments
// turn it on, stopped at the test's cleanup. A missing redis-server binary fails the test under CI=true and
// skips it elsewhere, with the command that installs it.
//
// It is a test helper: import it only from _test.go files.
package redispeer

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/skipnote"
)

// Server is a redis-server process started by a test on a free port
// of 127.0.0.1, with no persistence unless its arguments (which come last,
// and win) turn it on, such as "--appendonly", "yes": its data directory is
// kept across Stop and Start, so that it then restarts with its data. It is
// stopped at the test's cleanup.
type Server struct {
	t    testing.TB
	bin  string
	port int
	args []string
	dir  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts a redis-server on a free port, with extra command-line args,
// or skips the test (fails it under CI=true) when the binary is missing.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	r := newServer(t, args)
	for attempt := 0; ; attempt++ {
		r.port = FreePort(t)
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

// StartAt is Start on a given port, for setups that need one (a Redis
// Cluster node, whose bus port is port+10000).
func StartAt(t testing.TB, port int, args ...string) *Server {
	t.Helper()
	r := newServer(t, args)
	r.port = port
	if err := r.tryStart(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r
}

func newServer(t testing.TB, args []string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		skipnote.Skip(t, "redis-server not found in PATH; install it (Debian: apt-get install -y redis-server)")
	}
	return &Server{t: t, bin: bin, args: args, dir: t.TempDir()}
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr returns host:port.
func (r *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// URL returns the redis:// URL of the server.
func (r *Server) URL() string { return "redis://" + r.Addr() }

// Start starts the process again, on the same port, after Stop, and
// waits until it answers.
func (r *Server) Start() {
	r.t.Helper()
	if err := r.tryStart(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *Server) tryStart() error {
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir}, r.args...)
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
func (r *Server) answers() bool {
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
func (r *Server) Stop() {
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
