package redisadapter

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
)

// Tests of the Streams adapter that the shared cluster tests
// (TestGoCluster, TestMixedCluster in mode "streams") do not cover:
// connection state recovery across nodes, Go and Node, and after a server's
// shutdown (a rolling restart), and a Redis restart during a stream of
// broadcasts.

// recoveryNode starts an envivo server on NewStreams with connection state
// recovery. Its sockets answer "join" (room, ack) and report, on the
// returned channel, whether they recovered and the "server" of their data.
func recoveryNode(t *testing.T, r *redisServer, log *slog.Logger, name string) (*testNode, chan [2]string) {
	t.Helper()
	srv := socket.NewServer(&socket.Options{
		Adapter:                 NewStreams(newClient(t, r), &StreamsOptions{RequestTimeout: 3 * time.Second, Logger: log}),
		ConnectionStateRecovery: &socket.ConnectionStateRecovery{},
	})
	seen := make(chan [2]string, 8)
	srv.OnConnection(func(s *socket.Socket) {
		server, _ := s.Get("server")
		seen <- [2]string{strconv.FormatBool(s.Recovered()), fmt.Sprint(server)}
		if !s.Recovered() {
			s.Set("server", name)
		}
		s.OnEvent("join", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
			s.Join(args.String(0))
			if ack != nil {
				_ = ack()
			}
		})
	})
	return &testNode{srv: srv, url: sockettest.Serve(t, srv, srv)}, seen
}

// recoverySide is a server a client leaves or reconnects to, and how to
// broadcast to room "r" from it.
type recoverySide struct {
	url  string
	emit func(t *testing.T, event string)
}

func goSide(n *testNode) recoverySide {
	return recoverySide{url: n.url, emit: func(t *testing.T, event string) {
		t.Helper()
		if err := n.srv.To("r").Emit(event); err != nil {
			t.Fatal(err)
		}
	}}
}

func nodeSide(c *mixedCluster, url string) recoverySide {
	return recoverySide{url: url, emit: func(t *testing.T, event string) {
		t.Helper()
		c.do(t, map[string]any{"op": "emit", "event": event, "rooms": []string{"r"}})
	}}
}

// waitStreamReaders waits until n connections read the stream. Node's
// adapter reads from "$" once its own connection is up, which may come
// after its subscription (what the server count sees): an entry added
// before would never reach it.
func waitStreamReaders(t *testing.T, rc *redis.Client, n int) {
	t.Helper()
	eventually(t, waitFor, fmt.Sprintf("%d stream readers", n), func() bool {
		list, err := rc.ClientList(context.Background()).Result()
		return err == nil && strings.Count(list, "cmd=xread") >= n
	})
}

var streamIDRE = regexp.MustCompile(`^[0-9]+-[0-9]+$`)

// recoverAcross connects client "c" to from, joins room "r", receives an
// event, loses its connection and reconnects to to: it must get its id
// back, recovered, with the events both servers broadcast to "r" while it
// was away, each once, and then the new ones.
func recoverAcross(t *testing.T, d *nodepeer.Driver, r *redisServer, from, to recoverySide) {
	t.Helper()
	d.Connect("c", from.url+"/", map[string]any{
		"transports": []string{"websocket"}, "reconnectionDelay": 300, "reconnectionDelayMax": 300, "randomizationFactor": 0,
	})
	id := d.Wait(match{"ev": "connect", "client": "c"}, waitFor).String("id")
	d.EmitWithAck("c", "join-r", "join", 0, "r")
	d.Wait(match{"ev": "ack", "ref": "join-r"}, waitFor)
	to.emit(t, "before")
	args := d.Wait(match{"ev": "event", "client": "c", "name": "before"}, waitFor).Args()
	if len(args) != 1 || !streamIDRE.MatchString(fmt.Sprint(args[0])) {
		t.Fatalf("before: args %v, want a stream id as offset", args)
	}

	d.Send(map[string]any{"cmd": "move", "client": "c", "url": to.url + "/"})
	d.CloseTransport("c")
	d.Wait(match{"ev": "disconnect", "client": "c"}, waitFor)
	rc := newClient(t, r)
	eventually(t, waitFor, "the session stored in Redis", func() bool {
		keys, err := rc.Keys(context.Background(), "sio:session:*").Result()
		return err == nil && len(keys) == 1
	})
	from.emit(t, "during-from")
	to.emit(t, "during-to")

	d.Wait(match{"ev": "connect", "client": "c", "id": id, "recovered": true}, waitFor)
	for _, name := range []string{"during-from", "during-to"} {
		args := d.Wait(match{"ev": "event", "client": "c", "name": name}, waitFor).Args()
		if len(args) != 1 || !streamIDRE.MatchString(fmt.Sprint(args[0])) {
			t.Errorf("%s: args %v, want its offset", name, args)
		}
	}
	to.emit(t, "after")
	d.Wait(match{"ev": "event", "client": "c", "name": "after"}, waitFor)
	for _, name := range []string{"before", "during-from", "during-to", "after"} {
		d.Never(match{"ev": "event", "client": "c", "name": name}, 100*time.Millisecond)
	}
	if keys, _ := rc.Keys(context.Background(), "sio:session:*").Result(); len(keys) != 0 {
		t.Errorf("sessions left in Redis after the recovery: %v", keys)
	}
}

// TestStreamsRecoveryGoToGo: a client that was on envivo server A gets its
// session back from envivo server B.
func TestStreamsRecoveryGoToGo(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	r := startRedis(t)
	logs := &logRecorder{}
	a, _ := recoveryNode(t, r, slog.New(logs), "a")
	b, seenB := recoveryNode(t, r, slog.New(logs), "b")
	waitServerCount(t, 2, a, b)
	recoverAcross(t, peer.Client(t), r, goSide(a), goSide(b))
	if got := <-seenB; got != [2]string{"true", "a"} {
		t.Errorf("B's socket: recovered, server = %v; want true and A's data", got)
	}
	if n := logs.count("dropping"); n > 0 {
		t.Errorf("%d messages dropped: %v", n, logs.msgs)
	}
}

// TestStreamsRecoveryMixed: a client moves from envivo to a Node server on
// @socket.io/redis-streams-adapter and gets its session back, and the
// other way round.
func TestStreamsRecoveryMixed(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	for _, goFirst := range []bool{true, false} {
		t.Run(map[bool]string{true: "go-to-node", false: "node-to-go"}[goFirst], func(t *testing.T) {
			t.Parallel()
			r := startRedis(t)
			logs := &logRecorder{}
			g, seen := recoveryNode(t, r, slog.New(logs), "go")
			port := peer.Server(t, "redis-server.js", map[string]string{
				"REDIS_URL": r.URL(), "MODE": "streams", "RECOVERY": "120000", "REQUESTS_TIMEOUT": "3000",
			})
			nodeURL := "http://127.0.0.1:" + strconv.Itoa(port)
			waitServerCount(t, 2, g)
			waitStreamReaders(t, newClient(t, r), 2)
			d := peer.Client(t)
			d.Connect("n", nodeURL+"/", map[string]any{"transports": []string{"websocket"}})
			d.Wait(match{"ev": "connect", "client": "n"}, waitFor)
			cmd := &mixedCluster{d: d}
			goS, nodeS := goSide(g), nodeSide(cmd, nodeURL)
			if goFirst {
				recoverAcross(t, d, r, goS, nodeS)
			} else {
				recoverAcross(t, d, r, nodeS, goS)
				if got := <-seen; got != [2]string{"true", "node"} {
					t.Errorf("Go's recovered socket: recovered, server = %v; want true and Node's data", got)
				}
			}
			if n := logs.count("dropping"); n > 0 {
				t.Errorf("%d messages dropped: %v", n, logs.msgs)
			}
		})
	}
}

// TestStreamsRedisRestart restarts Redis (with its append-only file, on the
// same port) while node A broadcasts a numbered tick every few
// milliseconds to a client of node B: B's reader resumes from the last
// entry it read, so every tick the stream holds afterwards reaches the
// client, those added just before Redis went down included.
func TestStreamsRedisRestart(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	r := startRedis(t, "--appendonly", "yes", "--appendfsync", "always")
	log := slog.New(&logRecorder{})
	opts := &StreamsOptions{RequestTimeout: 3 * time.Second, Logger: log}
	a := startNode(t, NewStreams(newClient(t, r), opts), nil)
	b := startNode(t, NewStreams(newClient(t, r), opts), nil)
	waitServerCount(t, 2, a, b)
	d := peer.Client(t)
	d.Connect("c", b.url+"/", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "c"}, waitFor)

	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			_ = a.srv.Emit("tick", i) // fails while Redis is down: not in the stream
		}
	}()
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-stopped
	}()
	d.Wait(match{"ev": "event", "client": "c", "name": "tick", "args": []any{20}}, waitFor)
	r.Stop()
	time.Sleep(300 * time.Millisecond)
	r.Start()
	rc := newClient(t, r)
	held := func() []int { return streamTicks(t, rc) }
	before := len(held())
	eventually(t, waitFor, "ticks added after the restart", func() bool { return len(held()) > before+20 })
	close(stop)
	<-stopped

	ticks := held()
	if len(ticks) == 0 || ticks[0] != 0 {
		t.Fatalf("the stream lost the ticks from before the restart: %v", ticks)
	}
	for _, i := range ticks {
		if i == 20 {
			continue // taken by the Wait above
		}
		d.Wait(match{"ev": "event", "client": "c", "name": "tick", "args": []any{i}}, waitFor)
	}
}

// streamTicks returns the numbers of the ticks the stream holds.
func streamTicks(t *testing.T, rc interface {
	XRange(ctx context.Context, stream, start, stop string) *redis.XMessageSliceCmd
}) []int {
	t.Helper()
	entries, err := rc.XRange(context.Background(), "socket.io", "-", "+").Result()
	if err != nil {
		return nil
	}
	var ticks []int
	for _, m := range entries {
		e, err := decodeEntry(m.Values)
		if err != nil || e == nil || e.typ != msgBroadcast {
			t.Fatalf("entry %v: %v", m.Values, err)
		}
		var wp struct{ Data []any }
		if err := json.Unmarshal(e.data.Packet, &wp); err != nil || len(wp.Data) != 2 {
			t.Fatalf("entry %v: packet %s", m.Values, e.data.Packet)
		}
		n, _ := wp.Data[1].(float64)
		ticks = append(ticks, int(n))
	}
	return ticks
}

// TestStreamsRecoveryAfterShutdown: a rolling restart. Server A shuts
// down; its sockets' sessions go to Redis, and a client that reconnects to
// server B gets its id and rooms back there.
func TestStreamsRecoveryAfterShutdown(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	r := startRedis(t)
	srvA := socket.NewServer(&socket.Options{
		Adapter:                 NewStreams(newClient(t, r), &StreamsOptions{RequestTimeout: 3 * time.Second}),
		ConnectionStateRecovery: &socket.ConnectionStateRecovery{},
	})
	srvA.OnConnection(func(s *socket.Socket) { s.Join("r") })
	a := &testNode{srv: srvA, url: serveOnly(t, srvA)}
	b, seen := recoveryNode(t, r, nil, "b")
	waitServerCount(t, 2, a, b)

	d := peer.Client(t)
	// No automatic reconnection: the client reconnects once Shutdown has
	// returned, when the session is surely in Redis.
	d.Connect("c", a.url+"/", map[string]any{"transports": []string{"websocket"}, "reconnection": false})
	id := d.Wait(match{"ev": "connect", "client": "c"}, waitFor).String("id")
	if err := b.srv.To("r").Emit("before"); err != nil {
		t.Fatal(err)
	}
	d.Wait(match{"ev": "event", "client": "c", "name": "before"}, waitFor)
	d.Send(map[string]any{"cmd": "move", "client": "c", "url": b.url + "/"})
	if err := srvA.Shutdown(ctxT(t, waitFor)); err != nil {
		t.Fatal(err)
	}
	d.Wait(match{"ev": "disconnect", "client": "c"}, waitFor)
	d.Send(map[string]any{"cmd": "connect_again", "client": "c"})
	d.Wait(match{"ev": "connect", "client": "c", "id": id, "recovered": true}, waitFor)
	if got := <-seen; got[0] != "true" {
		t.Errorf("B's socket: recovered = %s", got[0])
	}
	if err := b.srv.To("r").Emit("after"); err != nil {
		t.Fatal(err)
	}
	d.Wait(match{"ev": "event", "client": "c", "name": "after"}, waitFor)
}
