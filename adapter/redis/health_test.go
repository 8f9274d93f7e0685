package redisadapter

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/socket"
)

// blackhole is a TCP proxy to Redis that can make its open connections
// silent, as a connection that died without a reset: they stay open, and
// nothing crosses them any more. Connections opened later work.
type blackhole struct {
	l      net.Listener
	target string

	mu     sync.Mutex
	frozen map[net.Conn]bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newBlackhole(t *testing.T, target string) *blackhole {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{l: l, target: target, frozen: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.close)
	return b
}

func (b *blackhole) accept() {
	defer b.wg.Done()
	for {
		c, err := b.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", b.target)
		if err != nil {
			c.Close()
			continue
		}
		b.mu.Lock()
		b.conns = append(b.conns, c, up)
		b.mu.Unlock()
		b.wg.Add(2)
		go b.pipe(c, up, c)
		go b.pipe(up, c, c)
	}
}

// pipe copies from src to dst until either closes, dropping what arrives
// once the connection of client is frozen.
func (b *blackhole) pipe(src, dst, client net.Conn) {
	defer b.wg.Done()
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		b.mu.Lock()
		frozen := b.frozen[client]
		b.mu.Unlock()
		if frozen {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

// freeze silences every connection open now.
func (b *blackhole) freeze() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := 0; i < len(b.conns); i += 2 {
		b.frozen[b.conns[i]] = true
	}
}

func (b *blackhole) close() {
	b.l.Close()
	b.mu.Lock()
	for _, c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// TestSilentConnection checks that a subscription whose connection dies
// silently is noticed by the health check and replaced.
func TestSilentConnection(t *testing.T) {
	saved := healthInterval
	healthInterval = 200 * time.Millisecond
	t.Cleanup(func() { healthInterval = saved })
	r := startRedis(t)
	proxy := newBlackhole(t, r.Addr())
	logs := &logRecorder{}
	viaProxy := redis.NewClient(&redis.Options{Addr: proxy.l.Addr().String(), ReadTimeout: 500 * time.Millisecond, DialerRetries: 1})
	t.Cleanup(func() { _ = viaProxy.Close() })
	a := startNode(t, New(viaProxy, &Options{Logger: slog.New(logs)}), nil)
	b := startNode(t, New(newClient(t, r), nil), nil)
	healthInterval = saved
	waitServerCount(t, 2, a, b)
	got := make(chan string, 100)
	a.srv.OnServerEvent("note", func(args socket.Args, _ socket.AckFunc) { got <- args.String(0) })

	proxy.freeze()
	deadline := time.Now().Add(waitFor)
	for received := false; !received; {
		if time.Now().After(deadline) {
			t.Fatal("the silent subscription was never replaced")
		}
		if err := b.srv.ServerSideEmit(context.Background(), "note", "hello"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			received = true
		case <-time.After(200 * time.Millisecond):
		}
	}
	if logs.count("subscription connection unresponsive") == 0 {
		t.Error("the replacement was not logged")
	}
}
