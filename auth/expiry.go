package auth

import (
	"context"
	"sync"
	"time"

	"github.com/envivo/socketio/socket"
)

// expiryRetry is how soon an expiry that fires while its socket is still
// connecting (its token expired during later middleware) tries again.
const expiryRetry = 50 * time.Millisecond

// expirable is what an expiry needs of a *socket.Socket.
type expirable interface {
	ID() string
	Context() context.Context // done when the socket disconnects or is refused
	Connected() bool
	Emit(event string, args ...any) error
	Disconnect()
}

var _ expirable = (*socket.Socket)(nil)

// expiryWatch disconnects one socket when its credentials expire. It holds
// a runtime timer and a context callback, never a goroutine: a goroutine
// exists only while the timer fires or the socket's context ends.
type expiryWatch struct {
	s    expirable
	opts *Options

	mu    sync.Mutex
	timer *time.Timer
	stop  func() bool // deregisters the context callback
	done  bool
}

// watchExpiry arms the expiry of s at at. The watch ends by itself when s
// disconnects, or is refused by a later middleware, first.
func watchExpiry(s expirable, at time.Time, opts *Options) *expiryWatch {
	w := &expiryWatch{s: s, opts: opts}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(time.Until(at), w.fire)
	w.stop = context.AfterFunc(s.Context(), w.cancel)
	return w
}

// ended reports whether the watch is over: fired or cancelled.
func (w *expiryWatch) ended() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done
}

// cancel runs when the socket's context ends.
func (w *expiryWatch) cancel() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	w.timer.Stop()
}

// fire runs when the credentials expire: it tells the client why, then
// disconnects the socket.
func (w *expiryWatch) fire() {
	w.mu.Lock()
	if w.done {
		w.mu.Unlock()
		return
	}
	if !w.s.Connected() {
		// Still connecting (or already leaving): look again shortly; the
		// context callback stops the timer if the socket never connects.
		w.timer.Reset(expiryRetry)
		w.mu.Unlock()
		return
	}
	w.done = true
	w.stop()
	w.mu.Unlock()

	_ = w.s.Emit(w.opts.ExpiryEvent, map[string]any{
		"code":    string(CodeExpiredToken),
		"message": w.opts.Messages[CodeExpiredToken],
	})
	w.s.Disconnect()
	w.opts.Logger.Debug("auth: credentials expired; socket disconnected", "id", w.s.ID())
}
