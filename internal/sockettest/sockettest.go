// Package sockettest serves a socket.Server for tests. It is a test helper:
// import it only from _test.go files (package socket's own tests cannot, as
// it imports socket).
package sockettest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/envivo/socketio/socket"
)

// Serve serves h, which is srv or a handler around it, on a test HTTP server
// and returns its base URL. At t's cleanup srv shuts down first, which
// disconnects its clients (net/http does not close WebSocket connections),
// then the HTTP server closes; a Shutdown error fails the test.
func Serve(t testing.TB, srv *socket.Server, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return ts.URL
}
