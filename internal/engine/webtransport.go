package engine

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// WebTransportStream is the bidirectional stream that carries an Engine.IO
// session over WebTransport: the first one the client opened in its
// WebTransport session. Package webtransport provides it; the engine
// imports nothing of HTTP/3. Read is called by one goroutine at a time,
// Write by one at a time; the other methods may be called concurrently
// with them and with each other.
type WebTransportStream interface {
	io.Reader
	io.Writer
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
	// CloseWrite ends the sending direction once what was written is
	// delivered; the client may still send.
	CloseWrite() error
	// Close ends the whole WebTransport session at once; blocked reads
	// and writes return.
	Close() error
}

// webTransportLinked records that package webtransport is in the program.
var webTransportLinked atomic.Bool

var errWebTransportUnlinked = errors.New(`engine: transport "webtransport" needs package ` +
	`github.com/envivo/socketio/webtransport and its HTTP/3 server: import it and serve it`)

// LinkWebTransport is called by package webtransport when the program
// starts: from then on NewServer accepts "webtransport" in
// Options.Transports. Nothing else should call it.
func LinkWebTransport() { webTransportLinked.Store(true) }

// wtConn is the WebTransport transport: one stream, the transport of a
// session or the candidate of an upgrade from polling. Only its read loop
// reads it. A flusher on the server's workers writes what the session
// queued; wmu serializes it with the candidate's probe answer and the end
// of the sending direction. The fields under "guarded by the session's mu"
// are that.
type wtConn struct {
	c   *Conn
	st  WebTransportStream
	hdr [8]byte // the read loop's scratch for frame headers

	wmu sync.Mutex // serializes writes

	// Guarded by the session's mu.
	flushing bool // a flusher runs
	finSent  bool // the sending direction was closed, or is being
}

// WebTransportTimeout returns Options.UpgradeTimeout, which also bounds
// how long a WebTransport session may take to open its stream and send its
// first packet.
func (s *Server) WebTransportTimeout() time.Duration { return s.opts.UpgradeTimeout }

// AdmitWebTransport checks r, the CONNECT request of a WebTransport
// session, the way ServeHTTP checks a handshake: the transport must be in
// Options.Transports, EIO must be 4 if given (socket.io-client sends no
// query on WebTransport, and Node reads none), the Origin allowed by CORS, the
// headers within MaxHeaderBytes, AllowRequest must pass, and the server
// must not be shutting down. When it refuses, it answers w as ServeHTTP
// would (Node's JSON error), counts the refusal and returns false; the
// caller must not upgrade r then.
func (s *Server) AdmitWebTransport(w http.ResponseWriter, r *http.Request) bool {
	q := parseQuery(r.URL.RawQuery)
	origin := r.Header.Get("Origin")
	switch {
	case !s.transportEnabled(TransportWebTransport):
		s.refuse(w, r, codeUnknownTransport, "")
	case q.eio != "" && q.eio != "4": // engine.io-client sends no query here
		s.refuse(w, r, codeUnsupportedProtocol, "")
	case invalidHeaderValue(origin):
		s.refuse(w, r, codeBadRequest, "")
	case s.cors.enabled && origin != "" && !s.cors.allowed(origin):
		s.refuseAs(w, r, codeForbidden, "", RefusedCORS)
	case headerBytes(r) > s.opts.MaxHeaderBytes:
		const msg = "Request Header Fields Too Large"
		s.observeRefused(r, codeBadRequest, msg, RefusedLimits)
		writeError(w, http.StatusRequestHeaderFieldsTooLarge, codeBadRequest, msg)
	case s.isClosing():
		s.refuseShutdown(w, r)
	default:
		if allow := s.opts.AllowRequest; allow != nil {
			if err := allow(r); err != nil {
				s.refuse(w, r, codeForbidden, err.Error())
				return false
			}
		}
		return true
	}
	return false
}

// ServeWebTransport serves a WebTransport session that AdmitWebTransport
// admitted; r is its CONNECT request and st the first bidirectional
// stream the client opened. It reads the client's first packet within
// UpgradeTimeout, an open packet as engine.io-client sends it: without
// data, st is the transport of a new session (which answers with its own
// open packet); with {"sid":"..."}, st becomes the candidate of an upgrade
// of that polling session, whose probe and upgrade packets follow. Any
// other start closes st, as Node does. It returns once the session or the
// upgrade runs on the server's goroutines, or st is closed.
func (s *Server) ServeWebTransport(r *http.Request, st WebTransportStream) {
	w := &wtConn{st: st}
	_ = st.SetReadDeadline(time.Now().Add(s.opts.UpgradeTimeout))
	p, err := w.readPacket(s.opts.MaxPayload)
	_ = st.SetReadDeadline(time.Time{})
	if err != nil || p.typ != typeOpen || p.binary {
		s.opts.Logger.Debug("engine: invalid webtransport handshake", "err", err, "remote", r.RemoteAddr)
		st.Close()
		return
	}
	if len(p.data) == 0 {
		s.openWebTransport(r, w)
		return
	}
	c := s.sessions.get(sessionIDOf(p.data))
	if c == nil || c.proto.revision() != 4 {
		st.Close()
		return
	}
	w.c = c
	if !c.beginUpgrade(w, w.startReading) {
		st.Close()
	}
}

// sessionIDOf returns the sid of the open packet's data {"sid":"..."}, or
// "" when it has none.
func sessionIDOf(data []byte) string {
	var v map[string]json.RawMessage
	var sid string
	if json.Unmarshal(data, &v) != nil || json.Unmarshal(v["sid"], &sid) != nil {
		return ""
	}
	return sid
}

// openWebTransport opens a new session on w.
func (s *Server) openWebTransport(r *http.Request, w *wtConn) {
	c := newConn(s, r, rev4{})
	w.c = c
	c.tr = w
	if !s.register(c) {
		s.observeRefused(r, codeBadRequest, shutdownMessage, RefusedShutdown)
		w.st.Close()
		return
	}
	c.start()
	w.startReading()
}

// readPacket reads and decodes one packet: a binary frame is a binary
// message, a text frame a packet in its text form.
func (w *wtConn) readPacket(limit int64) (packet, error) {
	data, bin, err := readWTFrame(w.st, &w.hdr, limit)
	switch {
	case err != nil:
		return packet{}, err
	case bin:
		return packet{typ: typeMessage, binary: true, data: data}, nil
	case !utf8.Valid(data):
		return packet{}, errParse
	}
	return decodePacket(data)
}

func (w *wtConn) name() string { return TransportWebTransport }

func (w *wtConn) writableLocked() bool { return !w.flushing }

func (w *wtConn) kickLocked() { w.startFlushLocked() }

func (w *wtConn) sendLocked(bool) {
	w.startFlushLocked()
	w.c.mu.Unlock()
}

func (w *wtConn) drainsLocked() bool { return true }

func (w *wtConn) retireLocked() {} // a WebTransport stream is never upgraded

func (w *wtConn) abandon() { w.st.Close() }

func (w *wtConn) stopLocked(failOpts) { w.finSent = true }

// stop closes the WebTransport session; the read loop then ends and
// finishes the Engine.IO session.
func (w *wtConn) stop(failOpts) { w.st.Close() }

// startReading starts w's read loop on a goroutine of the server's.
func (w *wtConn) startReading() { w.c.srv.goroutines.Go(w.run) }

// run is the read loop goroutine. When it ends, the stream is closed and,
// if it is a session's transport, the session is finished.
func (w *wtConn) run() {
	if !w.c.endTransport(w, w.readLoop(), failOpts{}) {
		w.st.Close()
	}
}

// readLoop reads packets until the stream must end, and returns why: a
// stream that does not hold packets is a "parse error" (as in Node, whose
// decoder then yields an error packet), a stream or session that ends is
// a "transport close".
func (w *wtConn) readLoop() string {
	limit := w.c.srv.opts.MaxPayload
	for {
		p, err := w.readPacket(limit)
		switch {
		case errors.Is(err, errWTEmpty), errors.Is(err, errWTTooLarge), errors.Is(err, errParse):
			return ReasonParseError
		case err != nil:
			return ReasonTransportClose
		}
		if !w.onPacket(p) {
			return ReasonTransportClose
		}
	}
}

// onPacket acts on one packet; false ends the read loop.
func (w *wtConn) onPacket(p packet) bool {
	c := w.c
	c.mu.Lock()
	upgrading, active := c.upgradingLocked(w), c.tr == transport(w)
	c.mu.Unlock()
	switch {
	case upgrading:
		return w.onUpgradePacket(p)
	case !active:
		return false
	}
	c.onPacket(p, true)
	return true
}

// probeWTFrame answers the client's "2probe".
var probeWTFrame = appendWTFrame(nil, &Message{typ: typePong, Data: []byte("probe")})

// onUpgradePacket runs the upgrade on its candidate: "2probe" is answered
// with "3probe", "5" completes it; anything else abandons it.
func (w *wtConn) onUpgradePacket(p packet) bool {
	switch {
	case p.binary:
	case p.typ == typePing && string(p.data) == "probe":
		if w.write(probeWTFrame, time.Second) != nil {
			return false
		}
		w.c.probed(w)
		return true
	case p.typ == typeUpgrade:
		return w.c.completeUpgrade(w)
	}
	return false
}

// startFlushLocked starts a flusher on the server's workers unless one
// runs.
func (w *wtConn) startFlushLocked() {
	c := w.c
	if w.flushing || w.finSent || c.state == stateClosed || c.tr != transport(w) {
		return
	}
	w.flushing = true
	c.srv.workers.RunTask((*wtFlush)(w))
}

// flushLoop writes what is queued, each batch in one write, until the
// queue is empty; in a closing session it then ends the sending direction,
// and the client closes the session (or the close's grace runs out). It
// runs on the server's workers.
func (w *wtConn) flushLoop() {
	c := w.c
	for {
		c.mu.Lock()
		if c.state == stateClosed || len(c.queue) == 0 {
			fin := c.state == stateClosing && !w.finSent
			w.finSent = w.finSent || fin
			// In the same critical section as the empty queue: a sender
			// that queues after it starts a flusher of its own.
			w.flushing = false
			c.mu.Unlock()
			if fin {
				w.wmu.Lock()
				_ = w.st.CloseWrite()
				w.wmu.Unlock()
			}
			return
		}
		batch := c.takeQueueLocked()
		c.mu.Unlock()

		err := w.write(wtFrames(batch), c.srv.writeTimeout())
		c.mu.Lock()
		c.recycleLocked(batch)
		if err != nil {
			w.flushing = false
		}
		c.mu.Unlock()
		if err != nil {
			c.fail(ReasonTransportError, failOpts{})
			return
		}
	}
}

// write writes b within timeout.
func (w *wtConn) write(b []byte, timeout time.Duration) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_ = w.st.SetWriteDeadline(time.Now().Add(timeout))
	_, err := w.st.Write(b)
	return err
}

// wtFlush is flushLoop as a worker task (see wsReadPending).
type wtFlush wtConn

func (t *wtFlush) Run() { (*wtConn)(t).flushLoop() }
