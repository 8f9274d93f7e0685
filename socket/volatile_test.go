package socket

import "testing"

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
