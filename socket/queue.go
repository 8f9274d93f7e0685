package socket

import "sync"

// serialQueue runs tasks one at a time in the order they were pushed, on a
// worker of the server's pool while there is work: an idle socket costs no
// goroutine, and a slow handler delays only its own socket.
//
// Events from the client are bounded: pushEvent refuses one while
// Options.MaxPendingEvents are queued or running, and gives the caller a
// channel to wait on for room. Tasks the server pushes itself (joining the
// namespace, leaving it) always go in at once and are not counted, so that
// a close never waits for room.
type serialQueue struct {
	mu      sync.Mutex
	running bool
	events  int32 // client events queued or running
	tasks   []task
	room    chan struct{} // made by a refused pushEvent, closed when an event is done
	srv     *Server       // its running group counts drains, for Shutdown; its workers run them
}

type task struct {
	run   func()
	event bool // a client event, counted in events
}

// push queues a task of the server's own; it never waits.
func (q *serialQueue) push(run func()) {
	q.mu.Lock()
	q.appendLocked(task{run: run})
}

// pushEvent queues a client event's task unless limit are queued or
// running already (limit <= 0: no bound). Then it queues nothing and
// returns a channel that is closed once one of them is done: try again
// after that.
func (q *serialQueue) pushEvent(run func(), limit int) (full <-chan struct{}) {
	q.mu.Lock()
	if limit > 0 && int(q.events) >= limit {
		if q.room == nil {
			q.room = make(chan struct{})
		}
		room := q.room
		q.mu.Unlock()
		return room
	}
	q.events++
	q.appendLocked(task{run: run, event: true})
	return nil
}

// appendLocked appends t, starts a drain if none runs, and unlocks q.mu.
func (q *serialQueue) appendLocked(t task) {
	q.tasks = append(q.tasks, t)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		q.srv.running.Start()
		q.srv.workers.RunTask(q)
	}
}

// Run drains q: the worker pool's Task, which a method value passed as a
// func would cost an allocation per start.
func (q *serialQueue) Run() { q.drain() }

// keptTasks is the largest backing array an idle queue keeps after an
// event: one event at a time then costs no allocation, and a burst's
// array is dropped.
const keptTasks = 2

func (q *serialQueue) drain() {
	defer q.srv.running.Done()
	var last task
	for {
		q.mu.Lock()
		if last.event {
			q.events--
			if q.room != nil {
				close(q.room)
				q.room = nil
			}
		}
		if len(q.tasks) == 0 {
			q.running = false
			if cap(q.tasks) > keptTasks || !last.event {
				// An idle socket drops a burst's backing array, and one
				// that only ran the server's tasks (its connect) keeps
				// none: only sockets whose client sends events keep one.
				q.tasks = nil
			}
			q.mu.Unlock()
			return
		}
		// Shift rather than reslice, so that the backing array is reused
		// by the next event instead of allocated anew.
		last = q.tasks[0]
		n := copy(q.tasks, q.tasks[1:])
		q.tasks[n] = task{}
		q.tasks = q.tasks[:n]
		q.mu.Unlock()
		last.run()
	}
}
