package redisadapter

// Mixed-cluster tests: an envivo server and a Node socket.io 4.8 server
// with @socket.io/redis-adapter 8.3 (testdata/node/redis-server.js) on one
// redis-server, a socket.io-client on each, every operation from each
// side, in classic and sharded modes.

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

// mixedCluster is one envivo server (client "g") and one Node server
// (client "n") on one Redis.
type mixedCluster struct {
	m      mode
	redis  *redisServer
	rc     *redis.Client
	goNode *testNode
	d      *nodepeer.Driver
	gID    string
	nID    string
	seq    int
	logs   *logRecorder
}

func newMixedCluster(t *testing.T, peer *nodepeer.Peer, m mode) *mixedCluster {
	t.Helper()
	c := &mixedCluster{m: m, redis: startRedis(t), logs: &logRecorder{}}
	c.rc = newClient(t, c.redis)
	env := map[string]string{"REDIS_URL": c.redis.URL(), "MODE": "classic", "REQUESTS_TIMEOUT": "3000"}
	if m.sharded {
		env["MODE"], env["SUBSCRIPTION_MODE"] = "sharded", m.sub.String()
	}
	if m.streams {
		env["MODE"] = "streams"
	}
	port := peer.Server(t, "redis-server.js", env)
	c.goNode = startNode(t, m.adapter(c.rc, slog.New(c.logs)), goHandlers(0))
	waitServerCount(t, 2, c.goNode)
	if m.streams {
		waitStreamReaders(t, c.rc, 2)
	}
	c.d = peer.Client(t)
	opts := func(token string) map[string]any {
		return map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": token}}
	}
	c.d.Connect("g", c.goNode.url+"/", opts("g"))
	c.gID = c.d.Wait(match{"ev": "connect", "client": "g"}, waitFor).String("id")
	c.d.Connect("n", "http://127.0.0.1:"+strconv.Itoa(port)+"/", opts("n"))
	c.nID = c.d.Wait(match{"ev": "connect", "client": "n"}, waitFor).String("id")
	return c
}

// do runs a command on the Node server (see redis-server.js) and returns
// its result, failing the test if it fails.
func (c *mixedCluster) do(t *testing.T, cmd map[string]any) any {
	t.Helper()
	ref := c.start(cmd)
	return c.result(t, ref)
}

// start sends a command without waiting for its result.
func (c *mixedCluster) start(cmd map[string]any) string {
	c.seq++
	ref := fmt.Sprintf("do-%d", c.seq)
	c.d.EmitWithAck("n", ref, "do", 0, cmd)
	return ref
}

func (c *mixedCluster) result(t *testing.T, ref string) any {
	t.Helper()
	ev := c.d.Wait(match{"ev": "ack", "ref": ref}, waitFor)
	r, _ := ev.Args()[0].(map[string]any)
	if r["ok"] != true {
		t.Fatalf("Node command failed: %v", r)
	}
	return r["result"]
}

// expect waits for event name on each client and checks the others do not
// get it; it returns the arguments of the first.
func (c *mixedCluster) expect(t *testing.T, name string, clients ...string) []any {
	t.Helper()
	var args []any
	for i, cl := range clients {
		ev := c.d.Wait(match{"ev": "event", "client": cl, "name": name}, waitFor)
		if i == 0 {
			args = ev.Args()
		}
	}
	for _, cl := range []string{"g", "n"} {
		if !slices.Contains(clients, cl) {
			c.d.Never(match{"ev": "event", "client": cl, "name": name}, 150*time.Millisecond)
		}
	}
	return args
}

// waitChannel waits, in the dynamic sharded modes, until both servers
// subscribed to room's channel.
func (c *mixedCluster) waitChannel(t *testing.T, room string, subscribers int64) {
	t.Helper()
	if !c.m.sharded || c.m.sub == Static {
		return
	}
	channel := "socket.io#/#" + room + "#"
	eventually(t, waitFor, "subscriptions to "+channel, func() bool {
		n, err := c.rc.PubSubShardNumSub(context.Background(), channel).Result()
		return err == nil && n[channel] >= subscribers
	})
}

var mixedModes = []mode{
	{name: "classic"},
	{name: "classic-specific-response", specific: true},
	{name: "sharded-dynamic", sharded: true, sub: Dynamic},
	{name: "sharded-static", sharded: true, sub: Static},
	{name: "sharded-dynamic-private", sharded: true, sub: DynamicPrivate},
	{name: "streams", streams: true},
}

func TestMixedCluster(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range mixedModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c := newMixedCluster(t, peer, m)
			if got := c.do(t, map[string]any{"op": "count"}); got != float64(2) {
				t.Fatalf("Node server count = %v, want 2", got)
			}
			mixedBroadcasts(t, c)
			mixedFetch(t, c)
			mixedBroadcastWithAck(t, c)
			mixedServerSideEmit(t, c)
			mixedJoinLeave(t, c)
			mixedEmitters(t, c)
			mixedDisconnect(t, c)
			if n := c.logs.count("dropping"); n > 0 {
				t.Errorf("%d messages dropped: %v", n, c.logs.msgs)
			}
		})
	}
}

func mixedBroadcasts(t *testing.T, c *mixedCluster) {
	srv := c.goNode.srv
	if err := srv.Emit("from-go", 1, []byte{5, 6}); err != nil {
		t.Fatal(err)
	}
	args := c.expect(t, "from-go", "n", "g")
	if b, ok := nodepeer.DecodeBin(args[1]); !ok || string(b) != "\x05\x06" {
		t.Errorf("Node client got %v", args)
	}
	c.do(t, map[string]any{"op": "emit", "event": "from-node", "args": []any{"x", nodepeer.Bin([]byte{7})}})
	args = c.expect(t, "from-node", "g", "n")
	if b, ok := nodepeer.DecodeBin(args[1]); !ok || string(b) != "\x07" {
		t.Errorf("envivo client got %v", args)
	}

	c.d.EmitWithAck("g", "join-gr", "join", 0, "gr")
	c.d.Wait(match{"ev": "ack", "ref": "join-gr"}, waitFor)
	c.d.EmitWithAck("n", "join-nr", "join", 0, "nr")
	c.d.Wait(match{"ev": "ack", "ref": "join-nr"}, waitFor)
	c.waitChannel(t, "gr", 1)
	c.waitChannel(t, "nr", 1)

	c.do(t, map[string]any{"op": "emit", "event": "node-to-gr", "rooms": []string{"gr"}})
	c.expect(t, "node-to-gr", "g")
	if err := srv.To("nr").Emit("go-to-nr"); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "go-to-nr", "n")
	if err := srv.Except("nr").Emit("go-except-nr"); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "go-except-nr", "g")
	c.do(t, map[string]any{"op": "emit", "event": "node-except-gr", "except": []string{"gr"}})
	c.expect(t, "node-except-gr", "n")
	c.do(t, map[string]any{"op": "emit", "event": "node-volatile", "rooms": []string{"gr", "nr"}, "volatile": true})
	c.expect(t, "node-volatile", "g", "n")
	if err := srv.To(c.nID).Emit("go-to-node-socket"); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "go-to-node-socket", "n")
	c.do(t, map[string]any{"op": "emit", "event": "node-to-go-socket", "rooms": []string{c.gID}})
	c.expect(t, "node-to-go-socket", "g")
}

func mixedFetch(t *testing.T, c *mixedCluster) {
	got, err := c.goNode.srv.FetchSockets(ctxT(t, waitFor))
	if err != nil || len(got) != 2 {
		t.Fatalf("FetchSockets = %d sockets, %v", len(got), err)
	}
	for _, rs := range got {
		var auth struct{ Token string }
		_ = rs.Handshake.DecodeAuth(&auth)
		switch rs.ID {
		case c.nID:
			if rs.Data["server"] != "node" || auth.Token != "n" || !slices.Contains(rs.Rooms, "nr") {
				t.Errorf("Node socket seen from Go: data %v, auth %s, rooms %v", rs.Data, rs.Handshake.Auth, rs.Rooms)
			}
			if rs.Handshake.Time.IsZero() || rs.Handshake.Headers.Get("Host") == "" {
				t.Errorf("Node socket's handshake: %+v", rs.Handshake)
			}
		case c.gID:
			if auth.Token != "g" {
				t.Errorf("Go socket: auth %s", rs.Handshake.Auth)
			}
		default:
			t.Errorf("unknown socket %s", rs.ID)
		}
	}
	list, _ := c.do(t, map[string]any{"op": "fetch"}).([]any)
	if len(list) != 2 {
		t.Fatalf("Node fetchSockets = %v", list)
	}
	for _, e := range list {
		s, _ := e.(map[string]any)
		if s["id"] != c.gID {
			continue
		}
		data, _ := s["data"].(map[string]any)
		auth, _ := s["auth"].(map[string]any)
		rooms, _ := s["rooms"].([]any)
		if data["server"] != "0" || auth["token"] != "g" || !slices.Contains(rooms, any("gr")) {
			t.Errorf("Go socket seen from Node: %v", s)
		}
		return
	}
	t.Errorf("Node fetchSockets misses the Go socket: %v", list)
}

func mixedBroadcastWithAck(t *testing.T, c *mixedCluster) {
	type result struct {
		replies []socket.Args
		err     error
	}
	done := make(chan result, 1)
	go func() {
		r, err := c.goNode.srv.Of("/").EmitWithAck(ctxT(t, waitFor), "go-asks", 1)
		done <- result{r, err}
	}()
	for _, cl := range []string{"g", "n"} {
		ev := c.d.Wait(match{"ev": "event", "client": cl, "name": "go-asks"}, waitFor)
		c.d.Ack(cl, ev.Int("ackRef"), "from-"+cl, nodepeer.Bin([]byte("z")))
	}
	r := <-done
	var answers []string
	for _, a := range r.replies {
		answers = append(answers, a.String(0))
	}
	sort.Strings(answers)
	if r.err != nil || !slices.Equal(answers, []string{"from-g", "from-n"}) {
		t.Errorf("Go EmitWithAck = %v, %v", answers, r.err)
	}

	ref := c.start(map[string]any{"op": "emitWithAck", "event": "node-asks", "timeout": 5000})
	for _, cl := range []string{"g", "n"} {
		ev := c.d.Wait(match{"ev": "event", "client": cl, "name": "node-asks"}, waitFor)
		c.d.Ack(cl, ev.Int("ackRef"), map[string]any{"by": cl, "bin": nodepeer.Bin([]byte{1})})
	}
	res, _ := c.result(t, ref).([]any)
	var by []string
	for _, e := range res {
		m, _ := e.(map[string]any)
		if b, ok := nodepeer.DecodeBin(m["bin"]); !ok || string(b) != "\x01" {
			t.Errorf("Node got ack %v", m)
		}
		by = append(by, fmt.Sprint(m["by"]))
	}
	sort.Strings(by)
	if !slices.Equal(by, []string{"g", "n"}) {
		t.Errorf("Node emitWithAck = %v", res)
	}
}

func mixedServerSideEmit(t *testing.T, c *mixedCluster) {
	srv := c.goNode.srv
	notes := make(chan string, 4)
	srv.OnServerEvent("go-note", func(args socket.Args, ack socket.AckFunc) {
		notes <- args.String(0)
		if ack != nil {
			_ = ack(map[string]any{"from": "go", "got": args.String(0)})
		}
	})
	replies, err := srv.ServerSideEmitWithAck(ctxT(t, waitFor), "ping", "x", 2)
	if err != nil || len(replies) != 1 {
		t.Fatalf("ServerSideEmitWithAck to Node = %d replies, %v", len(replies), err)
	}
	var reply struct {
		From string
		Args []any
	}
	if err := replies[0].Decode(0, &reply); err != nil || reply.From != "node" || len(reply.Args) != 2 {
		t.Errorf("Node answered %v (%v)", reply, err)
	}
	if err := srv.ServerSideEmit(ctxT(t, waitFor), "note", "y"); err != nil {
		t.Fatal(err)
	}
	if args := c.expect(t, "server-event", "n"); len(args) != 2 || args[0] != "note" || args[1] != "y" {
		t.Errorf("Node server got %v", args)
	}
	res, _ := c.do(t, map[string]any{"op": "sseAck", "event": "go-note", "args": []any{"q"}}).([]any)
	if len(res) != 1 || fmt.Sprint(res[0]) != "map[from:go got:q]" {
		t.Errorf("Node serverSideEmitWithAck = %v", res)
	}
	c.do(t, map[string]any{"op": "sse", "event": "go-note", "args": []any{"plain"}})
	for _, want := range []string{"q", "plain"} {
		select {
		case got := <-notes:
			if got != want {
				t.Errorf("Go server got %q, want %q", got, want)
			}
		case <-time.After(waitFor):
			t.Fatalf("Go server never got %q", want)
		}
	}
}

// inRoom returns the ids of the sockets in room, as Go and Node see them.
func (c *mixedCluster) inRoom(t *testing.T, room string) (fromGo, fromNode []string) {
	got, err := c.goNode.srv.In(room).FetchSockets(context.Background())
	if err == nil {
		for _, rs := range got {
			fromGo = append(fromGo, rs.ID)
		}
	}
	list, _ := c.do(t, map[string]any{"op": "fetch", "rooms": []string{room}}).([]any)
	for _, e := range list {
		s, _ := e.(map[string]any)
		fromNode = append(fromNode, fmt.Sprint(s["id"]))
	}
	sort.Strings(fromGo)
	sort.Strings(fromNode)
	return fromGo, fromNode
}

func (c *mixedCluster) waitRoom(t *testing.T, room string, ids ...string) {
	t.Helper()
	sort.Strings(ids)
	eventually(t, waitFor, fmt.Sprintf("%s holding %v", room, ids), func() bool {
		g, n := c.inRoom(t, room)
		return slices.Equal(g, ids) && slices.Equal(n, ids)
	})
}

func mixedJoinLeave(t *testing.T, c *mixedCluster) {
	srv := c.goNode.srv
	if err := srv.Of("/").SocketsJoin(ctxT(t, waitFor), "go-joined"); err != nil {
		t.Fatal(err)
	}
	c.waitRoom(t, "go-joined", c.gID, c.nID)
	c.do(t, map[string]any{"op": "join", "target": []string{"node-joined"}})
	c.waitRoom(t, "node-joined", c.gID, c.nID)
	if err := srv.In(c.nID).SocketsLeave(ctxT(t, waitFor), "node-joined"); err != nil {
		t.Fatal(err)
	}
	c.waitRoom(t, "node-joined", c.gID)
	c.do(t, map[string]any{"op": "leave", "rooms": []string{c.gID}, "target": []string{"go-joined"}})
	c.waitRoom(t, "go-joined", c.nID)

	rooms, err := c.goNode.adapter().AllRooms(ctxT(t, waitFor))
	if err != nil || !slices.Contains(rooms, "nr") || !slices.Contains(rooms, "gr") {
		t.Errorf("Go AllRooms = %v, %v", rooms, err)
	}
	if !c.m.sharded && !c.m.streams { // Node's sharded and Streams adapters have no allRooms
		list, _ := c.do(t, map[string]any{"op": "allRooms"}).([]any)
		if !slices.Contains(list, any("gr")) || !slices.Contains(list, any("nr")) {
			t.Errorf("Node allRooms = %v", list)
		}
	}
}

func mixedEmitters(t *testing.T, c *mixedCluster) {
	if c.m.streams {
		return // the Redis emitter speaks the Pub/Sub adapters' format
	}
	ctx := ctxT(t, waitFor)
	e := NewEmitter(c.rc, &EmitterOptions{Sharded: c.m.sharded, SubscriptionMode: c.m.sub})
	if err := e.To("nr").Emit(ctx, "go-emitter-nr", []byte{3}); err != nil {
		t.Fatal(err)
	}
	if args := c.expect(t, "go-emitter-nr", "n"); len(args) != 1 {
		t.Errorf("Node client got %v", args)
	}
	if err := e.Emit(ctx, "go-emitter-all", "hi"); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "go-emitter-all", "g", "n")
	if err := e.In(c.nID).SocketsJoin(ctx, "emitted"); err != nil {
		t.Fatal(err)
	}
	c.waitRoom(t, "emitted", c.nID)
	if err := e.SocketsLeave(ctx, "emitted"); err != nil {
		t.Fatal(err)
	}
	c.waitRoom(t, "emitted")
	if err := e.ServerSideEmit(ctx, "emitter-note", 1); err != nil {
		t.Fatal(err)
	}
	c.expect(t, "server-event", "n")
	if c.m.sharded {
		return // Node's emitter publishes for the classic adapter only
	}
	c.do(t, map[string]any{"op": "emitter", "event": "node-emitter-gr", "rooms": []string{"gr"}, "args": []any{nodepeer.Bin([]byte{4})}})
	if args := c.expect(t, "node-emitter-gr", "g"); len(args) != 1 {
		t.Errorf("envivo client got %v", args)
	}
	c.do(t, map[string]any{"op": "emitter", "what": "join", "rooms": []string{c.gID}, "target": []string{"node-emitted"}})
	c.waitRoom(t, "node-emitted", c.gID)
	got := make(chan string, 1)
	c.goNode.srv.OnServerEvent("node-emitter-note", func(args socket.Args, _ socket.AckFunc) {
		got <- args.String(0)
	})
	c.do(t, map[string]any{"op": "emitter", "what": "sse", "event": "node-emitter-note", "args": []any{"hey"}})
	select {
	case s := <-got:
		if s != "hey" {
			t.Errorf("Go got %q from Node's emitter", s)
		}
	case <-time.After(waitFor):
		t.Fatal("Node's emitter serverSideEmit never reached Go")
	}
	c.do(t, map[string]any{"op": "emitter", "what": "disconnect", "rooms": []string{"node-emitted"}})
	c.d.Wait(match{"ev": "disconnect", "client": "g", "reason": "io server disconnect"}, waitFor)
	c.d.Send(map[string]any{"cmd": "connect_again", "client": "g"})
	c.gID = c.d.Wait(match{"ev": "connect", "client": "g"}, waitFor).String("id")
}

func mixedDisconnect(t *testing.T, c *mixedCluster) {
	c.do(t, map[string]any{"op": "disconnect", "rooms": []string{c.gID}})
	c.d.Wait(match{"ev": "disconnect", "client": "g", "reason": "io server disconnect"}, waitFor)
	if err := c.goNode.srv.In(c.nID).CloseConnections(ctxT(t, waitFor)); err != nil {
		t.Fatal(err)
	}
	c.d.Wait(match{"ev": "disconnect", "client": "n"}, waitFor)
}
