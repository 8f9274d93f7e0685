package socket

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/envivo/socketio/internal/skipnote"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m)) // skipnote: the skips for missing peers, visible
}

// serve starts srv behind a test HTTP server and returns its base URL; the
// cleanup shuts both down.
func serve(t testing.TB, srv *Server) string {
	t.Helper()
	ts := httptest.NewServer(srv)
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

// wait receives from c or fails the test after a few seconds.
func wait[T any](t testing.TB, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %T", *new(T))
		panic("unreachable")
	}
}
