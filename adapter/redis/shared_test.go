package redisadapter

// The adapters of one factory share their connections to Redis: many
// namespaces cost subscriptions, not connections or goroutines.

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

// connectedClients returns Redis's count of connected clients (INFO
// clients), the connection of rc included.
func connectedClients(t testing.TB, rc redis.Cmdable) int {
	t.Helper()
	info, err := rc.Info(context.Background(), "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "connected_clients:"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no connected_clients in %q", info)
	return 0
}

// subscribers returns the number of connections that hold a
// subscription (CLIENT LIST: sub, psub or ssub not 0).
func subscribers(t testing.TB, rc redis.Cmdable) int {
	t.Helper()
	list, err := rc.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		for _, field := range strings.Fields(line) {
			k, v, _ := strings.Cut(field, "=")
			if (k == "sub" || k == "psub" || k == "ssub") && v != "0" {
				n++
				break
			}
		}
	}
	return n
}

// subscriptions returns what Redis holds for the adapters: the channels
// (sharded ones in the sharded modes) and the number of patterns.
func subscriptions(t testing.TB, rc redis.Cmdable, sharded bool) (channels []string, patterns int) {
	t.Helper()
	ctx := context.Background()
	var err error
	if sharded {
		channels, err = rc.PubSubShardChannels(ctx, "*").Result()
	} else {
		channels, err = rc.PubSubChannels(ctx, "*").Result()
		if err == nil {
			var n int64
			n, err = rc.PubSubNumPat(ctx).Result()
			patterns = int(n)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return channels, patterns
}

// namespaceChannels returns how many channels a namespace's adapter
// subscribes to in mode m, rooms aside.
func namespaceChannels(m mode) (channels, patterns int) {
	if m.sharded {
		return 2, 0 // <prefix>#<nsp># and <prefix>#<nsp>#<uid>#
	}
	return 3, 1 // request, response, own response; the broadcast pattern
}

// TestManyNamespacesOneConnection creates 300 namespaces on a server:
// Redis sees one more subscription set per namespace but no more
// connections, the server no more goroutines; messages still reach the
// right namespace on the other server; closing a namespace's adapter
// unsubscribes its channels and nothing else.
func TestManyNamespacesOneConnection(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range []mode{{name: "classic"}, {name: "sharded-dynamic", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			// Not parallel: the goroutine count must be this test's.
			const total, remote = 300, 40 // namespaces on a; those on b too
			r := startRedis(t)
			rc := newClient(t, r)
			before := connectedClients(t, rc)
			a := startNode(t, m.adapter(newClient(t, r), nil), goHandlers(0))
			perNsp, perNspPat := namespaceChannels(m)
			waitSubscriptions(t, rc, m, perNsp, perNspPat)
			oneNamespace := connectedClients(t, rc) - before
			goroutines := runtime.NumGoroutine()

			for i := range total {
				nsp := a.srv.Of(fmt.Sprintf("/n%d", i))
				nsp.OnServerEvent("who", func(_ socket.Args, ack socket.AckFunc) {
					_ = ack(nsp.Name())
				})
			}
			waitSubscriptions(t, rc, m, (total+1)*perNsp, (total+1)*perNspPat)
			if got := connectedClients(t, rc) - before; got > oneNamespace || got > 2 {
				t.Errorf("the server holds %d connections with %d namespaces, %d with one; want no more", got, total+1, oneNamespace)
			}
			if got := subscribers(t, rc); got != 1 {
				t.Errorf("%d subscription connections, want 1", got)
			}
			if grown := runtime.NumGoroutine() - goroutines; grown > 30 {
				t.Errorf("%d more goroutines for %d more namespaces", grown, total)
			}

			b := startNode(t, m.adapter(newClient(t, r), nil), nil)
			routeEveryNamespace(t, b, remote)
			routeToClients(t, peer, a, b)

			// Close the adapters of the namespaces that b lacks: their
			// channels go, the others stay, and so does the connection.
			channels, patterns := subscriptions(t, rc, m.sharded)
			for i := remote; i < total; i++ {
				if err := a.srv.Of(fmt.Sprintf("/n%d", i)).Adapter().Close(); err != nil {
					t.Fatal(err)
				}
			}
			closed := total - remote
			eventually(t, waitFor, "the closed namespaces unsubscribed", func() bool {
				c, p := subscriptions(t, rc, m.sharded)
				return len(c) == len(channels)-closed*perNsp && p == patterns-closed*perNspPat
			})
			left, _ := subscriptions(t, rc, m.sharded)
			for _, ch := range left {
				if n := namespaceOf(ch); n >= remote {
					t.Errorf("channel %s of a closed namespace still subscribed", ch)
				}
			}
			routeEveryNamespace(t, b, remote)
			// The requests used go-redis's pool of command connections,
			// which PoolSize bounds, whatever the number of namespaces.
			if got := subscribers(t, rc); got != 2 {
				t.Errorf("two servers hold %d subscription connections, want 2", got)
			}
		})
	}
}

// waitSubscriptions waits until Redis holds exactly the given numbers of
// channels and patterns.
func waitSubscriptions(t *testing.T, rc redis.Cmdable, m mode, channels, patterns int) {
	t.Helper()
	eventually(t, waitFor, fmt.Sprintf("%d channels and %d patterns", channels, patterns), func() bool {
		c, p := subscriptions(t, rc, m.sharded)
		return len(c) == channels && p == patterns
	})
}

// namespaceOf returns i for a channel of namespace /n<i>, -1 for others.
func namespaceOf(channel string) int {
	_, rest, ok := strings.Cut(channel, "#/n")
	if !ok {
		return -1
	}
	digits, _, _ := strings.Cut(rest, "#")
	n, err := strconv.Atoi(digits)
	if err != nil {
		return -1
	}
	return n
}

// routeEveryNamespace asks, from b, the handler of each namespace
// /n0../n<n-1> on the other server who it is: each must answer with its
// own name.
func routeEveryNamespace(t *testing.T, b *testNode, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("/n%d", i)
			nsp := b.srv.Of(name)
			deadline := time.Now().Add(waitFor)
			for {
				if got, err := nsp.Adapter().ServerCount(context.Background()); err == nil && got == 2 {
					break
				}
				if time.Now().After(deadline) {
					errs <- fmt.Errorf("%s: the other server never subscribed", name)
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			replies, err := nsp.ServerSideEmitWithAck(ctxT(t, waitFor), "who")
			if err != nil || len(replies) != 1 || replies[0].String(0) != name {
				errs <- fmt.Errorf("%s: answers %v, %v", name, replies, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// routeToClients connects a socket.io client to /n7 and one to /n8 on a,
// and broadcasts from b to each namespace: only its own client gets it.
func routeToClients(t *testing.T, peer *nodepeer.Peer, a, b *testNode) {
	t.Helper()
	d := peer.Client(t)
	for _, nsp := range []string{"/n7", "/n8"} {
		d.Connect(nsp, a.url+nsp, map[string]any{"transports": []string{"websocket"}})
		d.Wait(match{"ev": "connect", "client": nsp}, waitFor)
	}
	for _, to := range []string{"/n7", "/n8"} {
		if err := b.srv.Of(to).Emit("hello", to); err != nil {
			t.Fatal(err)
		}
		d.Wait(match{"ev": "event", "client": to, "name": "hello"}, waitFor)
	}
	d.Never(match{"ev": "event", "name": "hello"}, 150*time.Millisecond)
}

// TestFactorySharedByServers gives one factory to two servers: each is
// still a node of its own (a subscription connection each, so that the
// server count is right), and once both have shut down, the factory serves
// a third server with a new connection.
func TestFactorySharedByServers(t *testing.T) {
	for _, m := range []mode{{name: "classic"}, {name: "sharded", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			r := startRedis(t)
			rc := newClient(t, r)
			factory := m.adapter(newClient(t, r), nil)
			var nodes []*testNode
			for i := range 2 {
				srv := socket.NewServer(&socket.Options{Adapter: factory})
				srv.OnServerEvent("who", func(_ socket.Args, ack socket.AckFunc) { _ = ack(fmt.Sprint(i)) })
				nodes = append(nodes, &testNode{srv: srv, url: serveOnly(t, srv)})
			}
			waitServerCount(t, 2, nodes...)
			replies, err := nodes[0].srv.ServerSideEmitWithAck(ctxT(t, waitFor), "who")
			if err != nil || len(replies) != 1 || replies[0].String(0) != "1" {
				t.Errorf("ServerSideEmitWithAck = %v, %v; want the other server's answer", replies, err)
			}
			if got := subscribers(t, rc); got != 2 {
				t.Errorf("%d subscription connections for two servers, want 2", got)
			}
			for _, n := range nodes {
				if err := n.srv.Shutdown(ctxT(t, waitFor)); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, waitFor, "no subscription connection left", func() bool { return subscribers(t, rc) == 0 })

			third := startNode(t, factory, nil)
			other := startNode(t, m.adapter(newClient(t, r), nil), nil)
			other.srv.OnServerEvent("who", func(_ socket.Args, ack socket.AckFunc) { _ = ack("other") })
			waitServerCount(t, 2, third, other)
			replies, err = third.srv.ServerSideEmitWithAck(ctxT(t, waitFor), "who")
			if err != nil || len(replies) != 1 || replies[0].String(0) != "other" {
				t.Errorf("after a restart, ServerSideEmitWithAck = %v, %v", replies, err)
			}
		})
	}
}
