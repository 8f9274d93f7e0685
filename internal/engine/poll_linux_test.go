//go:build linux && !envivo_portable

package engine

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// What idle WebSockets cost in goroutines on the readiness path.
const (
	idleGoroutinesPerWebSocket = 0
	pollerGoroutines           = 1
)

// TestWebSocketReadLoopOnDescriptor reads WebSockets as the other Unix
// systems do, with no epoll set: on a goroutine per connection that waits
// in the runtime's poller and reads through the descriptor (fd_unix.go).
func TestWebSocketReadLoopOnDescriptor(t *testing.T) {
	t.Parallel()
	eng, _ := newRecordingServer(nil)
	eng.poller.off = true
	srv := httptest.NewServer(eng)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = eng.Shutdown(ctx)
		srv.Close()
	})
	d := ws.Dialer{Timeout: waitTimeout}
	conn, br, _, err := d.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")+"/?EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	echoSizes(t, conn, br)
	eng.poller.mu.Lock()
	n := eng.poller.count
	eng.poller.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d connections in the epoll set", n)
	}
}
