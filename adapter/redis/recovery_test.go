package redisadapter

import (
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
)

// TestRecoveryOnTheSameNode checks what connection state recovery does
// with the Redis adapter: each node keeps the sessions of its own sockets
// and numbers what it delivers, broadcasts from other nodes included, so a
// client that comes back to the node it left recovers, and gets what other
// nodes broadcast to its rooms while it was away.
func TestRecoveryOnTheSameNode(t *testing.T) {
	peer := nodepeer.Require(t)
	r := startRedis(t)
	node := func(onConnection func(*socket.Socket)) *testNode {
		srv := socket.NewServer(&socket.Options{
			Adapter:                 New(newClient(t, r), nil),
			ConnectionStateRecovery: &socket.ConnectionStateRecovery{},
		})
		if onConnection != nil {
			srv.OnConnection(onConnection)
		}
		return &testNode{srv: srv, url: sockettest.Serve(t, srv, srv)}
	}
	recovered := make(chan bool, 4)
	a := node(func(s *socket.Socket) {
		if !s.Recovered() {
			s.Join("r")
		}
		recovered <- s.Recovered()
	})
	b := node(nil)
	waitServerCount(t, 2, a, b)

	d := peer.Client(t)
	d.Connect("c", a.url, map[string]any{
		"transports": []string{"websocket"}, "reconnectionDelay": 300, "reconnectionDelayMax": 300, "randomizationFactor": 0,
	})
	first := d.Wait(match{"ev": "connect"}, 10*time.Second).String("id")
	if <-recovered {
		t.Fatal("a first connection reported recovered")
	}
	if err := b.srv.To("r").Emit("before"); err != nil {
		t.Fatal(err)
	}
	if args := d.Wait(match{"ev": "event", "name": "before"}, 10*time.Second).Args(); len(args) != 1 {
		t.Fatalf("a broadcast from another node: args %v, want its offset on this node", args)
	}
	d.CloseTransport("c")
	d.Wait(match{"ev": "disconnect"}, 10*time.Second)
	if err := b.srv.To("r").Emit("during"); err != nil {
		t.Fatal(err)
	}
	d.Wait(match{"ev": "connect", "id": first, "recovered": true}, 10*time.Second)
	d.Wait(match{"ev": "event", "name": "during"}, 10*time.Second)
	if !<-recovered {
		t.Fatal("the server-side socket did not report recovered")
	}
}
