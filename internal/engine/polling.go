package engine

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// polling is the HTTP long-polling transport: the client GETs what the
// server has to say, one request pending at a time, and POSTs what it
// says. Its fields are guarded by the session's mu.
type polling struct {
	c       *Conn
	codec   codec                    // the session's protocol, as the client asked for it
	wake    chan struct{}            // signals the pending GET; made on its first wait
	waiting bool                     // a GET is pending
	answer  byte                     // if not 0, what the pending GET answers regardless of the queue
	posting bool                     // a POST is being handled
	body    *http.ResponseController // the POST whose body is being read, nil if none
	aborted bool                     // body's read was cut short; see abortPostLocked
}

func newPolling(c *Conn, cd codec) transport { return &polling{c: c, codec: cd} }

func (p *polling) name() string { return TransportPolling }

func (p *polling) writableLocked() bool { return p.waiting }

// kickLocked wakes the pending GET; in a closing session it also cuts
// short a POST still being read, since nothing more is taken from the
// client.
func (p *polling) kickLocked() {
	p.signalLocked()
	if p.c.state != stateOpen {
		p.abortPostLocked()
	}
}

func (p *polling) sendLocked(bool) {
	p.signalLocked()
	p.c.mu.Unlock()
}

func (p *polling) drainsLocked() bool { return p.waiting }

// retireLocked releases a pending GET with a noop, as Node does once the
// upgrade completes.
func (p *polling) retireLocked() { p.answerLocked(typeNoop) }

// stopLocked answers a pending GET with the close packet (a noop when the
// client closed), and cuts short a POST still being read: a body that
// trickles in must not outlive its session.
func (p *polling) stopLocked(o failOpts) {
	if o.noop {
		p.answerLocked(typeNoop)
	} else {
		p.answerLocked(typeClose)
	}
	p.abortPostLocked()
}

// stop finishes the session: nothing else holds it.
func (p *polling) stop(failOpts) { p.c.finish() }

// answerLocked makes a pending GET answer the packet typ, and nothing
// else.
func (p *polling) answerLocked(typ byte) {
	if p.waiting {
		p.answer = typ
		p.signalLocked()
	}
}

// signalLocked wakes the pending GET, if any.
func (p *polling) signalLocked() {
	if !p.waiting {
		return
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// abortPostLocked makes the read of a POST body in progress fail at once.
// Only while the body is read: a past deadline that hits net/http's
// background read of a keep-alive connection, which starts once a body has
// been read, cancels the context of every later request on the
// connection, of any session. The read may have just ended as the deadline
// is set: the POST's answer then closes its connection (see bodyRead).
func (p *polling) abortPostLocked() {
	if p.body != nil {
		_ = p.body.SetReadDeadline(aLongTimeAgo)
		p.aborted = true
	}
}

// aLongTimeAgo is a deadline that has passed: setting it ends a wait.
var aLongTimeAgo = time.Unix(1, 0)

// pollingOf returns the polling transport a request for c may use; if
// there is none, the request is refused.
func (c *Conn) pollingOf(w http.ResponseWriter, r *http.Request) *polling {
	c.mu.Lock()
	p, ok := c.tr.(*polling)
	switch {
	case c.finished:
		c.mu.Unlock()
		c.srv.refuse(w, r, codeUnknownSID, "")
		return nil
	case !ok:
		c.mu.Unlock()
		c.srv.refuse(w, r, codeBadRequest, "")
		return nil
	}
	c.mu.Unlock()
	return p
}

// servePoll answers a polling GET: at once with what is queued, or when
// something is (long-polling). The wait uses the request's goroutine and
// no other. After a wait, the answer gets a write deadline of its own: the
// http.Server's WriteTimeout counts from the request, and one shorter than
// PingInterval must not fail the answer.
func (c *Conn) servePoll(w http.ResponseWriter, r *http.Request) {
	p := c.pollingOf(w, r)
	if p == nil {
		return
	}
	c.mu.Lock()
	if p.waiting {
		// A second GET while one is pending: Node closes the session, the
		// pending GET answers the close packet, this one gets 400.
		c.mu.Unlock()
		c.fail(ReasonTransportError, failOpts{})
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var rc *http.ResponseController
	for {
		batch, trailer, final, ok := p.takeLocked()
		if ok {
			if final {
				p.abortPostLocked()
			}
			c.mu.Unlock()
			if rc != nil {
				_ = rc.SetWriteDeadline(time.Now().Add(c.srv.writeTimeout()))
			}
			p.write(w, r, batch, trailer)
			if batch != nil {
				// Its array becomes the next queue's, as a WebSocket's
				// does: steady long-polling then grows no queue.
				c.mu.Lock()
				c.recycleLocked(batch)
				c.mu.Unlock()
			}
			if final {
				c.finish()
			}
			return
		}
		if rc == nil {
			rc = http.NewResponseController(w)
		}
		if p.wake == nil {
			p.wake = make(chan struct{}, 1)
		}
		p.waiting = true
		wake := p.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-r.Context().Done():
		}
		c.mu.Lock()
		p.waiting = false
		if r.Context().Err() != nil {
			// Node: "poll connection closed prematurely".
			c.mu.Unlock()
			c.fail(ReasonTransportError, failOpts{})
			return
		}
	}
}

// takeLocked decides what a GET answers now: ok is false if it must wait.
// batch is what is queued; trailer, if not 0, is one packet type sent
// after it (close when a graceful close ends, noop to release a GET). final
// means the answer ends the session.
func (p *polling) takeLocked() (batch []*Message, trailer byte, final, ok bool) {
	c := p.c
	switch {
	case p.answer != 0:
		trailer, p.answer = p.answer, 0
		return nil, trailer, false, true
	case c.state == stateClosed:
		return nil, typeClose, false, true
	case c.tr != p:
		return nil, typeNoop, false, true // upgraded while waiting
	case len(c.queue) > 0:
		batch = c.takeQueueLocked()
		if c.state == stateClosing {
			return batch, typeClose, true, true
		}
		return batch, 0, false, true
	case c.state == stateClosing:
		return nil, typeClose, true, true
	}
	return nil, 0, false, false
}

// pollBodies recycles the buffers polling answers are encoded into: a body
// is dead once written, so steady long-polling allocates none.
var pollBodies = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody keeps an occasional huge answer from staying in the pool.
const maxPooledBody = 64 << 10

// write writes a polling payload: batch, then trailer if not 0;
// compressed from Options.HTTPCompressionThreshold bytes when the client
// accepts it.
func (p *polling) write(w http.ResponseWriter, r *http.Request, batch []*Message, trailer byte) {
	buf := pollBodies.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledBody {
			pollBodies.Put(buf)
		}
	}()
	body, binary := p.codec.appendPayload((*buf)[:0], batch, trailer)
	*buf = body
	h := w.Header()
	if binary {
		h.Set("Content-Type", "application/octet-stream")
	} else {
		h.Set("Content-Type", "text/plain; charset=UTF-8")
	}
	threshold := p.c.srv.opts.HTTPCompressionThreshold
	if enc := httpEncoding(r.Header.Get("Accept-Encoding"), len(body), threshold); enc != "" && compressible(batch) {
		zbuf := pollBodies.Get().(*[]byte)
		defer func() {
			if cap(*zbuf) <= maxPooledBody {
				pollBodies.Put(zbuf)
			}
		}()
		body = compressBody((*zbuf)[:0], body, enc)
		*zbuf = body
		h.Set("Content-Encoding", enc)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setNoCache(h, r)
	p.c.srv.hookHeaders(h, r)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// compressible reports whether a polling answer carrying batch may be
// compressed: unless every message says NoCompress, as in Node.
func compressible(batch []*Message) bool {
	for _, m := range batch {
		if !m.NoCompress {
			return true
		}
	}
	return false
}

// setNoCache sets the headers Node's polling transport adds to its
// responses.
func setNoCache(h http.Header, r *http.Request) {
	h.Set("Cache-Control", "no-store")
	if ua := r.UserAgent(); strings.Contains(ua, ";MSIE") || strings.Contains(ua, "Trident/") {
		h.Set("X-XSS-Protection", "0")
	}
}

// serveData handles a polling POST: decodes the payload, acts on each
// packet in order and answers "ok". The answer waits while the Handler
// pushes back; the server's write deadline is moved past that wait.
func (c *Conn) serveData(w http.ResponseWriter, r *http.Request) {
	p := c.pollingOf(w, r)
	if p == nil {
		return
	}
	binary := r.Header.Get("Content-Type") == "application/octet-stream"
	if binary && !p.codec.binaryPosts() {
		// Protocol 4 sends binary as base64 text; Node refuses the rest.
		c.fail(ReasonTransportError, failOpts{})
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc := http.NewResponseController(w)
	if !p.beginPost(w, r, rc) {
		return
	}
	body, err := readBody(w, r, c.srv.opts.MaxPayload)
	if p.bodyRead() {
		w.Header().Set("Connection", "close")
	}
	if err != nil {
		p.endPost()
		c.fail(ReasonTransportError, failOpts{})
		if errors.Is(err, errTooLarge) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		} else {
			w.WriteHeader(http.StatusBadRequest)
		}
		return
	}
	pkts, err := p.codec.decodePayload(body, binary)
	for _, pkt := range pkts {
		if pkt.typ == typeClose {
			c.fail(ReasonTransportClose, failOpts{noop: true})
			break
		}
		c.onPacket(pkt, false)
	}
	p.endPost()
	if err != nil {
		c.fail(ReasonParseError, failOpts{})
		c.srv.answerError(w, r, codeBadRequest, "") // a broken session, not a refused request
		return
	}
	_ = rc.SetWriteDeadline(time.Now().Add(c.srv.writeTimeout()))
	h := w.Header()
	h.Set("Content-Type", "text/html") // Node: text/plain makes some browsers download
	h.Set("Content-Length", "2")
	setNoCache(h, r)
	c.srv.hookHeaders(h, r)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

// beginPost marks a POST in progress, refusing it if another is, and its
// body as being read: rc cuts the read short if the session ends.
func (p *polling) beginPost(w http.ResponseWriter, r *http.Request, rc *http.ResponseController) bool {
	c := p.c
	c.mu.Lock()
	if p.posting {
		// Node: "data request overlap from client".
		c.mu.Unlock()
		c.fail(ReasonTransportError, failOpts{})
		w.WriteHeader(http.StatusBadRequest)
		return false
	}
	if c.state == stateClosed {
		c.mu.Unlock()
		c.srv.refuse(w, r, codeUnknownSID, "")
		return false
	}
	p.posting, p.body = true, rc
	c.mu.Unlock()
	return true
}

// bodyRead marks the body of the POST in progress as read, after which the
// session's end no longer cuts the connection's reads. It reports whether
// a read was cut: the POST's answer must then close the connection, whose
// context net/http may have cancelled.
func (p *polling) bodyRead() (aborted bool) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	aborted, p.aborted, p.body = p.aborted, false, nil
	return aborted
}

// endPost ends the POST in progress.
func (p *polling) endPost() {
	p.c.mu.Lock()
	p.posting = false
	p.c.mu.Unlock()
}

// errTooLarge reports a body over MaxPayload.
var errTooLarge = errors.New("engine: payload too large")

// readBody reads a request body of at most limit bytes, however it is sent.
// Memory grows with the bytes that arrive, not with what Content-Length
// announces.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	size := int64(512)
	if r.ContentLength >= 0 {
		size = min(r.ContentLength, 64<<10) + 1 // +1: see io.EOF without growing
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return nil, errTooLarge
			}
			return nil, err
		}
	}
}
