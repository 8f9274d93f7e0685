package redisadapter

// Go cluster tests: three envivo servers on one redis-server, an official
// socket.io-client on each, every operation checked across servers, in
// every mode.

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

const waitFor = 10 * time.Second

type match = nodepeer.Match

// mode is an adapter configuration under test.
type mode struct {
	name           string
	sharded        bool
	sub            SubscriptionMode
	specific       bool // classic: PublishOnSpecificResponseChannel
	streams        bool // NewStreams
	shardedStreams bool // NewStreams with sharded Pub/Sub and 2 streams
}

var modes = []mode{
	{name: "classic"},
	{name: "classic-specific-response", specific: true},
	{name: "sharded-dynamic", sharded: true, sub: Dynamic},
	{name: "sharded-static", sharded: true, sub: Static},
	{name: "sharded-dynamic-private", sharded: true, sub: DynamicPrivate},
	{name: "streams", streams: true},
	{name: "streams-sharded-pubsub-2-streams", streams: true, shardedStreams: true},
}

func (m mode) adapter(c redis.UniversalClient, log *slog.Logger) func(*socket.Namespace) socket.Adapter {
	if m.streams {
		o := &StreamsOptions{RequestTimeout: 3 * time.Second, Logger: log}
		if m.shardedStreams {
			o.UseShardedPubSub, o.StreamCount = true, 2
		}
		return NewStreams(c, o)
	}
	if m.sharded {
		return NewSharded(c, &ShardedOptions{SubscriptionMode: m.sub, RequestTimeout: 3 * time.Second, Logger: log})
	}
	return New(c, &Options{PublishOnSpecificResponseChannel: m.specific, RequestTimeout: 3 * time.Second, Logger: log})
}

// origin is typed socket data that FetchSockets must bring back typed from
// any node.
type origin struct {
	Node  int       `json:"node"`
	Since time.Time `json:"since"`
}

var originKey = socket.Key[origin]{Name: "origin"}

// goHandlers sets up the sockets of Go node i: data "server" and
// originKey, a "join" event, and a "whoami" ack.
func goHandlers(i int) func(s *socket.Socket) {
	return func(s *socket.Socket) {
		s.Set("server", fmt.Sprint(i))
		originKey.Set(s, origin{Node: i, Since: time.Date(2026, 12, 3, 0, 0, i, 0, time.UTC)})
		s.OnEvent("join", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
			s.Join(args.String(0))
			if ack != nil {
				_ = ack()
			}
		})
	}
}

// goCluster is n envivo servers on one Redis, with client "c<i>" connected
// to server i.
type goCluster struct {
	redis *redisServer
	nodes []*testNode
	d     *nodepeer.Driver
	ids   []string // socket id of client i
	logs  *logRecorder
}

func newGoCluster(t *testing.T, peer *nodepeer.Peer, m mode, n int) *goCluster {
	t.Helper()
	c := &goCluster{redis: startRedis(t), logs: &logRecorder{}}
	log := slog.New(c.logs)
	for i := range n {
		c.nodes = append(c.nodes, startNode(t, m.adapter(newClient(t, c.redis), log), goHandlers(i)))
	}
	waitServerCount(t, n, c.nodes...)
	c.d = peer.Client(t)
	for i, node := range c.nodes {
		name := fmt.Sprintf("c%d", i)
		c.d.Connect(name, node.url+"/", map[string]any{
			"transports": []string{"websocket"}, "auth": map[string]any{"token": name},
		})
		ev := c.d.Wait(match{"ev": "connect", "client": name}, waitFor)
		c.ids = append(c.ids, ev.String("id"))
	}
	return c
}

// join makes client i join room through its own server.
func (c *goCluster) join(t *testing.T, i int, room string) {
	t.Helper()
	name := fmt.Sprintf("c%d", i)
	c.d.EmitWithAck(name, "join-"+room, "join", 0, room)
	c.d.Wait(match{"ev": "ack", "ref": "join-" + room}, waitFor)
}

// expect waits for event name on the given clients, and checks that the
// others do not get it.
func (c *goCluster) expect(t *testing.T, name string, clients ...int) []nodepeer.Event {
	t.Helper()
	var evs []nodepeer.Event
	for _, i := range clients {
		evs = append(evs, c.d.Wait(match{"ev": "event", "client": fmt.Sprintf("c%d", i), "name": name}, waitFor))
	}
	for i := range c.nodes {
		if !slices.Contains(clients, i) {
			c.d.Never(match{"ev": "event", "client": fmt.Sprintf("c%d", i), "name": name}, 150*time.Millisecond)
		}
	}
	return evs
}

func TestGoCluster(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c := newGoCluster(t, peer, m, 3)
			n0, n1, n2 := c.nodes[0].srv, c.nodes[1].srv, c.nodes[2].srv

			// Broadcast to all, binary included.
			if err := n0.Emit("hello", "all", []byte{1, 2}); err != nil {
				t.Fatal(err)
			}
			for _, ev := range c.expect(t, "hello", 0, 1, 2) {
				if b, ok := nodepeer.DecodeBin(ev.Args()[1]); !ok || string(b) != "\x01\x02" {
					t.Errorf("%s got args %v", ev.String("client"), ev.Args())
				}
			}

			// Rooms, except, local, volatile.
			c.join(t, 1, "r1")
			c.join(t, 2, "r1")
			if err := n0.To("r1").Emit("room"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "room", 1, 2)
			if err := n2.Except("r1").Emit("except"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "except", 0)
			if err := n1.To("r1").Except(c.ids[2]).Emit("room-except"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "room-except", 1)
			if err := n0.Of("/").Local().Emit("local"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "local", 0)
			if err := n1.Of("/").Volatile().Emit("volatile"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "volatile", 0, 1, 2)
			if err := n0.To(c.ids[2]).Emit("private"); err != nil {
				t.Fatal(err)
			}
			c.expect(t, "private", 2)

			checkNamespace(t, c)
			checkFetch(t, c)
			checkAllRooms(t, c)
			checkBroadcastWithAck(t, c)
			checkJoinLeave(t, c, m)
			checkServerSideEmit(t, c)

			// Disconnect a remote socket.
			if err := n0.In(c.ids[1]).DisconnectSockets(ctxT(t, waitFor)); err != nil {
				t.Fatal(err)
			}
			c.d.Wait(match{"ev": "disconnect", "client": "c1", "reason": "io server disconnect"}, waitFor)
			eventually(t, waitFor, "c1 gone from the cluster", func() bool {
				got, err := n2.FetchSockets(context.Background())
				return err == nil && len(got) == 2
			})
			if n := c.logs.count("dropping"); n > 0 {
				t.Errorf("%d messages dropped: %v", n, c.logs.msgs)
			}
		})
	}
}

func checkFetch(t *testing.T, c *goCluster) {
	t.Helper()
	got, err := c.nodes[2].srv.FetchSockets(ctxT(t, waitFor))
	if err != nil {
		t.Fatalf("FetchSockets: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("FetchSockets returned %d sockets, want 3", len(got))
	}
	for _, rs := range got {
		i := slices.Index(c.ids, rs.ID)
		if i < 0 {
			t.Errorf("unknown socket %s", rs.ID)
			continue
		}
		if rs.Data["server"] != fmt.Sprint(i) {
			t.Errorf("socket of c%d: data %v", i, rs.Data)
		}
		// Typed data survives the trip through Redis (the sockets of
		// nodes 0 and 1) as well as the local path (node 2).
		want := origin{Node: i, Since: time.Date(2026, 12, 3, 0, 0, i, 0, time.UTC)}
		if o, ok := originKey.Remote(rs); !ok || !o.Since.Equal(want.Since) || o.Node != want.Node {
			t.Errorf("socket of c%d: originKey.Remote = %+v, %v; want %+v", i, o, ok, want)
		}
		var auth struct{ Token string }
		if err := rs.Handshake.DecodeAuth(&auth); err != nil || auth.Token != fmt.Sprintf("c%d", i) {
			t.Errorf("socket of c%d: auth %s (%v)", i, rs.Handshake.Auth, err)
		}
		if !slices.Contains(rs.Rooms, rs.ID) || (i > 0) != slices.Contains(rs.Rooms, "r1") {
			t.Errorf("socket of c%d: rooms %v", i, rs.Rooms)
		}
	}
	inRoom, err := c.nodes[0].srv.In("r1").FetchSockets(ctxT(t, waitFor))
	if err != nil || len(inRoom) != 2 {
		t.Errorf("In(r1).FetchSockets: %d sockets, %v", len(inRoom), err)
	}
	// The snapshot's methods act through the cluster.
	for _, rs := range inRoom {
		if rs.ID == c.ids[1] {
			if err := rs.Emit("via-snapshot", 7); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.expect(t, "via-snapshot", 1)
}

func checkAllRooms(t *testing.T, c *goCluster) {
	t.Helper()
	rooms, err := c.nodes[0].adapter().AllRooms(ctxT(t, waitFor))
	if err != nil {
		t.Fatalf("AllRooms: %v", err)
	}
	for _, want := range append([]string{"r1"}, c.ids...) {
		if !slices.Contains(rooms, want) {
			t.Errorf("AllRooms = %v, missing %s", rooms, want)
		}
	}
}

func checkBroadcastWithAck(t *testing.T, c *goCluster) {
	t.Helper()
	type result struct {
		replies []socket.Args
		err     error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		r, err := c.nodes[0].srv.Of("/").EmitWithAck(ctx, "ask", "q")
		done <- result{r, err}
	}()
	for i := range c.nodes {
		name := fmt.Sprintf("c%d", i)
		ev := c.d.Wait(match{"ev": "event", "client": name, "name": "ask"}, waitFor)
		c.d.Ack(name, ev.Int("ackRef"), "answer-"+name, nodepeer.Bin([]byte{byte(i)}))
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("EmitWithAck: %v", r.err)
	}
	var answers []string
	for _, a := range r.replies {
		answers = append(answers, a.String(0))
	}
	sort.Strings(answers)
	if want := []string{"answer-c0", "answer-c1", "answer-c2"}; !slices.Equal(answers, want) {
		t.Errorf("EmitWithAck answers %v, want %v (only the first argument crosses nodes)", answers, want)
	}
	// A room with members on one remote node only.
	ctx := ctxT(t, waitFor)
	go func() {
		r, err := c.nodes[0].srv.To(c.ids[2]).EmitWithAck(ctx, "ask-one")
		done <- result{r, err}
	}()
	ev := c.d.Wait(match{"ev": "event", "client": "c2", "name": "ask-one"}, waitFor)
	c.d.Ack("c2", ev.Int("ackRef"), []byte("x"))
	if r := <-done; r.err != nil || len(r.replies) != 1 {
		t.Errorf("To(c2).EmitWithAck = %d replies, %v", len(r.replies), r.err)
	}
}

func checkJoinLeave(t *testing.T, c *goCluster, m mode) {
	t.Helper()
	n0, n1 := c.nodes[0].srv, c.nodes[1].srv
	if err := n0.In(c.ids[2]).SocketsJoin(ctxT(t, waitFor), "r2"); err != nil {
		t.Fatal(err)
	}
	inRoom := func(room string) func() []string {
		return func() []string {
			got, err := n1.In(room).FetchSockets(context.Background())
			if err != nil {
				return nil
			}
			var ids []string
			for _, rs := range got {
				ids = append(ids, rs.ID)
			}
			return ids
		}
	}
	eventually(t, waitFor, "c2 in r2", func() bool { return slices.Equal(inRoom("r2")(), []string{c.ids[2]}) })
	// A broadcast to the room reaches it, once the node subscribed to the
	// room's channel (sharded dynamic modes).
	waitRoomChannel(t, c, m, "r2")
	if err := n1.To("r2").Emit("r2"); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "r2", 2)
	if err := n1.Of("/").SocketsJoin(ctxT(t, waitFor), "everyone"); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitFor, "all in everyone", func() bool { return len(inRoom("everyone")()) == 3 })
	if err := n0.Of("/").SocketsLeave(ctxT(t, waitFor), "r2"); err != nil {
		t.Fatal(err)
	}
	eventually(t, waitFor, "r2 empty", func() bool { return len(inRoom("r2")()) == 0 })
}

// waitRoomChannel waits, in the dynamic sharded modes, until a node has
// subscribed to the channel of room.
func waitRoomChannel(t *testing.T, c *goCluster, m mode, room string) {
	t.Helper()
	if !m.sharded || m.sub == Static {
		return
	}
	rc := newClient(t, c.redis)
	channel := "socket.io#/#" + room + "#"
	eventually(t, waitFor, "a subscription to "+channel, func() bool {
		n, err := rc.PubSubShardNumSub(context.Background(), channel).Result()
		return err == nil && n[channel] > 0
	})
}

func checkServerSideEmit(t *testing.T, c *goCluster) {
	t.Helper()
	got := make(chan string, 10)
	for i, node := range c.nodes {
		node.srv.OnServerEvent("note", func(args socket.Args, ack socket.AckFunc) {
			got <- fmt.Sprintf("%d:%s", i, args.String(0))
			if ack != nil {
				_ = ack(fmt.Sprintf("ack-%d", i))
			}
		})
	}
	if err := c.nodes[0].srv.ServerSideEmit(ctxT(t, waitFor), "note", "plain"); err != nil {
		t.Fatal(err)
	}
	var want, wantA []string
	for i := range c.nodes {
		if i != 0 {
			want = append(want, fmt.Sprintf("%d:plain", i))
		}
		if i != 1 {
			wantA = append(wantA, fmt.Sprintf("ack-%d", i))
		}
	}
	var seen []string
	for range want {
		select {
		case s := <-got:
			seen = append(seen, s)
		case <-time.After(waitFor):
			t.Fatalf("server-side emit reached %v, want %v", seen, want)
		}
	}
	sort.Strings(seen)
	if !slices.Equal(seen, want) {
		t.Errorf("server-side emit reached %v, want %v", seen, want)
	}
	replies, err := c.nodes[1].srv.ServerSideEmitWithAck(ctxT(t, waitFor), "note", "acked")
	if err != nil {
		t.Fatalf("ServerSideEmitWithAck: %v", err)
	}
	var answers []string
	for _, r := range replies {
		answers = append(answers, r.String(0))
	}
	sort.Strings(answers)
	if !slices.Equal(answers, wantA) {
		t.Errorf("ServerSideEmitWithAck answers %v, want %v", answers, wantA)
	}
	for range wantA {
		<-got
	}
}

// checkNamespace checks that another namespace has a cluster of its own.
func checkNamespace(t *testing.T, c *goCluster) {
	t.Helper()
	for _, n := range c.nodes {
		n.srv.Of("/chat")
	}
	eventually(t, waitFor, "3 servers in /chat", func() bool {
		for _, n := range c.nodes {
			if got, err := n.srv.Of("/chat").Adapter().ServerCount(context.Background()); err != nil || got != 3 {
				return false
			}
		}
		return true
	})
	c.d.Connect("chat", c.nodes[1].url+"/chat", map[string]any{"transports": []string{"websocket"}})
	c.d.Wait(match{"ev": "connect", "client": "chat"}, waitFor)
	if err := c.nodes[2].srv.Of("/chat").Emit("in-chat", 1); err != nil {
		t.Fatal(err)
	}
	c.d.Wait(match{"ev": "event", "client": "chat", "name": "in-chat"}, waitFor)
	if err := c.nodes[2].srv.Emit("in-main", 1); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "in-main", 0, 1, 2)
	c.d.Never(match{"ev": "event", "client": "chat", "name": "in-main"}, 100*time.Millisecond)
	got, err := c.nodes[0].srv.Of("/chat").FetchSockets(ctxT(t, waitFor))
	if err != nil || len(got) != 1 {
		t.Errorf("/chat FetchSockets = %d sockets, %v", len(got), err)
	}
	c.d.Disconnect("chat")
}
