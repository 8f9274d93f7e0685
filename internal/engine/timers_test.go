package engine

import (
	"container/heap"
	"math/rand/v2"
	"slices"
	"sync"
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
