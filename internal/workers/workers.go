// Package workers runs short tasks on goroutines that outlive them.
package workers

import "sync"

// MaxIdle bounds the goroutines a Pool keeps parked.
const MaxIdle = 64

// Pool runs short tasks (a flush, the handling of what a WebSocket
// received, a socket's events) on goroutines that outlive them. A fresh
// goroutine starts with the smallest stack and grows it, copying, on every
// task that goes deep (a write system call does); a parked worker keeps the
// stack it grew. Workers beyond MaxIdle exit when their task is done, so a
// Pool holds at most that many goroutines while nothing happens. Its
// methods are safe for concurrent use.
type Pool struct {
	mu      sync.Mutex
	idle    []chan Task // parked workers, the most recently parked last
	stopped bool
	working Count // workers, parked or not
}

// New returns an empty Pool.
func New() *Pool { return &Pool{} }

// Task is work for RunTask: a value whose Run method does it. A pointer
// type passes as a Task without allocating, where a method value would
// cost an allocation, or a field to keep it in.
type Task interface{ Run() }

// funcTask runs a func as a Task.
type funcTask func()

func (f funcTask) Run() { f() }

// Run runs task on a parked worker, or on a new one if none is parked.
func (p *Pool) Run(task func()) { p.RunTask(funcTask(task)) }

// RunTask runs task on a parked worker, or on a new one if none is parked.
func (p *Pool) RunTask(task Task) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		ch := p.idle[n-1]
		p.idle = p.idle[:n-1]
		ch <- task // never blocks: a parked worker's channel is empty
		p.mu.Unlock()
		return
	}
	p.working.Start()
	p.mu.Unlock()
	go p.work(task)
}

// work runs task, then parks on its own channel for the next one. A
// parked worker waits on that channel alone, not in a select with a quit
// channel: a select costs a waiter on every case and the locks of both
// channels, on every hand-off. Stop wakes parked workers with a nil task
// instead.
func (p *Pool) work(task Task) {
	defer p.working.Done()
	tasks := make(chan Task, 1)
	for task != nil {
		task.Run()
		p.mu.Lock()
		if p.stopped || len(p.idle) >= MaxIdle {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, tasks)
		p.mu.Unlock()
		task = <-tasks
	}
}

// Stop ends the parked workers; with wait, it also waits for the workers
// running a task to finish it. After Stop, Run still runs each task, on a
// goroutine that ends with it.
func (p *Pool) Stop(wait bool) {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		for _, tasks := range p.idle {
			tasks <- nil // never blocks: a parked worker's channel is empty
		}
		p.idle = nil
	}
	p.mu.Unlock()
	if wait {
		p.working.Wait()
	}
}

// Parked reports how many workers are parked.
func (p *Pool) Parked() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}
