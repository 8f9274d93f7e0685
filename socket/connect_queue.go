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
	pending []connectDeadline // pending[head:] wait, in deadline order
	head    int
	timer   *time.Timer // fires at pending[head].at, or a little after
	stopped bool
}

// connectDeadline is a client's deadline, in 16 bytes rather than the 32
// that a time.Time beside the pointer would take: a burst of connections
// holds one each until its deadline passes.
type connectDeadline struct {
	at time.Duration // since connectEpoch, on the monotonic clock
	c  *client
}

// connectEpoch is the origin of connectDeadline.at.
var connectEpoch = time.Now()

// connectGranularity is how late a connect timeout may fire, so that the
// deadlines of a burst of connections share one timer call.
const connectGranularity = 50 * time.Millisecond

// add gives c until timeout from now to join a namespace.
func (q *connectQueue) add(c *client, timeout time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return
	}
	q.pending = append(q.pending, connectDeadline{time.Since(connectEpoch) + timeout, c})
	if len(q.pending)-q.head == 1 {
		q.armLocked()
	}
}

// armLocked sets the timer for the first deadline.
func (q *connectQueue) armLocked() {
	wait := max(q.pending[q.head].at-time.Since(connectEpoch), connectGranularity)
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
	now := time.Since(connectEpoch)
	var due []*client
	for q.head < len(q.pending) && q.pending[q.head].at <= now {
		due = append(due, q.pending[q.head].c)
		q.pending[q.head] = connectDeadline{} // let the client go
		q.head++
	}
	if q.head == len(q.pending) {
		// Drop the array: a burst's would otherwise stay for good.
		q.pending, q.head = nil, 0
	} else if q.head > len(q.pending)/2 {
		// Compact in place: each entry moves at most once per halving, so
		// the cost per connection stays constant.
		n := copy(q.pending, q.pending[q.head:])
		clear(q.pending[n:])
		q.pending, q.head = q.pending[:n], 0
	}
	if len(q.pending) > q.head && !q.stopped {
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
	q.pending, q.head = nil, 0
	if q.timer != nil {
		q.timer.Stop()
	}
	q.mu.Unlock()
}
