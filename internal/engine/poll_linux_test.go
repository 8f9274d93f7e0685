//go:build linux && !envivo_portable

package engine

import "testing"

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
	ts := newTestServerWith(t, eng)
	echoSizes(ts.dialWS(t, "EIO=4&transport=websocket", nil))
	eng.poller.mu.Lock()
	n := eng.poller.count
	eng.poller.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d connections in the epoll set", n)
	}
}
