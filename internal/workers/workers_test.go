package workers

import (
	"runtime"
	"sync"
	"testing"
)

// TestPool checks that tasks run, that a parked worker is reused rather
// than a goroutine started, that no more than MaxIdle stay parked,
// and that stop ends them.
func TestPool(t *testing.T) {
	t.Parallel()
	p := New()
	parked := p.Parked
	done := make(chan int)
	p.Run(func() { done <- 1 })
	<-done
	for parked() != 1 { // the worker parks after its task
		runtime.Gosched()
	}
	p.Run(func() { done <- 2 })
	if <-done != 2 {
		t.Fatal("task did not run")
	}

	const busy = MaxIdle + 10
	var started, release sync.WaitGroup
	started.Add(busy)
	release.Add(1)
	for range busy {
		p.Run(func() { started.Done(); release.Wait() })
	}
	started.Wait() // busy tasks run at once: one worker each
	release.Done()
	for parked() != MaxIdle { // the others exit
		runtime.Gosched()
	}
	p.Stop(true) // returns once every worker has ended (TestMain checks for leaks)
}

// TestBorrow checks that a borrowed pool runs its tasks on the lender's
// workers and cannot stop them: a borrower's Stop(true) neither ends the
// lender's parked workers nor waits for a task of the lender's.
func TestBorrow(t *testing.T) {
	t.Parallel()
	p := New()
	b := p.Borrow()
	done := make(chan struct{})
	b.Run(func() { done <- struct{}{} })
	<-done
	for p.Parked() != 1 { // the lender's worker parks after the borrower's task
		runtime.Gosched()
	}
	if b.Parked() != 1 {
		t.Fatalf("borrowed Parked = %d, want the lender's 1", b.Parked())
	}
	release := make(chan struct{})
	p.Run(func() { <-release }) // the lender's own task, running
	b.Stop(true)                // must return at once
	if p.Parked() != 0 {        // the parked worker took the lender's task
		t.Fatalf("lender has %d parked workers, want 0", p.Parked())
	}
	close(release)
	for p.Parked() != 1 { // and parks again: the lender was not stopped
		runtime.Gosched()
	}
	p.Stop(true)
	if p.Parked() != 0 {
		t.Fatalf("%d workers parked after the owner's Stop", p.Parked())
	}
}
