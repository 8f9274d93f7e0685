package engine

import (
	"container/heap"
	"sync"
	"time"

	"github.com/envivo/socketio/internal/workers"
)

// timerQueue calls fire for each session whose time has come, with one
// runtime timer for all of them: a time.Timer per session would cost about
// 130 bytes of every idle connection, and a busy room of a thousand members
// would start a thousand timer goroutines every batch interval. Sessions
// wait in a heap ordered by due time; each keeps its place in a timerEntry,
// so arming again and stopping take O(log n).
//
// A server has two: the sessions' heartbeats (with the bound of a graceful
// close) and the WebSockets' batched writes.
type timerQueue[T any] struct {
	fire func(owner T) // called outside mu, by run (concurrently when many are due)

	mu      sync.Mutex // guards everything below and every entry's due and index
	heap    entryHeap[T]
	spare   []T         // the array of the owners a run fired, kept for the next run
	timer   *time.Timer // set for heap[0]'s due time; made on first use
	stopped bool        // stop was called: nothing is armed any more
	firing  sync.WaitGroup
}

// Entry states beside a heap index.
const (
	entryIdle  = -1 // not armed
	entryFired = -2 // taken off the heap; its fire call is due
)

// timerEntry is an owner's place in a timerQueue (a session's, or a
// WebSocket's). The zero value is not ready: use newTimerEntry.
type timerEntry[T any] struct {
	owner T
	due   time.Duration // since epoch
	index int           // in the heap, or entryIdle, entryFired
}

func newTimerEntry[T any](owner T) timerEntry[T] {
	return timerEntry[T]{owner: owner, index: entryIdle}
}

// epoch is the origin of due times, read from the monotonic clock through
// time.Since.
var epoch = time.Now()

// arm makes e fire d from now, replacing its earlier time. It reports
// false, and arms nothing, once stop was called.
func (q *timerQueue[T]) arm(e *timerEntry[T], d time.Duration) bool {
	return q.armAt(e, time.Since(epoch)+d)
}

// armAt makes e fire at due (since epoch); see arm.
func (q *timerQueue[T]) armAt(e *timerEntry[T], due time.Duration) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return false
	}
	e.due = due
	if e.index >= 0 {
		heap.Fix(&q.heap, e.index)
	} else {
		heap.Push(&q.heap, e)
	}
	if q.heap[0] == e {
		q.resetLocked()
	}
	return true
}

// cancel takes e off the queue; a fire already due for it is cancelled
// too.
func (q *timerQueue[T]) cancel(e *timerEntry[T]) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.index >= 0 {
		heap.Remove(&q.heap, e.index)
	}
	e.index = entryIdle
}

// take reports whether e fired and was neither armed again nor cancelled
// since; the fire call checks it, for it runs outside the queue's lock.
func (q *timerQueue[T]) take(e *timerEntry[T]) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if e.index != entryFired {
		return false
	}
	e.index = entryIdle
	return true
}

// resetLocked sets the timer for the first entry.
func (q *timerQueue[T]) resetLocked() {
	wait := q.heap[0].due - time.Since(epoch)
	if q.timer == nil {
		q.timer = time.AfterFunc(wait, q.run)
		return
	}
	q.timer.Reset(wait)
}

// fireSplit is the fewest due entries a goroutine of a run fires: a fire
// costs about a system call (a batched write, a ping), several
// microseconds, against about one to start a goroutine.
const fireSplit = 64

// run fires every entry that is due, those that come due meanwhile
// included, then sets the timer for the next one. The entries due at one
// time fire on every core (workers.Each): a busy room's batched writes,
// or the pings of sessions that connected together, would otherwise all
// be written by this one goroutine. Entries that fire together may fire
// concurrently, in no set order.
func (q *timerQueue[T]) run() {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return
	}
	q.firing.Add(1)
	defer q.firing.Done()
	due := q.spare
	q.spare = nil
	for {
		due = q.takeDueLocked(due[:0])
		if len(due) == 0 {
			break
		}
		q.mu.Unlock()
		workers.Each(due, fireSplit, q.fire)
		clear(due)
		q.mu.Lock()
	}
	if len(q.heap) > 0 {
		q.resetLocked()
	}
	if cap(due) <= keptDue {
		q.spare = due // a burst's larger array is dropped
	}
	q.mu.Unlock()
}

// keptDue is the largest array of due owners a queue keeps between runs:
// enough for a busy room's batches, while the pings of a burst of
// connections leave nothing behind.
const keptDue = 4096

// takeDueLocked takes the entries that are due off the heap, marks them
// fired, and appends their owners to due.
func (q *timerQueue[T]) takeDueLocked(due []T) []T {
	now := time.Since(epoch)
	for len(q.heap) > 0 && q.heap[0].due <= now {
		e := heap.Pop(&q.heap).(*timerEntry[T])
		e.index = entryFired
		due = append(due, e.owner)
	}
	return due
}

// stop empties the queue for good and waits for a run in progress.
func (q *timerQueue[T]) stop() {
	q.mu.Lock()
	q.stopped = true
	if q.timer != nil {
		q.timer.Stop()
	}
	for _, e := range q.heap {
		e.index = entryIdle
	}
	q.heap = nil
	q.mu.Unlock()
	q.firing.Wait()
}

// entryHeap orders entries by due time (container/heap).
type entryHeap[T any] []*timerEntry[T]

func (h entryHeap[T]) Len() int           { return len(h) }
func (h entryHeap[T]) Less(i, j int) bool { return h[i].due < h[j].due }
func (h entryHeap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *entryHeap[T]) Push(x any) {
	e := x.(*timerEntry[T])
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *entryHeap[T]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = entryIdle
	return e
}
