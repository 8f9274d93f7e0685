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
//
// A Pool is stopped by its owner. A part of the program that runs tasks on
// a pool it does not own gets a borrowed one (Borrow), whose Stop leaves
// the workers to the owner.
type Pool struct {
	lender *Pool // set on a borrowed Pool, whose tasks run on lender's workers

	mu      sync.Mutex
	idle    []chan func() // parked workers, the most recently parked last
	stopped bool
	quit    chan struct{} // closed by Stop
	wg      sync.WaitGroup
}

// New returns an empty Pool.
func New() *Pool { return &Pool{quit: make(chan struct{})} }

// Borrow returns a Pool that runs its tasks on p's workers but does not own
// them: its Stop does nothing, and its Parked reports p's workers. p's
// owner stops them, once the borrower no longer runs tasks (for a
// borrower that stops them itself, Stop(true) would also wait for the
// owner's tasks).
func (p *Pool) Borrow() *Pool { return &Pool{lender: p} }

// Run runs task on a parked worker, or on a new one if none is parked.
func (p *Pool) Run(task func()) {
	if p.lender != nil {
		p.lender.Run(task)
		return
	}
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		ch := p.idle[n-1]
		p.idle = p.idle[:n-1]
		ch <- task // never blocks: a parked worker's channel is empty
		p.mu.Unlock()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go p.work(task)
}

func (p *Pool) work(task func()) {
	defer p.wg.Done()
	tasks := make(chan func(), 1)
	for {
		task()
		p.mu.Lock()
		if p.stopped || len(p.idle) >= MaxIdle {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, tasks)
		p.mu.Unlock()
		select {
		case task = <-tasks:
		case <-p.quit:
			// A task handed over just before Stop is still run.
			p.mu.Lock()
			select {
			case task = <-tasks:
			default:
				task = nil
			}
			p.mu.Unlock()
			if task == nil {
				return
			}
		}
	}
}

// Stop ends the parked workers; with wait, it also waits for the workers
// running a task to finish it. After Stop, Run still runs each task, on a
// goroutine that ends with it. Stop on a borrowed Pool does nothing.
func (p *Pool) Stop(wait bool) {
	if p.lender != nil {
		return
	}
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		p.idle = nil
		close(p.quit)
	}
	p.mu.Unlock()
	if wait {
		p.wg.Wait()
	}
}

// Parked reports how many workers are parked.
func (p *Pool) Parked() int {
	if p.lender != nil {
		return p.lender.Parked()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}
