package redisadapter

// Redis outages, unanswered requests and hostile input from the bus.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

// TestOutage stops redis-server under a running cluster with connected
// clients, then starts it again: local delivery goes on during the
// outage, the calls that need Redis fail, and afterwards broadcasts cross
// servers again without restarting anything.
func TestOutage(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range []mode{{name: "classic"}, {name: "sharded-dynamic", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c := newGoCluster(t, peer, m, 2)
			a, b := c.nodes[0].srv, c.nodes[1].srv
			c.join(t, 1, "rb")
			waitRoomChannel(t, c, m, "rb")
			if err := a.Emit("before"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "before", 0, 1)

			c.redis.Stop()
			eventually(t, waitFor, "a failed broadcast", func() bool { return a.Emit("probe") != nil })
			err := a.Emit("during")
			if err == nil {
				t.Error("Emit during the outage: no error")
			}
			c.expect(t, "during", 0)
			fast := 0
			for range 10 {
				start := time.Now()
				err := a.Emit("fail-fast")
				if errors.Is(err, ErrUnavailable) && time.Since(start) < 50*time.Millisecond {
					fast++
				}
			}
			if fast < 5 {
				t.Errorf("only %d of 10 emits failed fast with ErrUnavailable during the outage", fast)
			}
			if _, err := b.FetchSockets(ctxT(t, waitFor)); err == nil {
				t.Error("FetchSockets during the outage: no error")
			}
			if err := b.Of("/").SocketsJoin(ctxT(t, waitFor), "local-still-works"); err == nil {
				t.Error("SocketsJoin during the outage: no error")
			}
			if !c.nodes[1].srv.Of("/").Socket(c.ids[1]).InRoom("local-still-works") {
				t.Error("SocketsJoin during the outage did not apply locally")
			}
			eventually(t, waitFor, "log lines about the outage", func() bool {
				return c.logs.count("Redis unavailable") > 0 && c.logs.count("subscription to Redis lost") >= 2
			})

			c.redis.Start()
			waitServerCount(t, 2, c.nodes...)
			waitRoomChannel(t, c, m, "rb")
			if err := a.Emit("after"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "after", 0, 1)
			if err := a.To("rb").Emit("after-room"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "after-room", 1)
			got, err := a.FetchSockets(ctxT(t, waitFor))
			if err != nil || len(got) != 2 {
				t.Errorf("FetchSockets after the outage: %d sockets, %v", len(got), err)
			}
			eventually(t, waitFor, "log lines about the recovery", func() bool {
				return c.logs.count("Redis available again") > 0 && c.logs.count("subscription to Redis restored") >= 2
			})
		})
	}
}

// TestRequestTimeout checks that requests that a node does not answer end
// with ErrTimeout, or the context's error, rather than hang.
func TestRequestTimeout(t *testing.T) {
	for _, m := range []mode{{name: "classic"}, {name: "sharded", sharded: true}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			r := startRedis(t)
			rc := newClient(t, r)
			log := &logRecorder{}
			var factory func(*socket.Namespace) socket.Adapter
			if m.sharded {
				factory = NewSharded(rc, &ShardedOptions{RequestTimeout: 300 * time.Millisecond, Logger: slog.New(log)})
			} else {
				factory = New(rc, &Options{RequestTimeout: 300 * time.Millisecond, Logger: slog.New(log)})
			}
			node := startNode(t, factory, nil)
			// A silent node: subscribed, so counted, but never answering.
			silent := newClient(t, r)
			ps := silent.Subscribe(context.Background(), "socket.io-request#/#")
			if m.sharded {
				ps = silent.SSubscribe(context.Background(), "socket.io#/#")
			}
			t.Cleanup(func() { _ = ps.Close() })
			waitServerCount(t, 2, node)

			start := time.Now()
			_, err := node.srv.FetchSockets(context.Background())
			if !errors.Is(err, ErrTimeout) || time.Since(start) > 3*time.Second {
				t.Errorf("FetchSockets = %v after %v; want ErrTimeout after 300ms", err, time.Since(start))
			}
			if err != nil && !strings.Contains(err.Error(), "0 of 1 other nodes answered") {
				t.Errorf("unclear error: %v", err)
			}
			_, err = node.adapter().AllRooms(context.Background())
			if !errors.Is(err, ErrTimeout) {
				t.Errorf("AllRooms = %v, want ErrTimeout", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			_, err = node.srv.FetchSockets(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("FetchSockets with a shorter deadline = %v", err)
			}
			_, err = node.srv.Of("/").EmitWithAck(context.Background(), "x")
			if !errors.Is(err, ErrTimeout) {
				t.Errorf("EmitWithAck = %v, want ErrTimeout", err)
			}
			ctx, cancel = context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			replies, err := node.srv.ServerSideEmitWithAck(ctx, "x")
			var incomplete *socket.AckIncompleteError
			if !errors.As(err, &incomplete) || incomplete.Expected != 1 || len(replies) != 0 {
				t.Errorf("ServerSideEmitWithAck = %v, %v; want an AckIncompleteError", replies, err)
			}
			// Without a deadline of its own, the wait ends at the request timeout.
			if _, err := node.srv.ServerSideEmitWithAck(context.Background(), "x"); !errors.Is(err, ErrTimeout) {
				t.Errorf("ServerSideEmitWithAck without a deadline = %v, want ErrTimeout", err)
			}
			eventually(t, waitFor, "the timeout logged", func() bool { return log.count("server-side emit timed out") > 0 })
			a := node.adapter()
			eventually(t, waitFor, "no request left open", func() bool { return openRequests(a) == 0 })
		})
	}
}

func openRequests(a socket.Adapter) int {
	return a.(interface{ PendingRequests() int }).PendingRequests()
}

// TestHostileInput publishes malformed messages on every channel the
// adapters read: they are dropped and logged, and the cluster keeps
// working.
func TestHostileInput(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range []mode{{name: "classic"}, {name: "sharded", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c := newGoCluster(t, peer, m, 2)
			rc := newClient(t, c.redis)
			uid := goUIDOf(c.nodes[1])
			channels := []string{"socket.io#/#", "socket.io-request#/#", "socket.io-response#/#", "socket.io-response#/#" + uid + "#"}
			publish := rc.Publish
			if m.sharded {
				channels = []string{"socket.io#/#", "socket.io#/#" + uid + "#"}
				publish = rc.SPublish
			}
			bad := hostilePayloads()
			for _, ch := range channels {
				for _, p := range bad {
					if err := publish(context.Background(), ch, p).Err(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := c.nodes[1].srv.Emit("still-alive"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "still-alive", 0, 1)
			eventually(t, waitFor, "the bad messages logged", func() bool {
				return c.logs.count("dropping bad message") >= len(channels)*len(bad)/2
			})
		})
	}
}

// hostilePayloads are messages no node sends: truncated or hostile
// MessagePack, wrong types, unknown types, bad packets.
func hostilePayloads() []string {
	return []string{
		"", "\x93", "\xdd\xff\xff\xff\xff", "\xdf\xff\xff\xff\xff\x01", "\xc1", "\x93\xa1x\x83",
		"\x93\xa1x\x82\xa4type\x02\xa4data\x01\x80",                               // data not an array
		"\x93\xa1x\x82\xa4type\x02\xa4data\x91\x81\xac_placeholder\xc3",           // placeholder without num
		"\x93\xa1x\x83\xa4type\x02\xa4data\x91\xa1e\xa3nsp\xa1/\x81\xa5rooms\x01", // rooms not a list
		strings.Repeat("\x91", 6000) + "\xc0",
		"\x85\xa3uid\xa1x\xa9requestId\xa1r\xa4type\x07\xa6packet\xc0\xa4opts\x80",
		`{`, `{"type":"x"}`, `{"type":99,"uid":"x","nsp":"/","data":{}}`, `{"uid":"x","type":5}`,
		`{"uid":"x","type":2,"opts":{"rooms":{}}}`, `{"uid":"x","type":6,"data":"not an array"}`,
		`{"type":3,"uid":"x","nsp":"/","data":{"packet":{"type":2,"data":{}},"opts":{}}}`,
		`{"type":7,"uid":"x","nsp":"/","data":{"requestId":"r"}}`,
		`{"type":8,"uid":"x","nsp":"/","data":{"requestId":"r","sockets":"no"}}`,
		`{"type":11,"uid":"x","nsp":"/","data":{"requestId":5}}`,
		`{"requestId":"x","sockets":[{"id":1}]}`,
		fmt.Sprintf(`{"type":9,"uid":"x","nsp":"/","data":{"packet":%s}}`, strings.Repeat("[", 20000)),
	}
}

// TestStartWithoutRedis starts servers while Redis is down: they serve
// their own clients, fail the calls that need Redis, and join the cluster
// once Redis is up.
func TestStartWithoutRedis(t *testing.T) {
	for _, m := range []mode{{name: "classic"}, {name: "sharded", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			r := startRedis(t)
			r.Stop()
			logs := &logRecorder{}
			var nodes []*testNode
			for i := range 2 {
				nodes = append(nodes, startNode(t, m.adapter(newClient(t, r), slog.New(logs)), goHandlers(i)))
			}
			// The first Emit is queued without waiting for Redis; once its
			// publication has failed, Emit fails at once.
			eventually(t, waitFor, "Emit failing with ErrUnavailable", func() bool {
				return errors.Is(nodes[0].srv.Emit("x"), ErrUnavailable)
			})
			if _, err := nodes[0].srv.ServerSideEmitWithAck(ctxT(t, waitFor), "x"); err == nil {
				t.Error("ServerSideEmitWithAck without Redis: no error")
			}
			r.Start()
			waitServerCount(t, 2, nodes...)
			nodes[1].srv.OnServerEvent("hello", func(args socket.Args, ack socket.AckFunc) {
				_ = ack("hi " + args.String(0))
			})
			replies, err := nodes[0].srv.ServerSideEmitWithAck(ctxT(t, waitFor), "hello", "there")
			if err != nil || len(replies) != 1 || replies[0].String(0) != "hi there" {
				t.Errorf("ServerSideEmitWithAck once Redis is up = %v, %v", replies, err)
			}
		})
	}
}

// TestNoSubscriptionLeak checks that room channels are unsubscribed when
// their last local member leaves, and every channel when the server shuts
// down.
func TestNoSubscriptionLeak(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range []mode{{name: "classic"}, {name: "sharded-dynamic-private", sharded: true, sub: DynamicPrivate}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			r := startRedis(t)
			rc := newClient(t, r)
			srv := socket.NewServer(&socket.Options{Adapter: m.adapter(newClient(t, r), nil)})
			srv.OnConnection(goHandlers(0))
			url := serveOnly(t, srv)
			channels := func() []string {
				var list []string
				var err error
				if m.sharded {
					list, err = rc.PubSubShardChannels(context.Background(), "*").Result()
				} else {
					list, err = rc.PubSubChannels(context.Background(), "*").Result()
					if n, _ := rc.PubSubNumPat(context.Background()).Result(); n > 0 {
						list = append(list, fmt.Sprintf("%d patterns", n))
					}
				}
				if err != nil {
					t.Fatal(err)
				}
				return list
			}
			eventually(t, waitFor, "subscriptions", func() bool { return len(channels()) > 0 })
			d := peer.Client(t)
			d.Connect("c", url+"/", map[string]any{"transports": []string{"websocket"}})
			d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
			base := len(channels())
			d.EmitWithAck("c", "j", "join", 0, "room")
			d.Wait(match{"ev": "ack", "ref": "j"}, waitFor)
			if m.sharded {
				eventually(t, waitFor, "the room's channel", func() bool { return len(channels()) == base+1 })
			}
			d.Disconnect("c")
			if m.sharded {
				eventually(t, waitFor, "the room and socket channels gone", func() bool { return len(channels()) == base-1 })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			eventually(t, waitFor, "no subscription left", func() bool { return len(channels()) == 0 })
		})
	}
}
