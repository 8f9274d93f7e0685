package engine

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// WebSocket read errors that close with a status code.
var (
	errWSTooLarge    = errors.New("engine: websocket message too large")
	errWSInvalidUTF8 = errors.New("engine: websocket text is not UTF-8")
)

// wsConn is the WebSocket transport: one WebSocket connection, the
// transport of a session or a candidate upgrading a polling session.
//
// Reading: one reader at a time. On Linux, a descriptor waits in the
// server's epoll set while idle and a worker reads what arrives
// (poll_linux.go); otherwise a read loop goroutine waits and hands what is
// pending to a worker (run, readLoop). Writing: a flusher on the server's workers writes what the
// session queued, or the sender itself when the socket buffer takes it at
// once (writeThrough); wmu serializes them with the close frame, and the
// candidate's own answers while upgrading. The fields under "guarded by
// the session's mu" are that; wmu is never taken with the session's mu
// held.
type wsConn struct {
	c        *Conn
	codec    codec   // the session's protocol, as this connection's client asked for it
	in       wsInput // in.nc is the connection, read and written
	hdr      [ws.MaxHeaderSize - 2]byte
	vectored bool      // nc takes net.Buffers in one writev
	deflate  bool      // permessage-deflate was negotiated (wsdeflate.go)
	fragOp   ws.OpCode // opcode of a fragmented message being read
	fragZ    bool      // the fragmented message being read is compressed
	frag     []byte    // the fragmented message being read

	handing atomic.Bool    // a worker handles what the loop handed it
	reading sync.WaitGroup // the worker that reads what is pending
	end     *wsEnd         // set by that worker when reading must stop

	// The readiness path (poll_linux.go).
	poll    atomic.Int32 // pollNone, pollArmed, pollOwned or pollDirty
	closing atomic.Bool  // closeConn was called
	pollID  uint64       // its key in the set

	wmu      sync.Mutex    // serializes writes
	deadline time.Duration // the write deadline set last, since epoch, under wmu
	answer   *heldAnswer   // the handshake's answer, not yet written; under wmu

	// Guarded by the session's mu.
	batch     timerEntry[*wsConn] // in srv.batches while batchDue
	lastFlush time.Duration       // when a flusher last took the queue, since epoch
	flushing  bool                // a flusher, or a sender writing through, owns writes
	closeSent bool                // the close frame was written, or is being
	batchDue  bool                // the queue waits in srv.batches
	farewell  bool                // stop writes the close frame
}

// handshakeWebSocket opens a session speaking proto whose first transport
// is WebSocket, with codec cd.
func (s *Server) handshakeWebSocket(w http.ResponseWriter, r *http.Request, cd codec, proto protocol) {
	wc := s.acceptWebSocket(w, r, cd, true)
	if wc == nil {
		return
	}
	c := newConn(s, r, proto)
	wc.attach(c)
	c.tr = wc
	if !s.register(c) {
		s.observeRefused(r, codeBadRequest, shutdownMessage, RefusedShutdown)
		_ = wc.writeClose(nil, time.Second)
		wc.in.nc.Close()
		return
	}
	c.start()
	wc.startReading()
}

// acceptWebSocket completes the WebSocket handshake of a transport with
// codec cd, negotiating permessage-deflate when Options.PerMessageDeflate is
// set and cd allows it (wsdeflate.go; otherwise it is declined). It returns
// nil if the handshake failed; the client then got gobwas/ws's error answer.
// With hold, the handshake's answer is written with the connection's first
// frames, in the same system call and TCP segment: a new session's open
// packet follows at once. An upgrade's candidate is answered at once, since
// its client speaks first.
func (s *Server) acceptWebSocket(w http.ResponseWriter, r *http.Request, cd codec, hold bool) *wsConn {
	var deflate bool
	u := s.upgraderFor(&deflate, cd.deflates())
	u.Header = s.upgradeHeaders(r)
	var answer *heldAnswer
	if hold {
		answer = &heldAnswer{ResponseWriter: w}
		w = answer
	}
	nc, rw, _, err := u.Upgrade(r, w)
	if err != nil {
		s.opts.Logger.Debug("engine: websocket handshake failed", "err", err, "remote", r.RemoteAddr)
		s.observeRefused(r, codeBadRequest, err.Error(), RefusedBadRequest)
		if nc != nil {
			if answer != nil && len(answer.b) > 0 {
				_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
				_, _ = nc.Write(answer.b) // the error answer
			}
			nc.Close()
		}
		return nil
	}
	// net/http cleared the deadlines of its ReadTimeout and WriteTimeout
	// when the connection was hijacked: the WebSocket sets its own.
	var pre []byte
	if rw != nil && rw.Reader.Buffered() > 0 {
		// The client sent frames right behind its request: read those first.
		b, _ := rw.Reader.Peek(rw.Reader.Buffered())
		pre = bytes.Clone(b)
	}
	wc := &wsConn{codec: cd, deflate: deflate, answer: answer}
	wc.in.init(nc, pre)
	wc.useDescriptor()
	switch nc.(type) {
	case *net.TCPConn, *net.UnixConn:
		wc.vectored = true
	}
	return wc
}

// heldAnswer holds the answer to a WebSocket handshake for the first
// write (acceptWebSocket): it hijacks the connection for gobwas/ws with
// its buffered writer aimed at b instead of the connection.
type heldAnswer struct {
	http.ResponseWriter
	b answerBytes
}

// answerBytes keeps what is written to it.
type answerBytes []byte

func (b *answerBytes) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}

// Hijack hijacks the connection, keeping what is written to its writer.
func (h *heldAnswer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err == nil {
		rw.Writer.Reset(&h.b)
	}
	return nc, rw, err
}

// takeAnswerLocked returns the handshake's answer if it is still to be
// written, for the caller to write before anything else; w.wmu is held.
func (w *wsConn) takeAnswerLocked() []byte {
	if w.answer == nil {
		return nil
	}
	b := w.answer.b
	w.answer = nil
	return b
}

// attach makes w a connection of session c.
func (w *wsConn) attach(c *Conn) {
	w.c = c
	w.batch = newTimerEntry(w)
}

func (w *wsConn) name() string { return TransportWebSocket }

func (w *wsConn) writableLocked() bool { return !w.flushing }

func (w *wsConn) kickLocked() { w.startFlushLocked() }

func (w *wsConn) drainsLocked() bool { return true }

func (w *wsConn) retireLocked() {} // a WebSocket is never upgraded

func (w *wsConn) abandon() { w.closeConn() }

// sendLocked gets what a sender queued moving, and releases the session's
// mu: a lone message is written on the sender's goroutine when nothing
// else writes; a batched one waits for its batch, unless it is due at
// once. A broadcast to many quiet connections is thus written by the
// broadcasting goroutines themselves, without a flusher started for each
// connection.
func (w *wsConn) sendLocked(batched bool) {
	c := w.c
	switch {
	case batched && w.batchWaitsLocked():
	case w.canWriteThroughLocked():
		w.flushing = true // the sender is the flusher for now
		batch := w.takeLocked()
		c.mu.Unlock()
		w.writeThrough(batch)
		return
	default:
		w.startFlushLocked()
	}
	c.mu.Unlock()
}

// stopLocked decides whether stop writes a close frame, once.
func (w *wsConn) stopLocked(o failOpts) {
	w.farewell = !o.noFrame && !w.closeSent
	w.closeSent = w.closeSent || w.farewell
	if w.batchDue {
		w.c.srv.batches.cancel(&w.batch)
		w.batchDue = false
	}
}

// stop writes the close frame if stopLocked said so, and closes the
// connection; the read loop then ends and finishes the session. A flusher
// in the middle of a write gets a second more, then the close frame goes
// after what it wrote.
func (w *wsConn) stop(o failOpts) {
	if w.farewell {
		_ = w.in.nc.SetWriteDeadline(time.Now().Add(time.Second))
		w.wmu.Lock()
		_ = w.writeCloseLocked(o.closeBody, time.Second)
		w.wmu.Unlock()
	}
	w.closeConn()
}

// wsEnd says why a read loop stopped and how to close.
type wsEnd struct {
	reason string
	opts   failOpts
}

// run is the read loop goroutine. When it ends, the connection is closed
// and, if it is a session's transport, the session is finished.
func (w *wsConn) run() { w.finishReading(w.readLoop()) }

// finishReading closes w after its reading ended for end's reason and, if
// it is a session's transport, finishes the session.
func (w *wsConn) finishReading(end wsEnd) {
	if w.c.endTransport(w, end.reason, end.opts) {
		return
	}
	if !end.opts.noFrame {
		_ = w.writeClose(end.opts.closeBody, time.Second)
	}
	w.in.nc.Close()
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

// handOff starts a worker on what is pending.
func (w *wsConn) handOff() {
	w.reading.Add(1)
	w.c.srv.workers.RunTask((*wsReadPending)(w))
}

// The worker tasks of a WebSocket, as types over wsConn: the pool takes a
// pointer to one without allocating, where a method value would cost an
// allocation, or a field of every connection to keep it in.
type (
	wsReadPending wsConn // readPending
	wsFlush       wsConn // flushLoop
)

func (t *wsReadPending) Run() { (*wsConn)(t).readPending() }
func (t *wsFlush) Run()       { (*wsConn)(t).flushLoop() }

// readPending reads and handles messages until no byte is pending (a
// message that has begun is read to its end), then releases the buffer. A
// stop wakes the read loop, which may be waiting in the poller.
func (w *wsConn) readPending() {
	defer w.reading.Done()
	for {
		end, stop := w.readMessage()
		if stop {
			w.end = &end
			_ = w.in.nc.SetReadDeadline(aLongTimeAgo)
		}
		if stop || w.in.buffered() == 0 {
			w.in.release()
			w.handing.Store(false)
			return
		}
	}
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
	case errors.Is(err, errWSInvalidUTF8), errors.Is(err, errInflate):
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
	upgrading, active := c.upgradingLocked(w), c.tr == transport(w)
	c.mu.Unlock()
	switch {
	case upgrading:
		return w.onUpgradeMessage(p, binary)
	case !active:
		return wsEnd{ReasonTransportClose, failOpts{}}, true
	}
	var pkt packet
	var err error
	if binary {
		pkt, err = w.codec.decodeBinary(p)
	} else {
		pkt, err = w.codec.decodeText(p)
	}
	if err != nil {
		return wsEnd{ReasonParseError, failOpts{}}, true
	}
	c.onPacket(pkt, true)
	return wsEnd{}, false
}

// probeFrame answers the client's "2probe".
var probeFrame = (&Message{typ: typePong, Data: []byte("probe")}).wsFrame()

// onUpgradeMessage runs the upgrade on its candidate: "2probe" is answered
// with "3probe", "5" completes it; anything else abandons it.
func (w *wsConn) onUpgradeMessage(p []byte, binary bool) (wsEnd, bool) {
	var pkt packet
	var err error
	if !binary {
		pkt, err = w.codec.decodeText(p)
	}
	switch {
	case binary || err != nil:
	case pkt.typ == typePing && string(pkt.data) == "probe":
		if w.writeRaw(probeFrame, time.Second) != nil {
			break
		}
		w.c.probed(w)
		return wsEnd{}, false
	case pkt.typ == typeUpgrade:
		if w.c.completeUpgrade(w) {
			return wsEnd{}, false
		}
	}
	return wsEnd{ReasonTransportClose, failOpts{}}, true
}

// pong answers a client's ping frame: through the queue on the session's
// transport, directly while upgrading.
func (w *wsConn) pong(p []byte) {
	m := newControlFrame(ws.OpPong, p)
	c := w.c
	c.mu.Lock()
	if c.tr != transport(w) {
		c.mu.Unlock()
		_ = w.writeRaw(m.frame, time.Second)
		return
	}
	if c.state == stateClosed || w.closeSent {
		c.mu.Unlock()
		return
	}
	if !c.queueLocked(m) {
		c.mu.Unlock()
		c.fail(ReasonTransportError, failOpts{noFrame: true})
		return
	}
	w.startFlushLocked()
	c.mu.Unlock()
}
