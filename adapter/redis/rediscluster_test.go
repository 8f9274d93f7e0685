package redisadapter

// The adapters on a Redis Cluster (three masters started by the test),
// through go-redis's ClusterClient: classic Pub/Sub is broadcast to every
// node of the cluster, sharded channels live on the node of their slot.

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/redispeer"
	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/socket"
)

// startRedisCluster starts n redis-server masters in cluster mode and
// joins them into one cluster; it returns their addresses.
func startRedisCluster(t *testing.T, n int) []string {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		skipnote.Skip(t, "redis-cli not found in PATH; install redis-server (Debian: apt-get install -y redis-server, which brings redis-tools)")
	}
	var addrs []string
	for range n {
		r := redispeer.StartAt(t, clusterPort(t),
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		addrs = append(addrs, r.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		eventually(t, 20*time.Second, "cluster_state:ok on "+addr, func() bool {
			info, err := c.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
		_ = c.Close()
	}
	return addrs
}

// clusterPort returns a free port whose cluster bus port (+10000) is free
// too.
func clusterPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(20000)
		free := true
		for _, p := range []int{port, port + 10000} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return port
		}
	}
	t.Fatal("no free port pair")
	return 0
}

func TestRedisCluster(t *testing.T) {
	peer := nodepeer.Require(t)
	addrs := startRedisCluster(t, 3)
	for _, m := range []mode{{name: "classic"}, {name: "sharded-dynamic", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			logs := &logRecorder{}
			var nodes []*testNode
			for i := range 2 {
				cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, DialerRetries: 1})
				t.Cleanup(func() { _ = cc.Close() })
				nodes = append(nodes, startNode(t, m.adapter(cc, slog.New(logs)), goHandlers(i)))
			}
			waitServerCount(t, 2, nodes...)
			d := peer.Client(t)
			c := &goCluster{nodes: nodes, d: d, logs: logs}
			for i, n := range nodes {
				name := fmt.Sprintf("c%d", i)
				d.Connect(name, n.url+"/", map[string]any{"transports": []string{"websocket"}})
				c.ids = append(c.ids, d.Wait(match{"ev": "connect", "client": name}, waitFor).String("id"))
			}
			if err := nodes[0].srv.Emit("all"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "all", 0, 1)
			// Rooms whose channels hash to different slots, hence nodes.
			rooms := []string{"alpha", "beta", "gamma", "delta", "epsilon"}
			for _, room := range rooms {
				c.join(t, 1, room)
			}
			for _, room := range rooms {
				if m.sharded {
					waitClusterChannel(t, addrs, "socket.io#/#"+room+"#")
				}
				if err := nodes[0].srv.To(room).Emit("to-" + room); err != nil {
					t.Fatal(err)
				}
				c.expect(t, "to-"+room, 1)
			}
			got, err := nodes[0].srv.In("gamma").FetchSockets(ctxT(t, waitFor))
			if err != nil || len(got) != 1 || got[0].ID != c.ids[1] {
				t.Errorf("FetchSockets(gamma) = %v, %v", got, err)
			}
			checkServerSideEmit(t, c)
			ec := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
			t.Cleanup(func() { _ = ec.Close() })
			e := NewEmitter(ec, &EmitterOptions{Sharded: m.sharded})
			if err := e.To("delta").Emit(ctxT(t, waitFor), "emitted"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "emitted", 1)
			checkClusterNamespaces(t, addrs, nodes, m)
			if n := logs.count("dropping"); n > 0 {
				t.Errorf("%d messages dropped", n)
			}
		})
	}
}

// checkClusterNamespaces creates 100 namespaces on both servers: each
// server keeps at most one subscription connection per cluster node (one
// in all, in the classic mode), and the namespaces' messages still find
// their way.
func checkClusterNamespaces(t *testing.T, addrs []string, nodes []*testNode, m mode) {
	t.Helper()
	const n = 100
	for i, node := range nodes {
		for j := range n {
			node.srv.Of(fmt.Sprintf("/n%d", j)).OnServerEvent("who", func(_ socket.Args, ack socket.AckFunc) {
				_ = ack(fmt.Sprint(i))
			})
		}
	}
	for _, j := range []int{0, 37, 99} {
		name := fmt.Sprintf("/n%d", j)
		eventually(t, waitFor, "2 servers in "+name, func() bool {
			got, err := nodes[0].srv.Of(name).Adapter().ServerCount(context.Background())
			return err == nil && got == 2
		})
		replies, err := nodes[0].srv.Of(name).ServerSideEmitWithAck(ctxT(t, waitFor), "who")
		if err != nil || len(replies) != 1 || replies[0].String(0) != "1" {
			t.Errorf("%s: ServerSideEmitWithAck = %v, %v", name, replies, err)
		}
	}
	total := 0
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		total += subscribers(t, c)
		_ = c.Close()
	}
	limit := len(nodes) // classic: one connection per server
	if m.sharded {
		limit = len(nodes) * len(addrs) // one per server and cluster node
	}
	if total > limit {
		t.Errorf("%d subscription connections for %d servers with %d namespaces each, want at most %d", total, len(nodes), n+1, limit)
	}
}

// waitClusterChannel waits until a node of the cluster has a shard
// subscriber on channel.
func waitClusterChannel(t *testing.T, addrs []string, channel string) {
	t.Helper()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer cc.Close()
	eventually(t, waitFor, "a subscription to "+channel, func() bool {
		n, err := countSubscribers(context.Background(), cc, true, channel)
		return err == nil && n > 0
	})
}
