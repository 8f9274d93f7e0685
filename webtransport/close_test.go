package webtransport

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/socket"
)

// connect opens a session and connects it to "/", returning the server's
// socket.
func connect(t *testing.T, ts *testServer, sockets <-chan *socket.Socket) (*goClient, *socket.Socket) {
	t.Helper()
	c, _ := dial(t, ts, "")
	c.openSession()
	c.sendText("40")
	if p, _ := c.next(); !strings.HasPrefix(p, "40{") {
		t.Fatalf("CONNECT answered %q", p)
	}
	return c, wait(t, sockets)
}

func socketsOf(srv *socket.Server) <-chan *socket.Socket {
	ch := make(chan *socket.Socket, 4)
	srv.OnConnection(func(s *socket.Socket) { ch <- s })
	return ch
}

// eof reports whether the stream ends (the server's FIN) after what was
// read.
func (c *goClient) eof() bool {
	_ = c.st.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.st.Read(make([]byte, 1))
	return errors.Is(err, io.EOF)
}

// TestServerCloses: CloseConnection sends the client its DISCONNECT, then
// ends the stream (the packet is not lost to a reset), and the session is
// gone once the client closes it.
func TestServerCloses(t *testing.T) {
	srv := socket.NewServer(withWebTransport())
	ts := startServer(t, srv)
	c, s := connect(t, ts, socketsOf(srv))
	s.CloseConnection()
	if p, _ := c.next(); p != "41" {
		t.Fatalf("got %q, want the DISCONNECT", p)
	}
	if !c.eof() {
		t.Fatal("the stream did not end after the DISCONNECT")
	}
	_ = c.sess.CloseWithError(0, "")
	deadline := time.Now().Add(5 * time.Second)
	for srv.ClientsCount() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.ClientsCount(); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

// TestShutdown: Shutdown ends a WebTransport session like any other, with
// "server shutting down", even when the client never closes its side.
func TestShutdown(t *testing.T) {
	srv := socket.NewServer(withWebTransport())
	reasons := make(chan socket.DisconnectReason, 1)
	srv.OnConnection(func(s *socket.Socket) {
		s.OnDisconnect(func(_ *socket.Socket, r socket.DisconnectReason) { reasons <- r })
	})
	ts := startServer(t, srv)
	c, _ := dial(t, ts, "")
	c.openSession()
	c.sendText("40")
	c.next()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if got := wait(t, reasons); got != socket.ReasonServerShutdown {
		t.Fatalf("reason %q", got)
	}
	if !c.closed() {
		t.Fatal("the WebTransport session stayed open")
	}
}

// TestHeartbeat: the server pings over WebTransport; a client that
// answers stays, one that stops answering is closed with "ping timeout".
func TestHeartbeat(t *testing.T) {
	opts := withWebTransport()
	opts.PingInterval, opts.PingTimeout = 30*time.Millisecond, time.Second
	srv := socket.NewServer(opts)
	reasons := make(chan socket.DisconnectReason, 1)
	srv.OnConnection(func(s *socket.Socket) {
		s.OnEvent("echo", func(_ *socket.Socket, args socket.Args, ack socket.AckFunc) { _ = ack(args.Values()...) })
		s.OnDisconnect(func(_ *socket.Socket, r socket.DisconnectReason) { reasons <- r })
	})
	ts := startServer(t, srv)
	c, _ := dial(t, ts, "")
	c.openSession()
	c.sendText("40")
	c.next()
	for i := range 5 { // next answers the pings that come meanwhile
		c.sendText(`421["echo",` + itoa(i) + `]`)
		if p, _ := c.next(); p != `431[`+itoa(i)+`]` {
			t.Fatalf("ack %q", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case r := <-reasons:
		t.Fatalf("the client answering pings was disconnected: %q", r)
	default:
	}
	if got := wait(t, reasons); got != socket.ReasonPingTimeout {
		t.Fatalf("reason %q, want ping timeout", got)
	}
}
