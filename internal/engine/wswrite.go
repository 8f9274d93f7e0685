package engine

import (
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/gobwas/ws"
)

// The writing side of a WebSocket: a flusher on the server's workers, or
// the sender itself when the socket buffer takes a write at once
// (write-through), the batch timer's writes, and the frame writes under
// wmu.

// startFlushLocked starts a flusher on the server's workers unless one
// runs.
func (w *wsConn) startFlushLocked() {
	c := w.c
	if w.flushing || w.closeSent || c.state == stateClosed || c.tr != transport(w) {
		return
	}
	w.flushing = true
	c.srv.workers.RunTask((*wsFlush)(w))
}

// batchWaitsLocked reports whether what SendBatched queued waits: for
// the running flusher or the batch queue to take it, or, once armed here,
// for the batch timer, when the last flush is younger than BatchInterval.
// Otherwise it is due at once.
func (w *wsConn) batchWaitsLocked() bool {
	if w.flushing || w.batchDue {
		return true
	}
	srv := w.c.srv
	due := w.lastFlush + srv.opts.BatchInterval
	if w.lastFlush == 0 || due <= time.Since(epoch) || !srv.batches.armAt(&w.batch, due) {
		return false
	}
	w.batchDue = true
	return true
}

// flushBatch writes what waited for the batch interval, unless a flusher
// took it meanwhile. It runs in the batch queue's run, beside the other
// batches due with it, so it writes only what the socket buffer takes at
// once and leaves the rest (or, with permessage-deflate, everything) to a
// flusher.
func (w *wsConn) flushBatch() {
	c := w.c
	c.mu.Lock()
	w.batchDue = false
	if len(c.queue) == 0 || w.flushing || w.closeSent || c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	w.flushing = true
	// Without a descriptor, no write can be tried without blocking; with
	// permessage-deflate, the write may have a broadcast to compress
	// first, which must not hold up the batch queue.
	if w.in.raw == nil || w.deflate {
		c.mu.Unlock()
		c.srv.workers.RunTask((*wsFlush)(w))
		return
	}
	batch := w.takeLocked()
	c.mu.Unlock()
	w.writeThrough(batch)
}

// takeLocked takes the session's queue for a write.
func (w *wsConn) takeLocked() []*Message {
	if w.c.srv.opts.BatchInterval > 0 {
		w.lastFlush = time.Since(epoch)
	}
	return w.c.takeQueueLocked()
}

// canWriteThroughLocked reports whether the queue, a single message, may
// be written on the sender's goroutine: no flusher runs, the session is
// open, and the connection has a descriptor to try a write that does not
// block.
func (w *wsConn) canWriteThroughLocked() bool {
	c := w.c
	return w.in.raw != nil && len(c.queue) == 1 && !w.flushing && !w.closeSent &&
		c.state == stateOpen && c.tr == transport(w)
}

// flushLoop writes what is queued, each batch in one write, until the
// queue is empty; in a closing session it then writes the close frame. It
// runs on the server's workers.
func (w *wsConn) flushLoop() {
	c := w.c
	if flushYield {
		// Let whoever is queueing (a broadcast to many connections) go on
		// first, so that more is written per system call.
		runtime.Gosched()
	}
	for {
		c.mu.Lock()
		if c.state == stateClosed || len(c.queue) == 0 {
			closing := c.state == stateClosing && !w.closeSent
			w.closeSent = w.closeSent || closing
			if !closing {
				// In the same critical section as the empty queue: a
				// sender that queues after it starts a flusher of its own,
				// one that queued before was taken.
				w.flushing = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			_ = w.writeClose(nil, c.srv.opts.PingTimeout)
			c.mu.Lock()
			w.flushing = false
			c.mu.Unlock()
			return
		}
		batch := w.takeLocked()
		c.mu.Unlock()

		err := w.writeFrames(batch, c.srv.writeTimeout())
		c.mu.Lock()
		c.recycleLocked(batch)
		c.mu.Unlock()
		if err != nil {
			w.writeFailed(false)
			return
		}
	}
}

// writeThrough writes batch on the calling goroutine, in one write, as far
// as the socket buffer takes it without blocking: a direct send (such as
// an ack) or a due batch then costs no handoff to a flusher. A flusher on
// the server's workers writes what the buffer did not take, and whatever
// was queued meanwhile.
func (w *wsConn) writeThrough(batch []*Message) {
	c := w.c
	fb := frameBuffersPool.Get().(*frameBuffers)
	for _, m := range batch {
		fb.all = append(fb.all, w.frameOf(m))
	}
	n, err := w.writeNow(fb.all, c.srv.writeTimeout())
	rest := fb.after(n) // outlives this call, unlike fb
	fb.reset()
	frameBuffersPool.Put(fb)
	c.mu.Lock()
	c.recycleLocked(batch)
	switch {
	case err != nil:
		c.mu.Unlock()
		w.writeFailed(true)
	case rest != nil:
		c.mu.Unlock()
		c.srv.workers.Run(func() { w.finishWrite(rest) })
	case len(c.queue) == 0 && c.state == stateOpen:
		w.flushing = false
		c.mu.Unlock()
	default: // more came meanwhile, or the session is closing
		c.mu.Unlock()
		c.srv.workers.RunTask((*wsFlush)(w))
	}
}

// finishWrite writes the rest of the frames that writeThrough began, then
// goes on as the flusher.
func (w *wsConn) finishWrite(rest net.Buffers) {
	w.wmu.Lock()
	w.extendDeadline(w.c.srv.writeTimeout())
	err := w.writeBuffers(rest)
	w.wmu.Unlock()
	if err != nil {
		w.writeFailed(false)
		return
	}
	w.flushLoop()
}

// writeFailed ends the flushing of a write that failed, and the session
// with "transport error"; async when the writer is a sender, which may
// hold locks of its own.
func (w *wsConn) writeFailed(async bool) {
	c := w.c
	c.mu.Lock()
	w.flushing = false
	c.mu.Unlock()
	c.fail(ReasonTransportError, failOpts{noFrame: true, async: async})
}

// flushYield makes a new flusher yield once before it takes the queue.
var flushYield = true

// writeRaw writes one frame within timeout.
func (w *wsConn) writeRaw(frame []byte, timeout time.Duration) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.writeRawLocked(frame, timeout)
}

// writeRawLocked is writeRaw with w.wmu held.
func (w *wsConn) writeRawLocked(frame []byte, timeout time.Duration) error {
	w.setDeadline(time.Since(epoch) + timeout)
	if answer := w.takeAnswerLocked(); answer != nil {
		return w.writeBuffers([][]byte{answer, frame})
	}
	_, err := w.in.nc.Write(frame)
	return err
}

// writeClose writes a close frame with payload body (status code and
// reason, or nothing, as Node's ws.close() sends).
func (w *wsConn) writeClose(body []byte, timeout time.Duration) error {
	return w.writeRaw(newControlFrame(ws.OpClose, body).frame, timeout)
}

// writeCloseLocked is writeClose with w.wmu held.
func (w *wsConn) writeCloseLocked(body []byte, timeout time.Duration) error {
	return w.writeRawLocked(newControlFrame(ws.OpClose, body).frame, timeout)
}

// extendDeadline makes sure a write can take timeout/2 at least and
// timeout at most. The deadline is moved only when it has come closer than
// timeout/2, not on every write: setting it costs a timer update.
func (w *wsConn) extendDeadline(timeout time.Duration) {
	now := time.Since(epoch)
	if w.deadline-now >= timeout/2 {
		return
	}
	w.setDeadline(now + timeout)
}

// setDeadline sets the write deadline to d after epoch.
func (w *wsConn) setDeadline(d time.Duration) {
	w.deadline = d
	_ = w.in.nc.SetWriteDeadline(epoch.Add(d))
}

// frameBuffers is scratch for one vectored write.
type frameBuffers struct {
	all net.Buffers
}

var frameBuffersPool = sync.Pool{New: func() any { return new(frameBuffers) }}

// after returns what follows the first n bytes of fb.all, in buffers of
// its own, or nil if nothing does.
func (fb *frameBuffers) after(n int) net.Buffers {
	for i, f := range fb.all {
		if n < len(f) {
			rest := append(net.Buffers{f[n:]}, fb.all[i+1:]...)
			return rest
		}
		n -= len(f)
	}
	return nil
}

// reset empties fb for the pool, keeping no frame alive.
func (fb *frameBuffers) reset() {
	clear(fb.all)
	fb.all = fb.all[:0]
}

// writeFrames writes the frames of batch in one system call where the
// connection allows it (writev on TCP), copying no payload.
func (w *wsConn) writeFrames(batch []*Message, timeout time.Duration) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.extendDeadline(timeout)
	answer := w.takeAnswerLocked()
	if len(batch) == 1 && answer == nil {
		_, err := w.in.nc.Write(w.frameOf(batch[0]))
		return err
	}
	if !w.vectored {
		// TLS and the like write each buffer as a record: join them first.
		_, err := w.in.nc.Write(append(answer, w.joinFrames(batch)...))
		return err
	}
	fb := frameBuffersPool.Get().(*frameBuffers)
	defer frameBuffersPool.Put(fb)
	if answer != nil {
		fb.all = append(fb.all, answer)
	}
	for _, m := range batch {
		fb.all = append(fb.all, w.frameOf(m))
	}
	err := w.writeBuffers(fb.all)
	fb.reset()
	return err
}

// joinFrames returns the frames of batch in one new buffer.
func (w *wsConn) joinFrames(batch []*Message) []byte {
	n := 0
	for _, m := range batch {
		n += len(w.frameOf(m))
	}
	out := make([]byte, 0, n)
	for _, m := range batch {
		out = append(out, w.frameOf(m)...)
	}
	return out
}
