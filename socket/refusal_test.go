package socket

// A namespace refused or left: what the client may do next on the same
// connection.

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestInteropRetryAfterRefusal follows socket.io-client's documented
// re-authentication pattern: on connect_error, update socket.auth and call
// socket.connect() at once. The retried CONNECT can reach the server as soon
// as the client has read the refusal; it must be a new attempt, never a
// duplicate that closes the connection and the other namespace multiplexed
// on it.
func TestInteropRetryAfterRefusal(t *testing.T) {
	peer := nodepeer.Require(t)
	const refusals = 200
	for _, tr := range transports[:2] {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(nil)
			var connections atomic.Int32
			closed := make(chan string, 1)
			srv.OnConnection(func(s *Socket) {
				connections.Add(1)
				s.OnDisconnect(func(_ *Socket, reason DisconnectReason) {
					select {
					case closed <- string(reason):
					default:
					}
				})
			})
			srv.Of("/secure").Use(func(_ context.Context, s *Socket) error {
				var a struct{ Attempt int }
				_ = s.Handshake().DecodeAuth(&a)
				if a.Attempt < refusals {
					return &ConnectError{Message: "try again", Data: a.Attempt}
				}
				return nil
			})
			url := serve(t, srv)

			d := peer.Client(t)
			d.Connect("main", url, tr.opts)
			d.Wait(match{"ev": "connect", "client": "main"}, waitFor)
			d.Send(map[string]any{"cmd": "connect", "client": "secure", "manager": "main",
				"nsp": "/secure", "retryRefused": refusals})
			for i := range refusals {
				e := d.Wait(match{"ev": "connect_error", "client": "secure"}, waitFor)
				if e.String("message") != "try again" || e["data"] != float64(i) {
					t.Fatalf("refusal %d: %v", i, e)
				}
			}
			d.Wait(match{"ev": "connect", "client": "secure"}, waitFor)
			d.Never(match{"ev": "disconnect"}, 100*time.Millisecond)
			select {
			case reason := <-closed:
				t.Fatalf("the multiplexed socket on / disconnected: %q", reason)
			default:
			}
			if n := connections.Load(); n != 1 {
				t.Fatalf("%d connections to /, want 1 (the connection was closed and reopened)", n)
			}
		})
	}
}

// TestProtocolConnectAfterDisconnect: a CONNECT right after leaving a
// namespace, by the client's DISCONNECT or the server's, is a new socket,
// as in Node, not a duplicate that closes the connection. socket.io-client
// sends one when the application calls disconnect() then connect(), or
// connect() on "io server disconnect".
func TestProtocolConnectAfterDisconnect(t *testing.T) {
	t.Parallel()
	const rounds = 200
	// No ping may come between a CONNECT and its reply: under -race on a
	// busy machine the rounds can outlast the default ping interval.
	srv := NewServer(&Options{EngineOptions: EngineOptions{PingInterval: time.Hour}})
	var connections, disconnects atomic.Int32
	srv.OnConnection(func(s *Socket) {
		connections.Add(1)
		s.OnEvent("kick", func(s *Socket, _ Args, _ AckFunc) { s.Disconnect() })
		s.OnDisconnect(func(*Socket, DisconnectReason) { disconnects.Add(1) })
	})
	url := serve(t, srv)
	c := dialWS(t, url, 0)
	connected := func() {
		t.Helper()
		if got := c.read(t); !strings.HasPrefix(got, `40{"sid":"`) {
			t.Fatalf("round %d: reply %q, want the CONNECT reply", connections.Load(), got)
		}
	}
	for range rounds { // the client leaves
		c.send(t, "41")
		c.send(t, "40")
		connected()
	}
	for range rounds { // the server disconnects the socket
		c.send(t, `42["kick"]`)
		if got := c.read(t); got != "41" {
			t.Fatalf("reply to kick = %q", got)
		}
		c.send(t, "40")
		connected()
	}
	c.send(t, "41")
	eventually(t, "every socket has left", func() bool { return disconnects.Load() == 2*rounds+1 })
	if n := connections.Load(); n != 2*rounds+1 {
		t.Fatalf("%d sockets connected, want %d", n, 2*rounds+1)
	}
}

// eventually waits, up to a few seconds, for cond to hold.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
