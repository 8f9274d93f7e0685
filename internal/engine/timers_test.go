package engine

import (
	"container/heap"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// checkHeap fails t unless h is ordered and each entry knows its index.
func checkHeap(t *testing.T, h entryHeap[int]) {
	t.Helper()
	for i, e := range h {
		if e.index != i {
			t.Fatalf("slot %d holds an entry whose index is %d", i, e.index)
		}
		if parent := (i - 1) / 2; i > 0 && h[parent].due > e.due {
			t.Fatalf("slot %d (due %v) is before its parent %d (due %v)", i, e.due, parent, h[parent].due)
		}
	}
}

// TestEntryHeap pushes, re-times and removes entries at random, and
// checks the heap after each step; the entries then come off it in order.
func TestEntryHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	entries := make([]timerEntry[int], 300)
	for i := range entries {
		entries[i] = newTimerEntry(i)
	}
	var h entryHeap[int]
	for range 5000 {
		e := &entries[rng.IntN(len(entries))]
		switch {
		case e.index == entryIdle:
			e.due = time.Duration(rng.IntN(1000))
			heap.Push(&h, e)
		case rng.IntN(2) == 0:
			e.due = time.Duration(rng.IntN(1000))
			heap.Fix(&h, e.index)
		default:
			if got := heap.Remove(&h, e.index); got != e || e.index != entryIdle {
				t.Fatalf("Remove returned entry %d (index %d), want %d", got.(*timerEntry[int]).owner, e.index, e.owner)
			}
		}
		checkHeap(t, h)
	}
	var dues []time.Duration
	for len(h) > 0 {
		dues = append(dues, heap.Pop(&h).(*timerEntry[int]).due)
		checkHeap(t, h)
	}
	if !slices.IsSorted(dues) {
		t.Fatalf("entries came off out of order: %v", dues)
	}
}

// TestTimerQueue arms entries, re-arms and cancels some, and checks that
// each armed one fires once, no earlier than its time, in order of time.
func TestTimerQueue(t *testing.T) {
	var mu sync.Mutex
	var fired []int
	all := make(chan struct{})
	const n = 40
	var q timerQueue[int]
	entries := make([]timerEntry[int], n)
	want := 0
	q.fire = func(i int) {
		if !q.take(&entries[i]) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if time.Since(epoch) < entries[i].due {
			t.Errorf("entry %d fired %v early", i, entries[i].due-time.Since(epoch))
		}
		fired = append(fired, i)
		if len(fired) == want {
			close(all)
		}
	}
	defer q.stop()
	rng := rand.New(rand.NewPCG(3, 4))
	mu.Lock()
	for i := range entries {
		entries[i] = newTimerEntry(i)
		q.arm(&entries[i], time.Duration(20+rng.IntN(60))*time.Millisecond)
	}
	for i := 0; i < n; i += 4 {
		q.arm(&entries[i], time.Duration(20+rng.IntN(60))*time.Millisecond) // again, earlier or later
	}
	cancelled := map[int]bool{}
	for i := 1; i < n; i += 5 {
		q.cancel(&entries[i])
		cancelled[i] = true
	}
	want = n - len(cancelled)
	mu.Unlock()
	select {
	case <-all:
	case <-time.After(5 * time.Second):
		t.Fatal("not every entry fired")
	}
	time.Sleep(20 * time.Millisecond) // a cancelled entry would fire by now
	mu.Lock()
	defer mu.Unlock()
	if len(fired) != want {
		t.Fatalf("%d fired, want %d", len(fired), want)
	}
	for k, i := range fired {
		if cancelled[i] {
			t.Errorf("cancelled entry %d fired", i)
		}
		if k > 0 && entries[fired[k-1]].due > entries[i].due {
			t.Errorf("entry %d (due %v) fired after entry %d (due %v)", i, entries[i].due, fired[k-1], entries[fired[k-1]].due)
		}
	}
}

// TestTimerQueueFiresTogetherOnEveryCore arms many entries for one time
// and checks that each fires once, and that they fire on more than one
// goroutine: the first fire waits for a second to start beside it.
func TestTimerQueueFiresTogetherOnEveryCore(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("GOMAXPROCS is 1: a run fires its entries on one goroutine")
	}
	const n = 4 * fireSplit
	var q timerQueue[int]
	entries := make([]timerEntry[int], n)
	fired := make([]atomic.Int32, n)
	var total, active atomic.Int32
	var overlapped atomic.Bool
	both, all := make(chan struct{}), make(chan struct{})
	var bothOnce sync.Once
	q.fire = func(i int) {
		if !q.take(&entries[i]) {
			return
		}
		if active.Add(1) >= 2 {
			overlapped.Store(true)
			bothOnce.Do(func() { close(both) })
		}
		select {
		case <-both:
		case <-time.After(2 * time.Second): // one at a time: let the rest through
			bothOnce.Do(func() { close(both) })
		}
		active.Add(-1)
		fired[i].Add(1)
		if total.Add(1) == n {
			close(all)
		}
	}
	defer q.stop()
	due := time.Since(epoch) + 20*time.Millisecond
	for i := range entries {
		entries[i] = newTimerEntry(i)
		q.armAt(&entries[i], due)
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d of %d entries fired", total.Load(), n)
	}
	for i := range fired {
		if k := fired[i].Load(); k != 1 {
			t.Errorf("entry %d fired %d times", i, k)
		}
	}
	if !overlapped.Load() {
		t.Error("the entries due together fired one at a time")
	}
}

// BenchmarkBatchedFlush fires the batched writes of 1,000 WebSockets over
// loopback TCP that came due together, as a busy room's do every batch
// interval: one write each, on every core. Run it with -cpu 1,2.
func BenchmarkBatchedFlush(b *testing.B) {
	const n = 1000
	s := NewServer(nil, nil)
	b.Cleanup(func() { s.workers.Stop(true) })
	clients, servers := loopbackPairs(b, n)
	conns := make([]*wsConn, n)
	for i, server := range servers {
		w := newBenchConn(s, server).tr.(*wsConn)
		w.useDescriptor()
		conns[i] = w
	}
	if conns[0].in.raw == nil {
		b.Skip("no descriptor (the portable path): a due batch goes to a flusher")
	}
	m := NewTextMessage([]byte(`2["msg",{"t":1700000000000000,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]`))
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if i%32 == 0 { // the clients read what came, far below the socket buffers
			for _, client := range clients {
				_ = client.SetReadDeadline(time.Now().Add(time.Millisecond))
				for {
					if _, err := client.Read(buf); err != nil {
						break
					}
				}
			}
		}
		// Each connection has a broadcast queued and its batch due, as
		// SendBatched leaves it; the run takes them all, without the timer.
		q := &s.batches
		for _, w := range conns {
			w.c.mu.Lock()
			w.c.queueLocked(m)
			w.batchDue = true
			w.c.mu.Unlock()
			q.mu.Lock()
			w.batch.due = 0
			heap.Push(&q.heap, &w.batch)
			q.mu.Unlock()
		}
		b.StartTimer()
		q.run()
	}
	b.StopTimer()
	for _, w := range conns {
		w.c.mu.Lock()
		if len(w.c.queue) > 0 || w.flushing {
			b.Fatal("a batch was not written at once")
		}
		w.c.mu.Unlock()
	}
}
