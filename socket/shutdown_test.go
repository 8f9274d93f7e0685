package socket

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// closeCounter is the memory adapter, counting its Close calls.
type closeCounter struct {
	Adapter
	closed *atomic.Int32
}

func (a closeCounter) Close() error {
	a.closed.Add(1)
	return a.Adapter.Close()
}

// TestShutdownClosesAdaptersOnDeadline: a Shutdown whose context ends
// while a handler still runs closes the adapters all the same; before, a
// timed-out Shutdown left a Redis adapter's subscriptions open.
func TestShutdownClosesAdaptersOnDeadline(t *testing.T) {
	var closed atomic.Int32
	srv := NewServer(&Options{Adapter: func(nsp *Namespace) Adapter {
		return closeCounter{newMemoryAdapter(nsp), &closed}
	}})
	release := make(chan struct{})
	defer close(release)
	entered := make(chan struct{})
	srv.OnConnection(func(s *Socket) {
		close(entered)
		<-release // a handler that outlives Shutdown's deadline
	})
	url := serve(t, srv) + "/socket.io/?EIO=4&transport=polling"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	sid := strings.SplitN(strings.SplitN(string(body), `"sid":"`, 2)[1], `"`, 2)[0]
	resp, err = http.Post(url+"&sid="+sid, "text/plain", strings.NewReader("40"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); err == nil {
		t.Fatal("Shutdown returned nil while a handler ran past its deadline")
	}
	if closed.Load() == 0 {
		t.Fatal("a Shutdown that timed out left the adapters open")
	}
}
