package socket

import "sync"

// serialQueue runs tasks one at a time in the order they were pushed, on a
// worker of the server's pool while there is work: an idle socket costs no
// goroutine, and a slow handler delays only its own socket.
type serialQueue struct {
	mu      sync.Mutex
	running bool
	tasks   []func()
	srv     *Server // its running group counts drains, for Shutdown; its workers run them
}

func (q *serialQueue) push(task func()) {
	q.mu.Lock()
	q.tasks = append(q.tasks, task)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		q.srv.running.Add(1)
		q.srv.workers.Run(q.drain)
	}
}

func (q *serialQueue) drain() {
	defer q.srv.running.Done()
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
