package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSocket records what an expiry does to it. The interop tests cover
// the real socket; this one lets the tests see the watch's own state.
type fakeSocket struct {
	ctx       context.Context
	connected atomic.Bool

	mu           sync.Mutex
	emitted      []string
	args         []any
	disconnected int
}

func (f *fakeSocket) ID() string               { return "fake" }
func (f *fakeSocket) Context() context.Context { return f.ctx }
func (f *fakeSocket) Connected() bool          { return f.connected.Load() }

// Disconnect and Emit act only on a connected socket, as the real ones do.
func (f *fakeSocket) Disconnect() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.connected.Load() {
		f.disconnected++
	}
}

func (f *fakeSocket) Emit(e string, a ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.connected.Load() {
		return errors.New("not connected")
	}
	f.emitted = append(f.emitted, e)
	f.args = append(f.args, a...)
	return nil
}

func (f *fakeSocket) snapshot() (emitted []string, disconnected int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.emitted...), f.disconnected
}

func TestExpiryWatch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		in        time.Duration // until expiry
		connected bool
		connectIn time.Duration // > 0: connects then
		cancelIn  time.Duration // > 0: the socket goes away then
		fires     bool
	}{
		{"expires", 30 * time.Millisecond, true, 0, 0, true},
		{"already expired", -time.Second, true, 0, 0, true},
		{"expires while connecting", 10 * time.Millisecond, false, 80 * time.Millisecond, 0, true},
		{"socket leaves first", 100 * time.Millisecond, true, 0, 20 * time.Millisecond, false},
		{"refused while connecting", 10 * time.Millisecond, false, 0, 80 * time.Millisecond, false},
		{"gone before the watch", time.Hour, true, 0, -1, false},
	}
	opts := (&Options{ExpiryEvent: "bye"}).withDefaults()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := &fakeSocket{ctx: ctx}
			f.connected.Store(c.connected)
			if c.cancelIn < 0 {
				cancel()
			}
			w := watchExpiry(f, time.Now().Add(c.in), &opts)
			if c.connectIn > 0 {
				time.AfterFunc(c.connectIn, func() { f.connected.Store(true) })
			}
			if c.cancelIn > 0 {
				time.AfterFunc(c.cancelIn, cancel)
			}
			eventually(t, "the watch to end", w.ended)
			time.Sleep(3 * expiryRetry) // would it fire late, or twice?
			emitted, disconnected := f.snapshot()
			if !c.fires {
				if len(emitted) != 0 || disconnected != 0 {
					t.Fatalf("emitted %v, disconnected %d times; want nothing", emitted, disconnected)
				}
				return
			}
			if len(emitted) != 1 || emitted[0] != "bye" || disconnected != 1 {
				t.Fatalf("emitted %v, disconnected %d times; want bye once, then a disconnect", emitted, disconnected)
			}
			payload := f.args[0].(map[string]any)
			if payload["code"] != "expired_token" || payload["message"] != "expired token" {
				t.Errorf("payload = %v", payload)
			}
		})
	}
}
