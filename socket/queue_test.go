package socket

import (
	"context"
	"testing"
	"time"
)

// TestQueueBoundsClientEventsOnly checks the bound of a socket's queue: a
// client event beyond it is refused with a channel that is closed once an
// event is done, the server's own tasks always go in, order is kept, and a
// bound of zero or less bounds nothing.
func TestQueueBoundsClientEventsOnly(t *testing.T) {
	t.Parallel()
	q := newTestQueue(t)
	release := make(chan struct{})
	ran := make(chan int, 2000)
	task := func(i int) func() { return func() { <-release; ran <- i } }

	for i := range 2 {
		if q.pushEvent(task(i), 2) != nil {
			t.Fatalf("event %d refused below the bound", i)
		}
	}
	full := q.pushEvent(task(2), 2)
	if full == nil {
		t.Fatal("a third event went in with a bound of 2")
	}
	q.push(task(100)) // the server's own task: never refused
	select {
	case <-full:
		t.Fatal("room signalled while no event was done")
	default:
	}
	close(release)
	wait(t, full)
	if q.pushEvent(task(2), 2) != nil {
		t.Fatal("refused again after an event was done")
	}
	for _, want := range []int{0, 1, 100, 2} {
		if got := wait(t, ran); got != want {
			t.Fatalf("ran %d, want %d", got, want)
		}
	}

	for _, limit := range []int{0, -1} {
		for i := range 1000 {
			if q.pushEvent(task(i), limit) != nil {
				t.Fatalf("bound %d refused event %d", limit, i)
			}
		}
		for range 1000 {
			wait(t, ran)
		}
	}
}

// TestQueueKeepsArrayAfterEvents: an idle queue keeps its small array
// after a client event, so that the next one allocates none, and keeps
// none after only the server's tasks (a socket that never hears from its
// client) or after a burst.
func TestQueueKeepsArrayAfterEvents(t *testing.T) {
	t.Parallel()
	q := newTestQueue(t)
	idleCap := func() int {
		eventually(t, "the queue is idle", func() bool {
			q.mu.Lock()
			defer q.mu.Unlock()
			return !q.running
		})
		q.mu.Lock()
		defer q.mu.Unlock()
		return cap(q.tasks)
	}
	q.push(func() {})
	if c := idleCap(); c != 0 {
		t.Fatalf("after a server task the idle queue keeps an array of %d", c)
	}
	_ = q.pushEvent(func() {}, 0)
	if c := idleCap(); c == 0 || c > keptTasks {
		t.Fatalf("after an event the idle queue keeps an array of %d, want 1 to %d", c, keptTasks)
	}
	release := make(chan struct{})
	_ = q.pushEvent(func() { <-release }, 0)
	for range 10 {
		_ = q.pushEvent(func() {}, 0)
	}
	close(release)
	if c := idleCap(); c != 0 {
		t.Fatalf("after a burst the idle queue keeps an array of %d", c)
	}
}

// newTestQueue returns a queue on a server of its own, shut down when the
// test ends.
func newTestQueue(t *testing.T) *serialQueue {
	srv := NewServer(nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return &serialQueue{srv: srv}
}
