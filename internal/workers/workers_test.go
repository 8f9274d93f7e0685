package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// pingTask answers on done, from the worker that runs it.
type pingTask chan struct{}

func (t pingTask) Run() { t <- struct{}{} }

// BenchmarkRunTask measures a hand-off to a parked worker and back: the
// path of every WebSocket read and every socket event.
func BenchmarkRunTask(b *testing.B) {
	p := New()
	defer p.Stop(true)
	done := make(pingTask)
	b.ReportAllocs()
	for b.Loop() {
		p.RunTask(done)
		<-done
	}
}

// TestEachShares: a goroutine held up in one element does not hold up
// the rest of the list, which the others claim. With a fixed part per
// goroutine, the elements after the blocked one would wait for it, and
// it waits for them.
func TestEachShares(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const n = 64
	list := make([]int, n)
	for i := range list {
		list[i] = i
	}
	var done atomic.Int32
	rest := make(chan struct{}) // closed once every element but 0 was called
	Each(list, 4, func(i int) {
		if i == 0 {
			select {
			case <-rest:
			case <-time.After(10 * time.Second):
				t.Error("the other elements were not called while element 0 waited for them")
			}
			return
		}
		if done.Add(1) == n-1 {
			close(rest)
		}
	})
}

// TestEach checks that Each calls f once for each element, whether the
// list is split or not, and returns only when every call has.
func TestEach(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 129, 1000} {
		for _, minPart := range []int{0, 1, 64} {
			calls := make([]atomic.Int32, n)
			list := make([]int, n)
			for i := range list {
				list[i] = i
			}
			Each(list, minPart, func(i int) { calls[i].Add(1) })
			for i := range calls {
				if k := calls[i].Load(); k != 1 {
					t.Fatalf("n=%d minPart=%d: element %d had %d calls", n, minPart, i, k)
				}
			}
		}
	}
}
