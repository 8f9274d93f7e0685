package workers

import (
	"runtime"
	"sync"
)

// Each calls f for each element of list, and returns when every call has
// returned. A list long enough to give each part at least minPart
// elements is split across up to GOMAXPROCS goroutines, the caller's
// among them; below minPart, starting a goroutine costs more than it
// saves. f is called concurrently for different elements, in no set
// order, and must be safe for that.
func Each[E any](list []E, minPart int, f func(E)) {
	parts := min(runtime.GOMAXPROCS(0), len(list)/max(minPart, 1))
	if parts <= 1 {
		for _, e := range list {
			f(e)
		}
		return
	}
	size := (len(list) + parts - 1) / parts
	var wg sync.WaitGroup
	for start := size; start < len(list); start += size {
		part := list[start:min(start+size, len(list))]
		wg.Go(func() {
			for _, e := range part {
				f(e)
			}
		})
	}
	for _, e := range list[:size] {
		f(e)
	}
	wg.Wait()
}
