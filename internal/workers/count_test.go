package workers

import (
	"sync"
	"testing"
	"time"
)

// TestCountIdle: Idle's channel is closed at once when nothing is in
// flight, stays open while a task runs, and closes when the last ends.
func TestCountIdle(t *testing.T) {
	t.Parallel()
	var c Count
	select {
	case <-c.Idle():
	default:
		t.Fatal("an unused Count is not idle")
	}
	release := make(chan struct{})
	c.Go(func() { <-release })
	c.Start()
	idle := c.Idle()
	select {
	case <-idle:
		t.Fatal("idle with two tasks in flight")
	case <-time.After(20 * time.Millisecond):
	}
	c.Done()
	close(release)
	select {
	case <-idle:
	case <-time.After(5 * time.Second):
		t.Fatal("not idle after the last task ended")
	}
}

// TestCountStartDuringWait: tasks may start from zero while another
// goroutine waits, which sync.WaitGroup forbids; run with -race.
func TestCountStartDuringWait(t *testing.T) {
	t.Parallel()
	var c Count
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				c.Start()
				c.Done()
			}
		})
	}
	for range 100 {
		c.Wait()
	}
	wg.Wait()
	c.Wait()
}

// TestCountDoneWithoutStart panics rather than count below zero.
func TestCountDoneWithoutStart(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("Done without Start did not panic")
		}
	}()
	var c Count
	c.Done()
}
