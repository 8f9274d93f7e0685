package redisadapter

import (
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestPublishQueueFull pauses Redis under a server with a queue of 2
// messages: Emit still returns at once, the messages that do not fit are
// dropped with ErrQueueFull (after the local delivery) and logged, and
// once Redis resumes the other server gets exactly those that were
// accepted.
func TestPublishQueueFull(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	r := startRedis(t)
	logs := &logRecorder{}
	a := startNode(t, New(hangingClient(t, r, 0), &Options{PublishQueueSize: 2, Logger: slog.New(logs)}), nil)
	b := startNode(t, New(newClient(t, r), nil), nil)
	waitServerCount(t, 2, a, b)
	d := peer.Client(t)
	d.Connect("ca", a.url+"/", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "ca"}, waitFor)
	d.Connect("cb", b.url+"/", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "cb"}, waitFor)

	resume := pause(t, r)
	var accepted, dropped []int
	start := time.Now()
	// The first message goes in flight, and hangs there, before the others
	// fill the queue: on a slow machine the publisher could otherwise take
	// the first two together after the queue filled once, and the queue
	// would fill twice.
	pub := a.adapter().(*classic).hub.pub
	if err := a.srv.Emit("e", 0); err != nil {
		t.Fatalf("Emit 0: %v", err)
	}
	accepted = append(accepted, 0)
	eventually(t, waitFor, "the first message in flight", func() bool {
		pub.mu.Lock()
		defer pub.mu.Unlock()
		return len(pub.queue) == 0
	})
	for i := 1; i < 8; i++ {
		switch err := a.srv.Emit("e", i); {
		case err == nil:
			accepted = append(accepted, i)
		case errors.Is(err, ErrQueueFull):
			dropped = append(dropped, i)
		default:
			t.Fatalf("Emit %d: %v", i, err)
		}
	}
	if took := time.Since(start); took > promptly {
		t.Errorf("8 Emits took %v while Redis hung", took)
	}
	// One pipeline in flight, two messages queued behind it.
	if !slices.Equal(accepted, []int{0, 1, 2}) {
		t.Fatalf("accepted %v, dropped %v; want 0 in flight, 1 and 2 queued, the others dropped", accepted, dropped)
	}
	for i := range 8 {
		d.Wait(match{"ev": "event", "client": "ca", "name": "e", "args": []any{float64(i)}}, promptly)
	}
	if logs.count("publish queue full") != 1 {
		t.Errorf("the overflow was logged %d times, want once", logs.count("publish queue full"))
	}
	if got := pub.dropped.Load(); got != int64(len(dropped)) {
		t.Errorf("%d drops counted, want %d", got, len(dropped))
	}

	resume()
	for _, i := range accepted {
		d.Wait(match{"ev": "event", "client": "cb", "name": "e", "args": []any{float64(i)}}, waitFor)
	}
	d.Never(match{"ev": "event", "client": "cb", "name": "e"}, 300*time.Millisecond)
	eventually(t, waitFor, "the drained queue logged", func() bool { return logs.count("publish queue drained") == 1 })
	if err := a.srv.Emit("after"); err != nil {
		t.Errorf("Emit once Redis resumed: %v", err)
	}
	d.Wait(match{"ev": "event", "client": "cb", "name": "after"}, waitFor)
}

// TestShutdownSendsQueued shuts a server down right after many
// broadcasts: Shutdown sends what is still queued before it closes the
// connections, so the other server's client gets every one, in order.
func TestShutdownSendsQueued(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	r := startRedis(t)
	a := startNode(t, New(newClient(t, r), nil), nil)
	b := startNode(t, New(newClient(t, r), nil), nil)
	waitServerCount(t, 2, a, b)
	d := peer.Client(t)
	d.Connect("cb", b.url+"/", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "cb"}, waitFor)
	const n = 200
	for i := range n {
		if err := a.srv.Emit("e", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.srv.Shutdown(ctxT(t, waitFor)); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ev := d.Wait(match{"ev": "event", "client": "cb", "name": "e"}, waitFor)
		if got := ev.Args(); len(got) != 1 || got[0] != float64(i) {
			t.Fatalf("broadcast %d arrived as %v", i, got)
		}
	}
}
