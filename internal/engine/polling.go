package engine

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// servePoll answers a polling GET: at once with what is queued, or when
// something is (long-polling). The wait uses the request's goroutine and
// no other.
func (c *Conn) servePoll(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	switch {
	case c.finished:
		c.mu.Unlock()
		c.srv.refuse(w, r, codeUnknownSID, "")
		return
	case c.ws != nil:
		c.mu.Unlock()
		c.srv.refuse(w, r, codeBadRequest, "")
		return
	case c.pollWaiting:
		// A second GET while one is pending: Node closes the session, the
		// pending GET answers the close packet, this one gets 400.
		c.mu.Unlock()
		c.fail(ReasonTransportError, failOpts{})
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	for {
		batch, trailer, final, ok := c.takePollLocked()
		if ok {
			c.mu.Unlock()
			writePoll(w, r, batch, trailer)
			if final {
				c.finish()
			}
			return
		}
		if c.wake == nil {
			c.wake = make(chan struct{}, 1)
		}
		c.pollWaiting = true
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-r.Context().Done():
		}
		c.mu.Lock()
		c.pollWaiting = false
		if r.Context().Err() != nil {
			// Node: "poll connection closed prematurely".
			c.mu.Unlock()
			c.fail(ReasonTransportError, failOpts{})
			return
		}
	}
}

// takePollLocked decides what a GET answers now: ok is false if it must
// wait. batch is what is queued; trailer, if not 0, is one packet type sent
// after it (close when a graceful close ends, noop to release a GET). final
// means the answer ends the session.
func (c *Conn) takePollLocked() (batch []*Message, trailer byte, final, ok bool) {
	switch {
	case c.pollAnswer != 0:
		trailer, c.pollAnswer = c.pollAnswer, 0
		return nil, trailer, false, true
	case c.state == stateClosed:
		return nil, typeClose, false, true
	case c.ws != nil:
		return nil, typeNoop, false, true // upgraded while waiting
	case len(c.queue) > 0:
		batch, c.queue = c.queue, nil
		if c.state == stateClosing {
			return batch, typeClose, true, true
		}
		return batch, 0, false, true
	case c.state == stateClosing:
		return nil, typeClose, true, true
	case c.upg != nil && c.probed:
		// Upgrading: release the client's poll so that it can finish the
		// upgrade (Node writes a noop every 100 ms meanwhile).
		return nil, typeNoop, false, true
	}
	return nil, 0, false, false
}

// pollBodies recycles the buffers polling answers are encoded into: a body
// is dead once written, so steady long-polling allocates none.
var pollBodies = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody keeps an occasional huge answer from staying in the pool.
const maxPooledBody = 64 << 10

// writePoll writes a polling payload: batch, then trailer if not 0.
func writePoll(w http.ResponseWriter, r *http.Request, batch []*Message, trailer byte) {
	n := 2
	for _, m := range batch {
		n += encodedLen(m) + 1
	}
	buf := pollBodies.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledBody {
			pollBodies.Put(buf)
		}
	}()
	body := encodePayload(slices.Grow((*buf)[:0], n), batch)
	if trailer != 0 {
		if len(batch) > 0 {
			body = append(body, separator)
		}
		body = append(body, trailer)
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setNoCache(h, r)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	*buf = body
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
// packet in order and answers "ok".
func (c *Conn) serveData(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") == "application/octet-stream" {
		// Protocol 4 sends binary as base64 text; Node refuses the rest.
		c.fail(ReasonTransportError, failOpts{})
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if !c.beginPost(w, r) {
		return
	}
	defer c.endPost()

	body, err := readBody(w, r, c.srv.opts.MaxPayload)
	if err != nil {
		c.fail(ReasonTransportError, failOpts{})
		if errors.Is(err, errTooLarge) {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
		} else {
			w.WriteHeader(http.StatusBadRequest)
		}
		return
	}
	pkts, err := decodePayload(body)
	for _, p := range pkts {
		if p.typ == typeClose {
			c.fail(ReasonTransportClose, failOpts{noop: true})
			break
		}
		c.onPacket(p)
	}
	if err != nil {
		c.fail(ReasonParseError, failOpts{})
		c.srv.refuse(w, r, codeBadRequest, "")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html") // Node: text/plain makes some browsers download
	h.Set("Content-Length", "2")
	setNoCache(h, r)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

// beginPost marks a POST in progress, refusing it if the session cannot
// take one.
func (c *Conn) beginPost(w http.ResponseWriter, r *http.Request) bool {
	c.mu.Lock()
	switch {
	case c.finished:
		c.mu.Unlock()
		c.srv.refuse(w, r, codeUnknownSID, "")
		return false
	case c.ws != nil:
		c.mu.Unlock()
		c.srv.refuse(w, r, codeBadRequest, "")
		return false
	case c.posting:
		// Node: "data request overlap from client".
		c.mu.Unlock()
		c.fail(ReasonTransportError, failOpts{})
		w.WriteHeader(http.StatusBadRequest)
		return false
	}
	c.posting = true
	c.mu.Unlock()
	return true
}

func (c *Conn) endPost() {
	c.mu.Lock()
	c.posting = false
	c.mu.Unlock()
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
