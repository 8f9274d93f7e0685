package socket

import (
	"sync"

	"github.com/envivo/socketio/internal/workers"
)

// serialQueue runs tasks one at a time in the order they were pushed, on a
// worker of the server's pool while there is work: an idle socket costs no
// goroutine, and a slow handler delays only its own socket.
type serialQueue struct {
	mu      sync.Mutex
	tasks   []func()
	running bool
	wg      *sync.WaitGroup // counts running drains, for Shutdown
	pool    *workers.Pool
}

func (q *serialQueue) push(task func()) {
	q.mu.Lock()
	q.tasks = append(q.tasks, task)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		q.wg.Add(1)
		q.pool.Run(q.drain)
	}
}

func (q *serialQueue) drain() {
	defer q.wg.Done()
	for {
		q.mu.Lock()
		if len(q.tasks) == 0 {
			q.running = false
			q.tasks = nil // let an idle socket drop its backing array
			q.mu.Unlock()
			return
		}
		task := q.tasks[0]
		q.tasks[0] = nil
		q.tasks = q.tasks[1:]
		q.mu.Unlock()
		task()
	}
}
