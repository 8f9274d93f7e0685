package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// wsChunk bounds what is allocated for a payload before its bytes arrive.
const wsChunk = 64 << 10

// WebSocket read errors that close with a status code.
var (
	errWSTooLarge    = errors.New("engine: websocket message too large")
	errWSInvalidUTF8 = errors.New("engine: websocket text is not UTF-8")
)

// wsConn is one WebSocket connection: the transport of a session, or a
// candidate upgrading a polling session. Only its read loop reads it, or
// the worker the loop hands what is pending to; writes are done by the
// session's flusher once it is the transport, and by the reader while
// upgrading.
type wsConn struct {
	c        *Conn
	nc       net.Conn
	in       wsInput
	hdr      [ws.MaxHeaderSize - 2]byte
	vectored bool          // nc takes net.Buffers in one writev
	fragOp   ws.OpCode     // opcode of a fragmented message being read
	handing  atomic.Bool   // a worker handles what the loop handed it
	wmu      sync.Mutex    // serializes the writes of the flusher and fail
	deadline time.Duration // the write deadline set last, since epoch, under wmu

	frag []byte // the fragmented message being read

	reading sync.WaitGroup        // the worker that reads what is pending
	readFn  func()                // w.readPending, made once
	waitFn  func(fd uintptr) bool // w.waitFD, made once
	end     *wsEnd                // set by that worker when reading must stop
}

// handshakeWebSocket opens a session whose first transport is WebSocket.
func (s *Server) handshakeWebSocket(w http.ResponseWriter, r *http.Request) {
	wc := s.acceptWebSocket(w, r)
	if wc == nil {
		return
	}
	c := newConn(s, r)
	wc.c = c
	c.ws = wc
	if !s.register(c) {
		_ = wc.writeClose(nil, time.Second)
		wc.nc.Close()
		return
	}
	c.start()
	s.track()
	go wc.run()
}

// serveUpgrade starts upgrading polling session c to the WebSocket r asks
// for. A session that is not on polling, or is already upgrading, gets the
// WebSocket closed at once, as Node does.
func (s *Server) serveUpgrade(w http.ResponseWriter, r *http.Request, c *Conn) {
	wc := s.acceptWebSocket(w, r)
	if wc == nil {
		return
	}
	wc.c = c
	c.mu.Lock()
	if c.state != stateOpen || c.ws != nil || c.upg != nil {
		c.mu.Unlock()
		_ = wc.writeClose(nil, time.Second)
		wc.nc.Close()
		return
	}
	c.upg = wc
	c.probed = false
	c.upgTimer = time.AfterFunc(s.opts.UpgradeTimeout, func() { c.abandonUpgrade(wc) })
	s.track()
	c.mu.Unlock()
	go wc.run()
}

// acceptWebSocket completes the WebSocket handshake (no extension is
// negotiated: permessage-deflate is declined). It returns nil if the
// handshake failed; the client then got gobwas/ws's error answer.
func (s *Server) acceptWebSocket(w http.ResponseWriter, r *http.Request) *wsConn {
	nc, rw, _, err := s.upgrader.Upgrade(r, w)
	if err != nil {
		s.opts.Logger.Debug("engine: websocket handshake failed", "err", err, "remote", r.RemoteAddr)
		if nc != nil {
			nc.Close()
		}
		return nil
	}
	var pre []byte
	if rw != nil && rw.Reader.Buffered() > 0 {
		// The client sent frames right behind its request: read those first.
		b, _ := rw.Reader.Peek(rw.Reader.Buffered())
		pre = bytes.Clone(b)
	}
	wc := &wsConn{nc: nc}
	wc.in.init(nc, pre)
	wc.readFn = wc.readPending
	wc.waitFn = wc.waitFD
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		wc.vectored = true
	}
	return wc
}

// abandonUpgrade ends an upgrade that took longer than UpgradeTimeout; the
// session goes on polling.
func (c *Conn) abandonUpgrade(wc *wsConn) {
	c.mu.Lock()
	if c.upg == wc {
		c.dropUpgradeLocked()
	}
	c.mu.Unlock()
	wc.nc.Close()
}

// wsEnd says why a read loop stopped and how to close.
type wsEnd struct {
	reason string
	opts   failOpts
}

// run is the read loop goroutine.
func (w *wsConn) run() {
	defer w.c.srv.done()
	end := w.readLoop()
	c := w.c
	c.mu.Lock()
	active := c.ws == w
	if c.upg == w {
		c.dropUpgradeLocked()
	}
	c.mu.Unlock()
	if !active {
		if !end.opts.noFrame {
			_ = w.writeClose(end.opts.closeBody, time.Second)
		}
		w.nc.Close()
		return
	}
	c.fail(end.reason, end.opts)
	w.nc.Close()
	c.finish()
}

// readLoop reads messages until the connection must end. While the
// connection is idle it waits with a shallow stack and no buffer; what
// arrives is read and handled on a goroutine that lasts while bytes are
// pending, so that the deeper stack that handling grows is not kept by an
// idle connection (a goroutine's stack never shrinks back to the minimum).
//
// On a descriptor, the loop stays in the poller from one message to the
// next (see waitFD): whole messages are handed to a worker without leaving
// the wait, which saves the read that would find nothing after each one.
func (w *wsConn) readLoop() wsEnd {
	for {
		err := w.wait()
		w.reading.Wait() // for a worker waitFD started
		if w.end != nil {
			return *w.end
		}
		if err != nil {
			return readErrorEnd(err)
		}
		if w.in.buffered() > 0 {
			// Part of a frame or message came: the worker reads the rest.
			w.handOff()
			w.reading.Wait()
			if w.end != nil {
				return *w.end
			}
		}
	}
}

// wait blocks until bytes are pending that the loop must hand off itself,
// or a worker that waitFD started still runs, or the connection fails.
func (w *wsConn) wait() error {
	in := &w.in
	if in.raw == nil || in.buffered() > 0 {
		return in.wait()
	}
	in.rawErr = nil
	if err := in.raw.Read(w.waitFn); err != nil {
		return err
	}
	return in.rawErr
}

// waitFD is the RawConn callback of wait. It reads what has arrived; when
// that is whole messages only, it hands them to a worker and asks to wait
// again (returns false) without reading until the descriptor is readable:
// the short read it made drained the socket, and the poller keeps any
// arrival after it. It returns true, leaving the wait, when the read found
// a frame or message that continues, or filled the buffer, or failed, or
// when the previous worker still holds the buffer.
func (w *wsConn) waitFD(fd uintptr) bool {
	in := &w.in
	if w.handing.Load() {
		return true
	}
	in.rawDst, in.rawN = nil, 0 // read into a pooled buffer, as fill does
	if !in.readFD(fd) {
		return false // nothing came: wait
	}
	if in.rawErr != nil {
		return true
	}
	n := in.rawN
	in.r, in.w = 0, int32(n)
	if n == len(in.buf) || !wholeMessages(in.buf[:n]) {
		return true
	}
	w.handing.Store(true)
	w.handOff()
	return false
}

// handOff starts a worker on what is pending.
func (w *wsConn) handOff() {
	w.reading.Add(1)
	w.c.srv.workers.Run(w.readFn)
}

// readPending reads and handles messages until no byte is pending (a
// message that has begun is read to its end), then releases the buffer. A
// stop wakes the read loop, which may be waiting in the poller.
func (w *wsConn) readPending() {
	defer w.reading.Done()
	for {
		end, stop := w.readMessage()
		if stop {
			w.end = &end
			_ = w.nc.SetReadDeadline(aLongTimeAgo)
		}
		if stop || w.in.buffered() == 0 {
			w.in.release()
			w.handing.Store(false)
			return
		}
	}
}

// aLongTimeAgo is a deadline that has passed: setting it wakes a wait.
var aLongTimeAgo = time.Unix(1, 0)

// wholeMessages reports whether b holds whole frames only, the last of
// them ending a message: reading them needs no byte more. Headers are not
// checked otherwise; the reader reports what is wrong with them.
func wholeMessages(b []byte) bool {
	fragmented := false // a message continues in a later frame
	for len(b) > 0 {
		if len(b) < 2 {
			return false
		}
		size, length := uint64(2), uint64(b[1]&0x7f)
		switch length {
		case 126:
			size += 2
			if uint64(len(b)) < size {
				return false
			}
			length = uint64(binary.BigEndian.Uint16(b[2:]))
		case 127:
			size += 8
			if uint64(len(b)) < size {
				return false
			}
			length = binary.BigEndian.Uint64(b[2:])
		}
		if b[1]&0x80 != 0 {
			size += 4 // mask key
		}
		if uint64(len(b)) < size || uint64(len(b))-size < length {
			return false
		}
		if op := ws.OpCode(b[0] & 0x0f); !op.IsControl() {
			fragmented = b[0]&0x80 == 0
		}
		b = b[size+length:]
	}
	return !fragmented
}

// readMessage reads and handles one message or control frame; stop ends
// the read loop.
func (w *wsConn) readMessage() (end wsEnd, stop bool) {
	op, p, err := w.next()
	if err != nil {
		return readErrorEnd(err), true
	}
	switch op {
	case ws.OpClose:
		return wsEnd{ReasonTransportClose, failOpts{closeBody: closeReply(p)}}, true
	case ws.OpPing:
		w.pong(p)
	case ws.OpText:
		if !utf8.Valid(p) {
			return readErrorEnd(errWSInvalidUTF8), true
		}
		return w.onMessage(p, false)
	case ws.OpBinary:
		return w.onMessage(p, true)
	}
	return wsEnd{}, false
}

// readErrorEnd maps a read error to Node's close reason: a protocol
// violation is a "transport error" (closed with a status), anything else
// means the peer is gone: "transport close".
func readErrorEnd(err error) wsEnd {
	var code ws.StatusCode
	switch {
	case errors.Is(err, errWSTooLarge):
		code = ws.StatusMessageTooBig
	case errors.Is(err, errWSInvalidUTF8):
		code = ws.StatusInvalidFramePayloadData
	case errors.As(err, new(ws.ProtocolError)),
		errors.Is(err, ws.ErrHeaderLengthMSB), errors.Is(err, ws.ErrHeaderLengthUnexpected):
		code = ws.StatusProtocolError
	default:
		return wsEnd{ReasonTransportClose, failOpts{noFrame: true}}
	}
	return wsEnd{ReasonTransportError, failOpts{closeBody: ws.NewCloseFrameBody(code, "")}}
}

// closeReply is the payload answering a client's close frame: its status
// code, echoed.
func closeReply(p []byte) []byte {
	if len(p) < 2 {
		return nil
	}
	return p[:2:2]
}

// onMessage acts on one data message; stop ends the read loop.
func (w *wsConn) onMessage(p []byte, binary bool) (end wsEnd, stop bool) {
	c := w.c
	c.mu.Lock()
	upgrading, active := c.upg == w, c.ws == w
	c.mu.Unlock()
	switch {
	case upgrading:
		return w.onUpgradeMessage(p, binary)
	case !active:
		return wsEnd{ReasonTransportClose, failOpts{}}, true
	case binary:
		c.dispatch(p, true)
		return wsEnd{}, false
	}
	pkt, err := decodePacket(p)
	if err != nil {
		return wsEnd{ReasonParseError, failOpts{}}, true
	}
	c.onPacket(pkt)
	return wsEnd{}, false
}

// probeFrame answers the client's "2probe".
var probeFrame = (&Message{typ: typePong, Data: []byte("probe")}).wsFrame()

// onUpgradeMessage runs the upgrade: "2probe" is answered with "3probe"
// (and the pending poll released with a noop), "5" completes it; anything
// else abandons it.
func (w *wsConn) onUpgradeMessage(p []byte, binary bool) (wsEnd, bool) {
	var pkt packet
	var err error
	if !binary {
		pkt, err = decodePacket(p)
	}
	switch {
	case binary || err != nil:
	case pkt.typ == typePing && string(pkt.data) == "probe":
		if w.writeRaw(probeFrame, time.Second) != nil {
			break
		}
		c := w.c
		c.mu.Lock()
		if c.upg == w {
			c.probed = true
			c.signalLocked()
		}
		c.mu.Unlock()
		return wsEnd{}, false
	case pkt.typ == typeUpgrade:
		if w.c.completeUpgrade(w) {
			return wsEnd{}, false
		}
	}
	return wsEnd{ReasonTransportClose, failOpts{}}, true
}

// completeUpgrade makes w the transport of its session.
func (c *Conn) completeUpgrade(w *wsConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.upg != w || c.state != stateOpen {
		return false
	}
	c.dropUpgradeLocked()
	c.ws = w
	if c.pollWaiting {
		c.pollAnswer = typeNoop
		c.signalLocked()
	}
	if len(c.queue) > 0 {
		c.startFlushLocked()
	}
	return true
}

// pong answers a client's ping frame: through the queue on the session's
// transport, directly while upgrading.
func (w *wsConn) pong(p []byte) {
	m := newControlFrame(ws.OpPong, p)
	c := w.c
	c.mu.Lock()
	if c.ws != w {
		c.mu.Unlock()
		_ = w.writeRaw(m.frame, time.Second)
		return
	}
	if c.state == stateClosed || c.closeSent {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= c.srv.opts.WriteQueueSize {
		c.mu.Unlock()
		c.fail(ReasonTransportError, failOpts{noFrame: true})
		return
	}
	c.queue = append(c.queue, m)
	c.startFlushLocked()
	c.mu.Unlock()
}

// next returns the next data message or control frame, unmasked.
// Fragmented messages are reassembled; control frames between fragments are
// returned as they come.
func (w *wsConn) next() (ws.OpCode, []byte, error) {
	limit := w.c.srv.opts.MaxPayload
	for {
		h, err := ws.ReadHeaderBuffer(&w.in, w.hdr[:])
		if err != nil {
			return 0, nil, err
		}
		state := ws.StateServerSide
		if w.frag != nil {
			state |= ws.StateFragmented
		}
		if err := ws.CheckHeader(h, state); err != nil {
			return 0, nil, err
		}
		if !h.OpCode.IsControl() && (h.Length > limit || int64(len(w.frag)) > limit-h.Length) {
			return 0, nil, errWSTooLarge
		}
		p, err := readPayload(&w.in, h.Length)
		if err != nil {
			return 0, nil, err
		}
		ws.Cipher(p, h.Mask, 0)
		switch {
		case h.OpCode.IsControl():
			return h.OpCode, p, nil
		case h.OpCode == ws.OpContinuation:
			w.frag = append(w.frag, p...)
		case h.Fin:
			return h.OpCode, p, nil
		default:
			w.fragOp, w.frag = h.OpCode, p
			if w.frag == nil {
				w.frag = []byte{}
			}
		}
		if h.Fin && h.OpCode == ws.OpContinuation {
			p := w.frag
			w.frag = nil
			return w.fragOp, p, nil
		}
	}
}

// readPayload reads n bytes. Memory grows as the bytes arrive beyond
// wsChunk, so a peer that announces a big frame and sends nothing does not
// make the server allocate it.
func readPayload(r io.Reader, n int64) ([]byte, error) {
	if n <= wsChunk {
		p := make([]byte, n)
		_, err := io.ReadFull(r, p)
		return p, eofIsUnexpected(err)
	}
	p := make([]byte, 0, wsChunk)
	for int64(len(p)) < n {
		if len(p) == cap(p) {
			p = slices.Grow(p, int(min(n-int64(len(p)), int64(cap(p)))))
		}
		m, err := r.Read(p[len(p):min(int64(cap(p)), n)])
		p = p[:len(p)+m]
		if err != nil && int64(len(p)) < n {
			return nil, eofIsUnexpected(err)
		}
	}
	return p, nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// writeRaw writes one frame within timeout.
func (w *wsConn) writeRaw(frame []byte, timeout time.Duration) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.writeRawLocked(frame, timeout)
}

// writeRawLocked is writeRaw with w.wmu held.
func (w *wsConn) writeRawLocked(frame []byte, timeout time.Duration) error {
	w.setDeadline(time.Since(epoch) + timeout)
	_, err := w.nc.Write(frame)
	return err
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
	_ = w.nc.SetWriteDeadline(epoch.Add(d))
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

// startFlushLocked starts the flusher goroutine unless one runs.
func (c *Conn) startFlushLocked() {
	if c.flushing || c.closeSent || c.state == stateClosed || c.ws == nil {
		return
	}
	c.flushing = true
	c.srv.track()
	c.srv.workers.Run(c.flushFn)
}

// batchFlushLocked gets what SendBatched queued moving: at once if the
// last flush is older than BatchInterval, else when it will be.
func (c *Conn) batchFlushLocked() {
	if c.flushing || c.batchDue {
		return // the running flusher, or the batch queue, takes the queue
	}
	due := c.lastFlush + c.srv.opts.BatchInterval
	if c.lastFlush == 0 || due <= time.Since(epoch) || !c.srv.batches.add(c, due) {
		c.startFlushLocked()
		return
	}
	c.batchDue = true
}

// flushBatch writes what waited for the batch interval, unless a flusher
// took it meanwhile. It runs on the batch queue's goroutine, so it writes
// only what the socket buffer takes at once and leaves the rest to a
// flusher.
func (c *Conn) flushBatch() {
	c.mu.Lock()
	c.batchDue = false
	if len(c.queue) == 0 || c.flushing || c.closeSent || c.state == stateClosed || c.ws == nil {
		c.mu.Unlock()
		return
	}
	c.flushing = true
	c.srv.track()
	w := c.ws
	if w.in.raw == nil { // no descriptor to try a write that does not block
		c.mu.Unlock()
		c.srv.workers.Run(c.flushFn)
		return
	}
	batch := c.takeQueueLocked()
	c.mu.Unlock()
	c.writeThrough(w, batch)
}

// flushLoop writes what is queued to the WebSocket, each batch in one
// write, until the queue is empty; in a closing session it then writes the
// close frame. It runs on the server's workers.
func (c *Conn) flushLoop() {
	defer c.srv.done()
	if flushYield {
		// Let whoever is queueing (a broadcast to many connections) go on
		// first, so that more is written per system call.
		runtime.Gosched()
	}
	for {
		c.mu.Lock()
		w := c.ws
		batch := c.queue
		if c.state == stateClosed || len(batch) == 0 {
			closing := c.state == stateClosing && !c.closeSent
			c.closeSent = c.closeSent || closing
			c.mu.Unlock()
			if closing {
				w.wmu.Lock()
				_ = w.writeCloseLocked(nil, c.srv.opts.PingTimeout)
				w.wmu.Unlock()
			}
			c.mu.Lock()
			c.flushing = false
			c.mu.Unlock()
			return
		}
		batch = c.takeQueueLocked()
		c.mu.Unlock()

		err := w.writeFrames(batch, c.writeTimeout())
		c.mu.Lock()
		c.recycleLocked(batch)
		if err != nil {
			c.flushing = false
		}
		c.mu.Unlock()
		if err != nil {
			c.fail(ReasonTransportError, failOpts{noFrame: true})
			return
		}
	}
}

// takeQueueLocked returns the queue for a flusher to write, leaving an
// empty one.
func (c *Conn) takeQueueLocked() []*Message {
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	if c.srv.opts.BatchInterval > 0 {
		c.lastFlush = time.Since(epoch)
	}
	return batch
}

// recycleLocked keeps a written batch's array as the next spare queue.
func (c *Conn) recycleLocked(batch []*Message) {
	clear(batch)
	if c.spare == nil && cap(batch) <= 64 {
		c.spare = batch[:0]
	}
}

// canWriteThroughLocked reports whether the queue, a single message, may
// be written on the sender's goroutine: no flusher runs, the session is
// open, and its WebSocket has a descriptor to try a write that does not
// block.
func (c *Conn) canWriteThroughLocked() bool {
	return c.ws != nil && c.ws.in.raw != nil && len(c.queue) == 1 &&
		!c.flushing && !c.closeSent && c.state == stateOpen
}

// writeThrough writes batch to w on the calling goroutine, in one write,
// as far as the socket buffer takes it without blocking: a direct send
// (such as an ack) or a due batch then costs no handoff to a flusher. A
// flusher on the server's workers writes what the buffer did not take,
// and whatever was queued meanwhile.
func (c *Conn) writeThrough(w *wsConn, batch []*Message) {
	frame := batch[0].wsFrame()
	if len(batch) > 1 {
		frame = joinFrames(batch) // the rest of a partial write outlives this call
	}
	n, err := w.writeNow(frame, c.writeTimeout())
	c.mu.Lock()
	c.recycleLocked(batch)
	switch {
	case err != nil:
		c.mu.Unlock()
		c.writeFailed(true)
	case n < len(frame):
		c.mu.Unlock()
		c.srv.workers.Run(func() { c.finishWrite(w, frame[n:]) })
	case len(c.queue) == 0 && c.state == stateOpen:
		c.flushing = false
		c.mu.Unlock()
		c.srv.done()
	default: // more came meanwhile, or the session is closing
		c.mu.Unlock()
		c.srv.workers.Run(c.flushFn)
	}
}

// joinFrames returns the frames of batch in one new buffer.
func joinFrames(batch []*Message) []byte {
	n := 0
	for _, m := range batch {
		n += len(m.wsFrame())
	}
	out := make([]byte, 0, n)
	for _, m := range batch {
		out = append(out, m.wsFrame()...)
	}
	return out
}

// finishWrite writes the rest of a frame that writeThrough began, then
// goes on as the flusher.
func (c *Conn) finishWrite(w *wsConn, rest []byte) {
	if err := w.writeRaw(rest, c.writeTimeout()); err != nil {
		c.writeFailed(false)
		return
	}
	c.flushLoop()
}

// writeFailed ends the flushing that writeThrough took on, and the session
// with "transport error"; async when the writer is a sender, which may hold
// locks of its own.
func (c *Conn) writeFailed(async bool) {
	c.mu.Lock()
	c.flushing = false
	c.mu.Unlock()
	c.srv.done()
	c.fail(ReasonTransportError, failOpts{noFrame: true, async: async})
}

// writeNow writes as much of frame as the socket buffer takes at once,
// without blocking; a full buffer is not an error. It moves the write
// deadline as the flusher does: one that passed would fail the write.
func (w *wsConn) writeNow(frame []byte, timeout time.Duration) (int, error) {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.extendDeadline(timeout)
	op := nowWrites.Get().(*nowWrite)
	defer nowWrites.Put(op)
	op.frame, op.n, op.err = frame, 0, nil
	err := w.in.raw.Write(op.fn)
	if err == nil {
		err = op.err
	}
	n := op.n
	op.frame = nil
	return n, err
}

// nowWrite is the descriptor write of writeNow, pooled with its callback
// so that a write allocates nothing.
type nowWrite struct {
	frame []byte
	n     int
	err   error
	fn    func(fd uintptr) bool // write, made once
}

var nowWrites = sync.Pool{New: func() any {
	op := new(nowWrite)
	op.fn = op.write
	return op
}}

// write is the RawConn callback: it never asks to wait.
func (op *nowWrite) write(fd uintptr) bool {
	for op.n < len(op.frame) {
		m, err := syscall.Write(int(fd), op.frame[op.n:])
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return true
		case err != nil:
			op.err = err
			return true
		case m <= 0:
			return true
		}
		op.n += m
	}
	return true
}

// flushYield makes a new flusher yield once before it takes the queue.
var flushYield = true

// writeTimeout bounds one write to a WebSocket.
func (c *Conn) writeTimeout() time.Duration {
	return c.srv.opts.PingInterval + c.srv.opts.PingTimeout
}

// frameBuffers is scratch for one vectored write.
type frameBuffers struct {
	all  net.Buffers
	left net.Buffers // consumed by WriteTo
}

var frameBuffersPool = sync.Pool{New: func() any { return new(frameBuffers) }}

// writeFrames writes the frames of batch in one system call where the
// connection allows it (writev on TCP), copying no payload.
func (w *wsConn) writeFrames(batch []*Message, timeout time.Duration) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.extendDeadline(timeout)
	if len(batch) == 1 {
		_, err := w.nc.Write(batch[0].wsFrame())
		return err
	}
	fb := frameBuffersPool.Get().(*frameBuffers)
	defer frameBuffersPool.Put(fb)
	for _, m := range batch {
		fb.all = append(fb.all, m.wsFrame())
	}
	var err error
	if w.vectored {
		fb.left = fb.all
		_, err = fb.left.WriteTo(w.nc)
	} else {
		// TLS and the like write each buffer as a record: join them first.
		n := 0
		for _, b := range fb.all {
			n += len(b)
		}
		joined := make([]byte, 0, n)
		for _, b := range fb.all {
			joined = append(joined, b...)
		}
		_, err = w.nc.Write(joined)
	}
	clear(fb.all)
	fb.all, fb.left = fb.all[:0], nil
	return err
}
