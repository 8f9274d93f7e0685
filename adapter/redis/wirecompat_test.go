package redisadapter

// Byte compatibility: the same operation done by Node (socket.io 4.8 with
// @socket.io/redis-adapter 8.3 and @socket.io/redis-emitter 5.1) and by
// envivo must publish the same bytes, once the server uids and request ids
// are swapped.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

// capture records every PUBLISH and SPUBLISH a Redis server executes,
// through MONITOR, which (unlike a subscription) changes no subscriber
// count.
type capture struct {
	mu   sync.Mutex
	msgs []published
	more chan struct{}
}

// published is one PUBLISH or SPUBLISH.
type published struct{ Channel, Payload string }

func startCapture(t *testing.T, r *redisServer) *capture {
	t.Helper()
	conn, err := net.Dial("tcp", r.Addr())
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("MONITOR: %q, %v", line, err)
	}
	c := &capture{more: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			args := monitorArgs(line)
			if len(args) != 3 || (!strings.EqualFold(args[0], "PUBLISH") && !strings.EqualFold(args[0], "SPUBLISH")) {
				continue
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, published{args[1], args[2]})
			c.mu.Unlock()
			select {
			case c.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	return c
}

// monitorArgs returns the quoted, escaped arguments of a MONITOR line.
func monitorArgs(line string) []string {
	var args []string
	for i := strings.IndexByte(line, ']'); i >= 0 && i < len(line); i++ {
		if line[i] != '"' {
			continue
		}
		var b []byte
		for i++; i < len(line) && line[i] != '"'; i++ {
			if line[i] != '\\' || i+1 >= len(line) {
				b = append(b, line[i])
				continue
			}
			i++
			switch e := line[i]; e {
			case 'x':
				v, _ := strconv.ParseUint(line[i+1:i+3], 16, 8)
				b = append(b, byte(v))
				i += 2
			case 'n', 'r', 't', 'a', 'b':
				b = append(b, map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', 'a': 7, 'b': 8}[e])
			default:
				b = append(b, e)
			}
		}
		args = append(args, string(b))
	}
	return args
}

// reset forgets the messages captured so far.
func (c *capture) reset() {
	c.mu.Lock()
	c.msgs = nil
	c.mu.Unlock()
}

// next returns the first message not taken yet that ok accepts.
func (c *capture) next(t *testing.T, what string, ok func(published) bool) published {
	t.Helper()
	deadline := time.After(waitFor)
	for {
		c.mu.Lock()
		for i, m := range c.msgs {
			if ok(m) {
				c.msgs = append(c.msgs[:i:i], c.msgs[i+1:]...)
				c.mu.Unlock()
				return m
			}
		}
		c.mu.Unlock()
		select {
		case <-c.more:
		case <-deadline:
			t.Fatalf("no message %s was published; left: %q", what, c.msgs)
		}
	}
}

// from accepts the messages that contain uid and are not responses.
func from(uid string) func(published) bool {
	return func(m published) bool {
		return strings.Contains(m.Payload, uid) && !strings.Contains(m.Channel, "-response#") &&
			!strings.Contains(m.Payload, `"type":8,`) && !strings.Contains(m.Payload, `"type":10,`) &&
			!strings.Contains(m.Payload, "\xa4type\x0a")
	}
}

type helloArg struct {
	Three float64 `json:"three"`
	N     any     `json:"n"`
	Neg   int     `json:"neg"`
	Big   int     `json:"big"`
	Bin   []byte  `json:"bin"`
}

func TestWireMatchesNode(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range []mode{{name: "classic"}, {name: "sharded", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c := newMixedCluster(t, peer, m)
			capt := startCapture(t, c.redis)
			goUID := goUIDOf(c.goNode)
			srv := c.goNode.srv
			bin := []byte{1, 2, 3}
			ops := []struct {
				name   string
				node   map[string]any
				goSide func() error
			}{
				{"broadcast with binary",
					map[string]any{"op": "emit", "event": "hello", "args": []any{1, "two",
						json.RawMessage(`{"three":3.5,"n":null,"neg":-7,"big":300,"bin":{"$bin":"AQID"}}`)}},
					func() error { return srv.Emit("hello", 1, "two", helloArg{3.5, nil, -7, 300, bin}) }},
				{"broadcast to a room",
					map[string]any{"op": "emit", "event": "r", "rooms": []string{"room1"}, "args": []any{[]bool{true, false}}},
					func() error { return srv.To("room1").Emit("r", []bool{true, false}) }},
				{"broadcast to rooms, except, volatile",
					map[string]any{"op": "emit", "event": "multi", "rooms": []string{"room1", "room2"}, "except": []string{"room3"}, "volatile": true},
					func() error { return srv.To("room1", "room2").Except("room3").Volatile().Emit("multi") }},
				{"sockets join",
					map[string]any{"op": "join", "target": []string{"a-room"}},
					func() error { return srv.Of("/").SocketsJoin(context.Background(), "a-room") }},
				{"sockets leave",
					map[string]any{"op": "leave", "rooms": []string{"r1"}, "target": []string{"b", "c"}},
					func() error { return srv.In("r1").SocketsLeave(context.Background(), "b", "c") }},
				{"disconnect",
					map[string]any{"op": "disconnect", "rooms": []string{"nobody"}, "close": true},
					func() error { return srv.In("nobody").CloseConnections(context.Background()) }},
				{"server-side emit",
					map[string]any{"op": "sse", "event": "sse", "args": []any{1, 2}},
					func() error { return srv.ServerSideEmit(context.Background(), "sse", 1, 2) }},
				{"fetch sockets",
					map[string]any{"op": "fetch", "rooms": []string{"x"}},
					func() error { _, err := srv.In("x").FetchSockets(ctxT(t, waitFor)); return err }},
				{"server-side emit with ack",
					map[string]any{"op": "sseAck", "event": "ping", "args": []any{"a"}},
					func() error { _, err := srv.ServerSideEmitWithAck(ctxT(t, waitFor), "ping", "a"); return err }},
			}
			srv.OnServerEvent("ping", func(_ socket.Args, ack socket.AckFunc) { _ = ack("pong") })
			nodeUID := ""
			for _, op := range ops {
				c.do(t, op.node)
				nodeMsg := capt.next(t, "from Node", from(nodeUID))
				if nodeUID == "" {
					nodeUID, _ = idsIn(t, nodeMsg.Payload, m.sharded)
				}
				if err := op.goSide(); err != nil {
					t.Fatalf("%s: %v", op.name, err)
				}
				goMsg := capt.next(t, "from Go", from(goUID))
				_, nodeID := idsIn(t, nodeMsg.Payload, m.sharded)
				_, goID := idsIn(t, goMsg.Payload, m.sharded)
				want := strings.ReplaceAll(nodeMsg.Payload, nodeUID, goUID)
				if nodeID != "" {
					want = strings.ReplaceAll(want, nodeID, goID)
				}
				if goMsg.Channel != nodeMsg.Channel || goMsg.Payload != want {
					t.Errorf("%s:\n Go   %s %q\n Node %s %q", op.name, goMsg.Channel, goMsg.Payload, nodeMsg.Channel, want)
				}
			}
			if !m.sharded {
				capt.reset()
				emitterMatchesNode(t, c, capt)
			}
		})
	}
}

// emitterMatchesNode compares the messages of the two emitters.
func emitterMatchesNode(t *testing.T, c *mixedCluster, capt *capture) {
	e := NewEmitter(c.rc, nil)
	ctx := context.Background()
	ops := []struct {
		name   string
		node   map[string]any
		goSide func() error
	}{
		{"emit", map[string]any{"op": "emitter", "event": "fromemitter", "rooms": []string{"room9"}, "args": []any{5}},
			func() error { return e.To("room9").Emit(ctx, "fromemitter", 5) }},
		{"volatile emit", map[string]any{"op": "emitter", "event": "v", "volatile": true},
			func() error { return e.Volatile().Emit(ctx, "v") }},
		{"join", map[string]any{"op": "emitter", "what": "join", "target": []string{"z"}},
			func() error { return e.SocketsJoin(ctx, "z") }},
		{"leave", map[string]any{"op": "emitter", "what": "leave", "rooms": []string{"x"}, "target": []string{"z"}},
			func() error { return e.In("x").SocketsLeave(ctx, "z") }},
		{"disconnect", map[string]any{"op": "emitter", "what": "disconnect", "rooms": []string{"nobody"}, "except": []string{"y"}, "close": true},
			func() error { return e.In("nobody").Except("y").CloseConnections(ctx) }},
		{"server-side emit", map[string]any{"op": "emitter", "what": "sse", "event": "essee", "args": []any{1}},
			func() error { return e.ServerSideEmit(ctx, "essee", 1) }},
	}
	for _, op := range ops {
		c.do(t, op.node)
		nodeMsg := capt.next(t, "from Node's emitter", from(""))
		if err := op.goSide(); err != nil {
			t.Fatalf("emitter %s: %v", op.name, err)
		}
		goMsg := capt.next(t, "from Go's emitter", from(""))
		if goMsg.Channel != nodeMsg.Channel || goMsg.Payload != nodeMsg.Payload {
			t.Errorf("emitter %s:\n Go   %s %q\n Node %s %q", op.name, goMsg.Channel, goMsg.Payload, nodeMsg.Channel, nodeMsg.Payload)
		}
	}
}

// goUIDOf returns the uid of a node's main adapter.
func goUIDOf(n *testNode) string {
	switch a := n.adapter().(type) {
	case *classic:
		return a.uid
	case *sharded:
		return a.uid
	}
	return ""
}

// idsIn returns the uid of the node that published payload and the
// request id it carries, if any.
func idsIn(t *testing.T, payload string, sharded bool) (uid, requestID string) {
	t.Helper()
	js, _, err := decodePayload([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	if sharded {
		var m clusterMessage
		var d clusterData
		_ = json.Unmarshal(js, &m)
		_ = json.Unmarshal(m.Data, &d)
		return m.UID, d.id()
	}
	if bytes.HasPrefix(js, []byte("[")) {
		var a []json.RawMessage
		if json.Unmarshal(js, &a) == nil && len(a) > 0 {
			_ = json.Unmarshal(a[0], &uid)
		}
		return uid, ""
	}
	var r classicRequest
	_ = json.Unmarshal(js, &r)
	return r.UID, r.id()
}
