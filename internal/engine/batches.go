package engine

import (
	"container/heap"
	"sync"
	"time"
)

// batchQueue writes the batched messages of WebSockets when they are due
// (see Conn.SendBatched): one timer for the whole server rather than one
// per connection, and each due batch written by the timer's goroutine when
// the socket buffer takes it at once. A busy room of a thousand members
// otherwise cost a thousand timer goroutines, and as many handoffs to
// workers, every BatchInterval.
type batchQueue struct {
	srv     *Server // whose Shutdown waits for a running fire
	mu      sync.Mutex
	due     batchHeap
	timer   *time.Timer // set for the first due time; made on first use
	stopped bool        // Shutdown began: batches are left to the flushers
}

// batchEntry is one connection's batch, due at since epoch.
type batchEntry struct {
	at time.Duration
	c  *Conn
}

// add makes c's batch due at at (since epoch); false once Shutdown began.
// A connection has one entry at most: Conn.batchDue guards it.
func (q *batchQueue) add(c *Conn, at time.Duration) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return false
	}
	heap.Push(&q.due, batchEntry{at, c})
	if q.due[0].c != c {
		return true // an earlier batch keeps the timer
	}
	wait := at - time.Since(epoch)
	if q.timer == nil {
		q.timer = time.AfterFunc(wait, q.fire)
		return true
	}
	q.timer.Reset(wait)
	return true
}

// fire writes the batches that are due, the ones that come due meanwhile
// included, then sets the timer for the next. Shutdown waits for it.
func (q *batchQueue) fire() {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return
	}
	q.srv.track()
	defer q.srv.done()
	for {
		if len(q.due) == 0 {
			q.mu.Unlock()
			return
		}
		if wait := q.due[0].at - time.Since(epoch); wait > 0 {
			q.timer.Reset(wait)
			q.mu.Unlock()
			return
		}
		e := heap.Pop(&q.due).(batchEntry)
		q.mu.Unlock()
		e.c.flushBatch()
		q.mu.Lock()
	}
}

// stop ends the queue's timer; what is queued is the flushers' to write.
func (q *batchQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	if q.timer != nil {
		q.timer.Stop()
	}
	q.due = nil
	q.mu.Unlock()
}

// batchHeap orders entries by due time (container/heap).
type batchHeap []batchEntry

func (h batchHeap) Len() int           { return len(h) }
func (h batchHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h batchHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *batchHeap) Push(x any)        { *h = append(*h, x.(batchEntry)) }
func (h *batchHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = batchEntry{}
	*h = old[:len(old)-1]
	return e
}
