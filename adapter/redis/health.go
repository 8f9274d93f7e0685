package redisadapter

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// health follows whether Redis answers. It turns the outcomes of
// commands into log lines, one when Redis starts failing and one when it
// answers again rather than one per command; and while Redis fails it lets
// one command through per probeInterval, so that calls fail fast rather
// than each wait for go-redis's dial retries. It is safe for concurrent
// use.
type health struct {
	down atomic.Bool

	mu        sync.Mutex
	lastErr   error
	nextProbe time.Time
}

// probeInterval is how often a command may try Redis while it is down.
var probeInterval = 500 * time.Millisecond

// allow returns nil if a command may be sent now, or an error wrapping
// ErrUnavailable.
func (h *health) allow() error {
	_, err := h.admit()
	return err
}

// admit is allow that also reports whether the command is a probe: one let
// through while Redis is failing, to find out whether it answers again.
func (h *health) admit() (probe bool, err error) {
	if !h.down.Load() {
		return false, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := time.Now(); now.After(h.nextProbe) {
		h.nextProbe = now.Add(probeInterval)
		return true, nil
	}
	return false, fmt.Errorf("%w: %v", ErrUnavailable, h.lastErr)
}

// failing returns an error wrapping ErrUnavailable while Redis is known to
// be failing, nil otherwise; unlike allow it never lets a probe through.
func (h *health) failing() error {
	if !h.down.Load() {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Errorf("%w: %v", ErrUnavailable, h.lastErr)
}

// observe records the outcome of a command about op.
func (h *health) observe(log *slog.Logger, op string, err error) {
	if err == nil {
		h.up(log)
		return
	}
	h.mu.Lock()
	h.lastErr = err
	h.nextProbe = time.Now().Add(probeInterval)
	h.mu.Unlock()
	if h.down.CompareAndSwap(false, true) {
		log.Error("redisadapter: Redis unavailable; local delivery continues", "op", op, "err", err)
	} else {
		log.Debug("redisadapter: Redis command failed", "op", op, "err", err)
	}
}

// up records that Redis answers.
func (h *health) up(log *slog.Logger) {
	if h.down.CompareAndSwap(true, false) {
		log.Info("redisadapter: Redis available again")
	}
}
