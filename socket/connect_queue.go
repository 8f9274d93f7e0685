package socket

import (
	"sync"
	"time"
)

// connectQueue closes the connections that joined no namespace within
// Options.ConnectTimeout. Every connection waits the same time, so their
// deadlines come in the order they arrived: one queue and one timer serve
// them all. A timer per connection would cost each one a timer's memory
// for as long as it lives, since a stopped timer lingers in the runtime's
// heap until the heap is next adjusted.
type connectQueue struct {
	mu      sync.Mutex
	pending []connectDeadline // in deadline order
	timer   *time.Timer       // fires at pending[0].at; nil once stopped
	stopped bool
}

type connectDeadline struct {
	at time.Time
	c  *client
}

// add gives c until timeout from now to join a namespace.
func (q *connectQueue) add(c *client, timeout time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	q.pending = append(q.pending, connectDeadline{time.Now().Add(timeout), c})
	if len(q.pending) == 1 {
		q.armLocked()
	}
}

// armLocked sets the timer for the first deadline.
func (q *connectQueue) armLocked() {
	wait := time.Until(q.pending[0].at)
	if q.timer == nil {
		q.timer = time.AfterFunc(wait, q.expire)
	} else {
		q.timer.Reset(wait)
	}
}

// expire times out the clients whose deadline has passed, and sets the
// timer for the next one.
func (q *connectQueue) expire() {
	q.mu.Lock()
	now := time.Now()
	n := 0
	for n < len(q.pending) && !q.pending[n].at.After(now) {
		n++
	}
	due := make([]*client, n)
	for i := range n {
		due[i] = q.pending[i].c
	}
	// A fresh slice, so that the expired clients are not kept reachable.
	q.pending = append([]connectDeadline(nil), q.pending[n:]...)
	if len(q.pending) > 0 && !q.stopped {
		q.armLocked()
	}
	q.mu.Unlock()
	for _, c := range due {
		c.connectTimeout()
	}
}

// stop drops every deadline; add does nothing after it.
func (q *connectQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.pending = nil
	if q.timer != nil {
		q.timer.Stop()
	}
	q.mu.Unlock()
}
