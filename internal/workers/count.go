package workers

import (
	"sync"
	"sync/atomic"
)

// Count counts the tasks in flight and tells when none is. It replaces a
// sync.WaitGroup where a task may start while another goroutine waits, as
// a socket's queue may start draining during a shutdown whose context has
// ended: a WaitGroup forbids an Add from zero concurrent with Wait, Count
// allows it. Idle's channel is closed the first time the count is zero
// after the call. The zero value is ready; its methods are safe for
// concurrent use.
type Count struct {
	n       atomic.Int64
	waiting atomic.Bool // Idle was called: Done must look for a waiter
	mu      sync.Mutex
	idle    chan struct{} // closed when n falls to zero; nil while nobody waits
}

// closed is what Idle returns when nothing is in flight.
var closed = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Start counts one more task in flight.
func (c *Count) Start() { c.n.Add(1) }

// Done counts one task fewer. It panics if more tasks are done than started.
func (c *Count) Done() {
	n := c.n.Add(-1)
	if n < 0 {
		panic("workers: Count.Done without Start")
	}
	if n == 0 && c.waiting.Load() {
		c.mu.Lock()
		if c.idle != nil && c.n.Load() == 0 {
			close(c.idle)
			c.idle = nil
		}
		c.mu.Unlock()
	}
}

// Go starts f on a new goroutine, counted until f returns.
func (c *Count) Go(f func()) {
	c.Start()
	go func() {
		defer c.Done()
		f()
	}()
}

// Idle returns a channel that is closed once no task is in flight: at
// once if none is now.
func (c *Count) Idle() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting.Store(true)
	if c.n.Load() == 0 {
		return closed
	}
	if c.idle == nil {
		c.idle = make(chan struct{})
	}
	return c.idle
}

// Wait blocks until no task is in flight.
func (c *Count) Wait() { <-c.Idle() }
