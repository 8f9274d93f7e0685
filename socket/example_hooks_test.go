package socket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"

	"github.com/envivo/socketio/socket"
)

// Int64Counter has the shape of OpenTelemetry's metric.Int64Counter, the
// attributes reduced to strings: with the OpenTelemetry SDK, pass its
// counter and attribute.String instead.
type Int64Counter interface {
	Add(ctx context.Context, incr int64, attrs ...string)
}

// counter is a stand-in for an OpenTelemetry counter.
type counter struct {
	mu sync.Mutex
	n  map[string]int64
}

func (c *counter) Add(_ context.Context, incr int64, attrs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[fmt.Sprint(attrs)] += incr
}

// Hooks wire the server's events to another metrics or tracing system,
// here a counter shaped like OpenTelemetry's. Hooks run on the server's
// goroutines: they only count, and never block.
func ExampleHooks() {
	events := &counter{n: make(map[string]int64)}
	var c Int64Counter = events
	ctx := context.Background()
	io := socket.NewServer(&socket.Options{Hooks: socket.Hooks{
		OnConnect: func(s *socket.Socket) {
			c.Add(ctx, 1, "event", "connect", "namespace", s.Namespace().Name())
		},
		OnDisconnect: func(s *socket.Socket, reason socket.DisconnectReason) {
			c.Add(ctx, 1, "event", "disconnect", "reason", string(reason))
		},
		OnRefuse: func(r *socket.Refusal) {
			c.Add(ctx, 1, "event", "refuse", "reason", string(r.Reason))
		},
		OnSlowClient: func(sc *socket.SlowClient) {
			c.Add(ctx, 1, "event", "slow client", "direction", string(sc.Direction))
		},
	}})
	ts := httptest.NewServer(io)
	defer ts.Close()
	defer io.Shutdown(ctx)

	// A client of an Engine.IO protocol the server does not speak.
	res, err := http.Get(ts.URL + "/socket.io/?EIO=9&transport=polling")
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	fmt.Println(res.StatusCode, events.n)
	// Output: 400 map[[event refuse reason bad_request]:1]
}
