package socket

// Refused CONNECTs: what the client may do next on the same connection.

import (
	"context"
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
				s.OnDisconnect(func(_ *Socket, reason string) {
					select {
					case closed <- reason:
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
