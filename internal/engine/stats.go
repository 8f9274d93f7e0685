package engine

import (
	"net/http"
	"sync/atomic"
)

// Refusal categories: why a request was refused before it reached a
// session (Observer.Refused, Stats.Refused).
const (
	RefusedBadRequest = "bad_request" // codes 0, 1, 2, 3 and 5: a malformed or unknown request
	RefusedCORS       = "cors"        // a WebSocket upgrade from an origin CORS does not allow
	RefusedForbidden  = "forbidden"   // Options.AllowRequest returned an error
	RefusedLimits     = "limits"      // a handshake over MaxHeaderBytes
	RefusedShutdown   = "shutdown"    // a handshake during Shutdown
)

// refusalKinds lists the categories in the order of Stats.Refused.
var refusalKinds = [...]string{RefusedBadRequest, RefusedCORS, RefusedForbidden, RefusedLimits, RefusedShutdown}

// Observer receives the events of a Server that an operator counts or
// traces. Its functions are optional and called synchronously on the
// request's or the connection's goroutine, without the session's locks:
// they must not block.
type Observer struct {
	// Refused is called for every refused request: handshakes, and
	// requests naming an unknown or unusable session (Node's engine
	// "connection_error"). code is the Engine.IO error code, message the
	// one answered, kind one of the Refused* categories.
	Refused func(r *http.Request, code int, message, kind string)
	// QueueFull is called when a session is closed because its write
	// queue overflowed WriteQueueSize (a client too slow to read).
	QueueFull func(c *Conn)
}

// SetObserver installs o. It must be called before the server serves its
// first request.
func (s *Server) SetObserver(o Observer) { s.observer = o }

// TransportStats counts the message packets of one transport and their
// payload bytes (before compression; the Engine.IO type digit, pings and
// other control packets are not counted).
type TransportStats struct {
	PacketsIn, PacketsOut, BytesIn, BytesOut uint64
}

// Stats is a snapshot of a Server's counters, all totals since NewServer.
type Stats struct {
	// Polling and WebSocket count the traffic of each transport;
	// WebSocket's include WebTransport's.
	Polling, WebSocket TransportStats
	// Refused counts refused requests by category (RefusedBadRequest...).
	Refused map[string]uint64
	// QueueFull counts sessions closed for a full write queue.
	QueueFull uint64
}

// Stats returns the server's counters. It is safe to call at any time;
// it reads atomics and takes no lock a session uses.
func (s *Server) Stats() Stats {
	var st Stats
	for i := range s.traffic {
		t := &s.traffic[i]
		addTraffic(&st.Polling, &t.n[0])
		addTraffic(&st.WebSocket, &t.n[1])
	}
	st.Refused = make(map[string]uint64, len(refusalKinds))
	for i, k := range refusalKinds {
		st.Refused[k] = s.refused[i].Load()
	}
	st.QueueFull = s.queueFull.Load()
	return st
}

func addTraffic(dst *TransportStats, n *[4]atomic.Uint64) {
	dst.PacketsIn += n[0].Load()
	dst.PacketsOut += n[1].Load()
	dst.BytesIn += n[2].Load()
	dst.BytesOut += n[3].Load()
}

// trafficStripes is how many stripes the traffic counters have: each
// session counts on one of them, so that sessions on different cores
// rarely write the same cache line.
const trafficStripes = 16

// trafficStripe holds, per transport (0 polling, 1 WebSocket), packets in,
// packets out, bytes in and bytes out, on cache lines of its own.
type trafficStripe struct {
	n [2][4]atomic.Uint64
	_ [64]byte
}

// countIn counts one received message packet of n bytes.
func (c *Conn) countIn(websocket bool, n int) {
	t := &c.stripe.n[transportIndex(websocket)]
	t[0].Add(1)
	t[2].Add(uint64(n))
}

// countOutLocked counts the message packets of a batch taken for writing.
func (c *Conn) countOutLocked(batch []*Message) {
	var n, bytes uint64
	for _, m := range batch {
		if m.typ == 0 {
			n++
			bytes += uint64(len(m.Data))
		}
	}
	if n == 0 {
		return
	}
	t := &c.stripe.n[transportIndex(c.tr.name() != TransportPolling)]
	t[1].Add(n)
	t[3].Add(bytes)
}

func transportIndex(websocket bool) int {
	if websocket {
		return 1
	}
	return 0
}

// nextStripe returns the stripe of a new session, round robin.
func (s *Server) nextStripe() *trafficStripe {
	return &s.traffic[s.stripes.Add(1)%trafficStripes]
}

// refusedKind returns the category of a refusal with code.
func refusedKind(code int) string {
	if code == codeForbidden {
		return RefusedForbidden
	}
	return RefusedBadRequest
}

// observeRefused counts a refused request and tells the observer.
func (s *Server) observeRefused(r *http.Request, code int, msg, kind string) {
	for i, k := range refusalKinds {
		if k == kind {
			s.refused[i].Add(1)
		}
	}
	if f := s.observer.Refused; f != nil {
		f(r, code, msg, kind)
	}
}

// observeQueueFull counts a session closed for a full write queue and
// tells the observer.
func (s *Server) observeQueueFull(c *Conn) {
	s.queueFull.Add(1)
	if f := s.observer.QueueFull; f != nil {
		f(c)
	}
}
