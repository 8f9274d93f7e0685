package socket

import (
	"sync/atomic"
	"time"

	"github.com/envivo/socketio/internal/engine"
)

// TransportStats counts the Engine.IO message packets of one transport
// (each Socket.IO packet, and each binary attachment, is one) and their
// payload bytes before compression. Handshakes, pings and other control
// packets are not counted.
type TransportStats = engine.TransportStats

// Stats is a snapshot of a server's counters, totals since NewServer
// except for the sockets per namespace. Package metrics exports them to
// Prometheus.
type Stats struct {
	// Namespaces lists the namespaces (static ones, and live children of
	// dynamic ones) with their connected sockets, in no particular order.
	Namespaces []NamespaceStats
	// Connections counts the sockets that joined a namespace.
	Connections uint64
	// Disconnections counts the connected sockets that left, by reason.
	Disconnections map[DisconnectReason]uint64
	// Refusals counts refused requests and namespace CONNECTs, by
	// category.
	Refusals map[RefusalReason]uint64
	// Polling and WebSocket count each transport's traffic.
	Polling, WebSocket TransportStats
	// SlowClients counts, for Outbound, the connections closed because
	// their write queue overflowed; for Inbound, the times a connection's
	// reading paused because a socket's event queue was full.
	SlowClients map[Direction]uint64
	// AckLatency is the round trip of acknowledgements the server asked
	// its clients for (Socket.EmitWithAck, broadcasts with acks): from
	// sending the event to receiving the ack. Acks that never come are
	// not counted.
	AckLatency Histogram
}

// NamespaceStats describes one namespace in Stats.
type NamespaceStats struct {
	// Name is the namespace's name.
	Name string
	// Sockets is the number of sockets connected to it on this server.
	Sockets int
	// Adapter holds the adapter's counters when it reports any (see
	// AdapterStatsReporter); nil otherwise.
	Adapter *AdapterStats
}

// AdapterStats are the counters of a cluster adapter: messages it
// published and requests it made to other servers, with failures and
// latency.
type AdapterStats struct {
	// Publishes and PublishErrors count messages published to the other
	// servers, and those whose publishing failed.
	Publishes, PublishErrors uint64
	// PublishLatency is how long publishing took.
	PublishLatency Histogram
	// Requests and RequestErrors count requests that wait for other
	// servers' answers (FetchSockets, ServerSideEmitWithAck...), and
	// those that failed or timed out.
	Requests, RequestErrors uint64
	// RequestLatency is how long requests took, failed ones included.
	RequestLatency Histogram
}

// AdapterStatsReporter is implemented by adapters that count their
// traffic; Server.Stats reads it for each namespace. AdapterStats must be
// cheap and safe for concurrent use.
type AdapterStatsReporter interface {
	AdapterStats() AdapterStats
}

// Stats returns the server's counters. It reads atomics kept on the
// way, so counting costs the traffic no lock and no allocation; Stats
// itself allocates the snapshot. It is safe for concurrent use.
func (srv *Server) Stats() Stats {
	es := srv.engine.Stats()
	st := Stats{
		Connections:    srv.stats.connections.Load(),
		Disconnections: make(map[DisconnectReason]uint64, len(disconnectReasons)),
		Refusals:       make(map[RefusalReason]uint64, len(refusalReasons)),
		Polling:        es.Polling,
		WebSocket:      es.WebSocket,
		SlowClients: map[Direction]uint64{
			Outbound: es.QueueFull,
			Inbound:  srv.stats.inboundFull.Load(),
		},
		AckLatency: srv.stats.ackLatency.Snapshot(),
	}
	for i, r := range disconnectReasons {
		st.Disconnections[r] = srv.stats.disconnections[i].Load()
	}
	for i, r := range refusalReasons {
		st.Refusals[r] = srv.stats.refusals[i].Load() + es.Refused[string(r)]
	}
	for _, n := range srv.namespaceList() {
		ns := NamespaceStats{Name: n.name, Sockets: n.count()}
		if a, ok := n.Adapter().(AdapterStatsReporter); ok {
			as := a.AdapterStats()
			ns.Adapter = &as
		}
		st.Namespaces = append(st.Namespaces, ns)
	}
	return st
}

// namespaceList returns the static namespaces and live children.
func (srv *Server) namespaceList() []*Namespace {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	list := make([]*Namespace, 0, len(srv.nsps))
	for _, n := range srv.nsps {
		list = append(list, n)
	}
	return list
}

// count returns the number of sockets connected to n.
func (n *Namespace) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.sockets)
}

// serverStats are the counters of the socket layer; the engine keeps
// those of the traffic.
type serverStats struct {
	connections    atomic.Uint64
	disconnections [len(disconnectReasons)]atomic.Uint64
	refusals       [len(refusalReasons)]atomic.Uint64
	inboundFull    atomic.Uint64
	ackLatency     LatencyHistogram
}

// disconnectReasons lists the reasons in the order of the counters; the
// last, ReasonOther, takes any reason not listed before it.
var disconnectReasons = [...]DisconnectReason{ReasonTransportClose, ReasonTransportError,
	ReasonPingTimeout, ReasonParseError, ReasonForcedClose, ReasonForcedServerClose,
	ReasonServerShutdown, ReasonClientNamespaceDisconnect, ReasonServerNamespaceDisconnect,
	reasonOther}

// reasonOther counts, in Stats, the disconnections for a reason that is
// none of the Reason constants (a reason given to Engine.IO's Close).
const reasonOther DisconnectReason = "other"

func disconnectIndex(r DisconnectReason) int {
	for i, k := range disconnectReasons[:len(disconnectReasons)-1] {
		if k == r {
			return i
		}
	}
	return len(disconnectReasons) - 1
}

func refusalIndex(r RefusalReason) int {
	for i, k := range refusalReasons {
		if k == r {
			return i
		}
	}
	return 0
}

// observeConnect counts a socket that joined a namespace.
func (srv *Server) observeConnect() { srv.stats.connections.Add(1) }

// observeDisconnect counts a connected socket that left and calls the
// hook.
func (srv *Server) observeDisconnect(s *Socket, reason DisconnectReason) {
	srv.stats.disconnections[disconnectIndex(reason)].Add(1)
	if f := srv.opts.Hooks.OnDisconnect; f != nil {
		f(s, reason)
	}
}

// latencyBounds are the upper bounds of LatencyHistogram's buckets.
var latencyBounds = [...]time.Duration{
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second,
}

// LatencyHistogram counts durations in fixed buckets (1ms to 10s, as
// Prometheus' defaults, plus 1ms and 2.5ms) with atomics: Observe takes
// no lock and allocates nothing. The zero value is ready to use; it must
// not be copied after first use. Adapters may use it for AdapterStats.
type LatencyHistogram struct {
	counts [len(latencyBounds) + 1]atomic.Uint64
	sum    atomic.Int64 // nanoseconds
}

// Observe counts d.
func (h *LatencyHistogram) Observe(d time.Duration) {
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// Snapshot returns what h has counted. Concurrent Observe calls may be
// partly included.
func (h *LatencyHistogram) Snapshot() Histogram {
	s := Histogram{Bounds: latencyBounds[:], Counts: make([]uint64, len(h.counts)),
		Sum: time.Duration(h.sum.Load())}
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	return s
}

// Histogram is a snapshot of a LatencyHistogram.
type Histogram struct {
	// Bounds are the upper bounds of the buckets, inclusive, ascending;
	// shared, not to be modified.
	Bounds []time.Duration
	// Counts holds, per bucket, the durations counted in it (not
	// cumulative): Counts[i] those over Bounds[i-1] and at most Bounds[i];
	// the last, one more than Bounds, those over the last bound.
	Counts []uint64
	// Sum is the sum of the durations counted.
	Sum time.Duration
}

// Count returns how many durations h counted.
func (h Histogram) Count() uint64 {
	var n uint64
	for _, c := range h.Counts {
		n += c
	}
	return n
}
