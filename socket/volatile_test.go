package socket

import (
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestSocketVolatile: Socket.Volatile drops the event for a client that
// is not ready (a polling client with no GET pending) and delivers it to
// one that is; a plain Emit waits.
func TestSocketVolatile(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	sockets := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { sockets <- s })
	url := serve(t, srv)
	c := dialRaw(t, url)
	c.post(`40`)
	c.get()
	s := wait(t, sockets)
	if err := s.Volatile().Emit("volatile"); err != nil {
		t.Fatal(err)
	}
	if err := s.Emit("plain"); err != nil {
		t.Fatal(err)
	}
	if _, packets := c.get(); len(packets) != 1 || packets[0] != `42["plain"]` {
		t.Fatalf("got %q, want only the plain event", packets)
	}
	got := make(chan []string, 1)
	go func() { _, p := c.get(); got <- p }()
	eventually(t, "a GET pending", func() bool { return s.client.conn.Writable() })
	_ = s.Volatile().Emit("volatile")
	if packets := wait(t, got); packets[0] != `42["volatile"]` {
		t.Fatalf("got %q, want the volatile event", packets)
	}
}

// TestSocketLocal: Socket.Local reaches every other socket of the
// namespace on this node, not the socket itself, as Node's
// socket.local.emit.
func TestSocketLocal(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("shout", func(s *Socket, _ Args, _ AckFunc) { _ = s.Local().Emit("heard", s.ID()) })
	})
	url := serve(t, srv)
	d := peer.Client(t)
	for _, c := range []string{"a", "b"} {
		d.Connect(c, url, map[string]any{"transports": []string{"websocket"}})
		d.Wait(match{"ev": "connect", "client": c}, waitFor)
	}
	d.Emit("a", "shout")
	d.Wait(match{"ev": "event", "client": "b", "name": "heard"}, waitFor)
	d.Never(match{"ev": "event", "client": "a", "name": "heard"}, 200*time.Millisecond)
}
