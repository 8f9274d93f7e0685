package redisadapter

// A Redis that hangs (SIGSTOP): broadcasts do not wait for it, calls with
// a context end with it, and what was queued is delivered once it answers.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

// hangTimeout is how long the commands of hangingClient wait for Redis:
// long enough for a test to pause Redis, check what must not wait for it,
// and resume it before go-redis gives up.
const hangTimeout = 20 * time.Second

// promptly bounds what must not wait for a hung Redis: a tenth of
// hangTimeout, a margin wide enough for a loaded machine. It tells "did
// not wait for the network" from "waited for go-redis's timeout"; it is
// no speed requirement.
const promptly = hangTimeout / 10

// hangingClient returns a client of r whose commands wait hangTimeout.
func hangingClient(t testing.TB, r *redisServer, retries int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), DialTimeout: time.Second,
		ReadTimeout: hangTimeout, WriteTimeout: hangTimeout, MaxRetries: retries, DialerRetries: 1})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// pause stops r with SIGSTOP until the returned function, or the end of
// the test, resumes it.
func pause(t *testing.T, r *redisServer) (resume func()) {
	t.Helper()
	r.Pause()
	paused := true
	resume = func() {
		if paused {
			paused = false
			r.Resume()
		}
	}
	t.Cleanup(resume)
	return resume
}

// relayHandlers are goHandlers(i) and a "relay" event, whose handler
// broadcasts "relayed" to room "r" and acknowledges.
func relayHandlers(i int) func(*socket.Socket) {
	join := goHandlers(i)
	return func(s *socket.Socket) {
		join(s)
		s.OnEvent("relay", func(s *socket.Socket, _ socket.Args, ack socket.AckFunc) {
			if err := s.Namespace().To("r").Emit("relayed"); err != nil {
				s.Namespace().Server().Logger().Error("relay", "err", err)
			}
			if ack != nil {
				_ = ack()
			}
		})
	}
}

// waitRoomSubscribers waits, in the dynamic sharded modes, until n nodes
// have subscribed to the channel of room in "/".
func waitRoomSubscribers(t *testing.T, rc redis.Cmdable, m mode, room string, n int64) {
	t.Helper()
	if !m.sharded || m.sub == Static {
		return
	}
	channel := "socket.io#/#" + room + "#"
	eventually(t, waitFor, "subscriptions to "+channel, func() bool {
		got, err := rc.PubSubShardNumSub(context.Background(), channel).Result()
		return err == nil && got[channel] >= n
	})
}

// TestRedisHangs pauses Redis under two servers with a client each, both
// in room "r": on the server whose Redis hangs, Emit returns without
// waiting, local members get their copy at once, the socket's next events
// are handled, and the calls that wait for other nodes end at their
// context's deadline. Once Redis resumes, the other server gets every
// broadcast queued meanwhile, in order.
func TestRedisHangs(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range []mode{{name: "classic"}, {name: "sharded-dynamic", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			r := startRedis(t)
			logs := &logRecorder{}
			a := startNode(t, m.adapter(hangingClient(t, r, 0), slog.New(logs)), relayHandlers(0))
			b := startNode(t, m.adapter(newClient(t, r), slog.New(logs)), goHandlers(1))
			waitServerCount(t, 2, a, b)
			d := peer.Client(t)
			for name, n := range map[string]*testNode{"ca": a, "cb": b} {
				d.Connect(name, n.url+"/", map[string]any{"transports": []string{"websocket"}})
				d.Wait(match{"ev": "connect", "client": name}, waitFor)
				d.EmitWithAck(name, "join-"+name, "join", 0, "r")
				d.Wait(match{"ev": "ack", "ref": "join-" + name}, waitFor)
			}
			waitRoomSubscribers(t, newClient(t, r), m, "r", 2)

			resume := pause(t, r)
			start := time.Now()
			for i := range 3 {
				if err := a.srv.To("r").Emit("during", i); err != nil {
					t.Fatalf("Emit while Redis hangs: %v", err)
				}
			}
			if took := time.Since(start); took > promptly {
				t.Errorf("3 Emits took %v while Redis hung: they waited for it (go-redis waits %v)", took, hangTimeout)
			}
			for i := range 3 {
				ev := d.Wait(match{"ev": "event", "client": "ca", "name": "during"}, promptly)
				if got := ev.Args(); len(got) != 1 || got[0] != float64(i) {
					t.Errorf("local member got during%v, want %d", got, i)
				}
			}
			// The socket's events are still handled, a broadcast included.
			d.EmitWithAck("ca", "relay", "relay", 0)
			d.Wait(match{"ev": "ack", "ref": "relay"}, promptly)
			d.Wait(match{"ev": "event", "client": "ca", "name": "relayed"}, promptly)
			checkDeadlines(t, a)

			resume()
			for i := range 3 {
				ev := d.Wait(match{"ev": "event", "client": "cb", "name": "during"}, waitFor)
				if got := ev.Args(); len(got) != 1 || got[0] != float64(i) {
					t.Errorf("the other server's member got during%v, want %d", got, i)
				}
			}
			d.Wait(match{"ev": "event", "client": "cb", "name": "relayed"}, waitFor)
			if err := a.srv.Emit("after"); err != nil {
				t.Fatal(err)
			}
			d.Wait(match{"ev": "event", "client": "ca", "name": "after"}, waitFor)
			d.Wait(match{"ev": "event", "client": "cb", "name": "after"}, waitFor)
			if got, err := a.srv.FetchSockets(ctxT(t, waitFor)); err != nil || len(got) != 2 {
				t.Errorf("FetchSockets after Redis resumed: %d sockets, %v", len(got), err)
			}
		})
	}
}

// checkDeadlines checks that the calls of a that wait for Redis or other
// nodes end at their context's deadline while Redis hangs.
func checkDeadlines(t *testing.T, a *testNode) {
	t.Helper()
	const deadline = 300 * time.Millisecond
	calls := map[string]func(ctx context.Context) error{
		"FetchSockets": func(ctx context.Context) error { _, err := a.srv.FetchSockets(ctx); return err },
		"EmitWithAck": func(ctx context.Context) error {
			_, err := a.srv.To("nobody").EmitWithAck(ctx, "ask")
			return err
		},
		"ServerSideEmitWithAck": func(ctx context.Context) error { _, err := a.srv.ServerSideEmitWithAck(ctx, "x"); return err },
		"ServerSideEmit":        func(ctx context.Context) error { return a.srv.ServerSideEmit(ctx, "x") },
		"SocketsJoin":           func(ctx context.Context) error { return a.srv.In("nobody").SocketsJoin(ctx, "x") },
		"DisconnectSockets":     func(ctx context.Context) error { return a.srv.In("nobody").CloseConnections(ctx) },
		"AllRooms":              func(ctx context.Context) error { _, err := a.adapter().AllRooms(ctx); return err },
		"ServerCount":           func(ctx context.Context) error { _, err := a.adapter().ServerCount(ctx); return err },
	}
	for name, call := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		err := call(ctx)
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || took > promptly {
			t.Errorf("%s while Redis hangs = %v after %v; want the context's deadline (%v)", name, err, took, deadline)
		}
	}
}

// TestRedisHangsTooLong keeps Redis paused past go-redis's timeout: the
// pipeline in flight fails, the messages queued behind it are dropped
// rather than each waiting for the timeout, Emit then fails at once with
// ErrUnavailable, and none of the dropped messages is delivered once
// Redis resumes.
func TestRedisHangsTooLong(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	r := startRedis(t)
	short := redis.NewClient(&redis.Options{Addr: r.Addr(), DialTimeout: time.Second,
		ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = short.Close() })
	a := startNode(t, New(short, nil), nil)
	b := startNode(t, New(newClient(t, r), nil), nil)
	waitServerCount(t, 2, a, b)
	d := peer.Client(t)
	d.Connect("cb", b.url+"/", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "cb"}, waitFor)
	pub := a.adapter().(*classic).hub.pub

	resume := pause(t, r)
	if err := a.srv.Emit("in-flight"); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitFor, "the first message in flight", func() bool {
		pub.mu.Lock()
		defer pub.mu.Unlock()
		return len(pub.queue) == 0
	})
	if err := a.srv.Emit("behind"); err != nil {
		t.Fatal(err)
	}
	var refused []string
	eventually(t, waitFor, "Emit failing with ErrUnavailable", func() bool {
		name := fmt.Sprintf("refused-%d", len(refused))
		if errors.Is(a.srv.Emit(name), ErrUnavailable) {
			refused = append(refused, name)
			return true
		}
		return false
	})
	start := time.Now()
	for range 5 {
		name := fmt.Sprintf("refused-%d", len(refused))
		switch err := a.srv.Emit(name); {
		case errors.Is(err, ErrUnavailable):
			refused = append(refused, name)
		case err != nil:
			t.Fatal(err)
		} // nil: a probe, let through to find out whether Redis is back
	}
	if took := time.Since(start); took > promptly {
		t.Errorf("5 Emits took %v while Redis was known to be failing", took)
	}
	if pub.dropped.Load() == 0 {
		t.Error("the message queued behind the failed pipeline was not dropped")
	}

	resume()
	eventually(t, waitFor, "Emit accepted again", func() bool { return a.srv.Emit("after") == nil })
	d.Wait(match{"ev": "event", "client": "cb", "name": "after"}, waitFor)
	for _, name := range append(refused, "behind") {
		d.Never(match{"ev": "event", "client": "cb", "name": name}, 50*time.Millisecond)
	}
}
