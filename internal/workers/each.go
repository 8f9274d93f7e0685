package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Each calls f for each element of list, and returns when every call has
// returned. A list long enough to give each part at least minPart
// elements is shared by up to GOMAXPROCS goroutines, the caller's among
// them; below minPart, starting a goroutine costs more than it saves. f
// is called concurrently for different elements, in no set order, and
// must be safe for that.
//
// The goroutines claim the list in chunks of minPart/4 elements (at
// least one) rather than in fixed parts: a goroutine that starts late,
// because its core was asleep, takes fewer chunks instead of holding up
// the end. On a virtual machine, waking an idle core can take longer than
// the work.
func Each[E any](list []E, minPart int, f func(E)) {
	parts := min(runtime.GOMAXPROCS(0), len(list)/max(minPart, 1))
	if parts <= 1 {
		for _, e := range list {
			f(e)
		}
		return
	}
	c := chunks[E]{list: list, size: max(minPart/4, 1), f: f}
	var wg sync.WaitGroup
	for range parts - 1 {
		wg.Go(c.run)
	}
	// A goroutine just started waits in this core's run-next slot, which
	// an idle core takes only after a pause. Yielding starts it here at
	// once, and the caller goes on wherever a core is free first.
	runtime.Gosched()
	c.run()
	wg.Wait()
}

// chunks is one call of Each that several goroutines work through.
type chunks[E any] struct {
	list    []E
	size    int
	claimed atomic.Int64 // elements claimed so far, by any goroutine
	f       func(E)
}

// run calls f for the elements of the chunks it claims until none is left.
func (c *chunks[E]) run() {
	for {
		end := int(c.claimed.Add(int64(c.size)))
		start := end - c.size
		if start >= len(c.list) {
			return
		}
		for _, e := range c.list[start:min(end, len(c.list))] {
			c.f(e)
		}
	}
}
