package adapter

import (
	"sync/atomic"
	"time"

	"github.com/envivo/socketio/socket"
)

// requestStats count a Cluster's requests to the other nodes. Counting
// takes no lock.
type requestStats struct {
	requests, errors atomic.Uint64
	latency          socket.LatencyHistogram
}

// requested counts one request to the other nodes that began at start.
func (r *requestStats) requested(start time.Time, err error) {
	r.requests.Add(1)
	if err != nil {
		r.errors.Add(1)
	}
	r.latency.Observe(time.Since(start))
}

// PublishStatsReporter is implemented by a Transport that counts the
// messages it sends: PublishStats fills the Publish fields of st. It must
// be cheap and safe for concurrent use.
type PublishStatsReporter interface {
	PublishStats(st *socket.AdapterStats)
}

// AdapterStats implements socket.AdapterStatsReporter: the requests this
// adapter made to the other nodes (fetching sockets or rooms, broadcasts
// with acks; latency until every node answered, errors include timeouts),
// and what the transport sent, if it is a PublishStatsReporter. It is
// safe for concurrent use.
func (c *Cluster) AdapterStats() socket.AdapterStats {
	st := socket.AdapterStats{
		Requests:       c.stats.requests.Load(),
		RequestErrors:  c.stats.errors.Load(),
		RequestLatency: c.stats.latency.Snapshot(),
	}
	if p, ok := c.t.(PublishStatsReporter); ok {
		p.PublishStats(&st)
	}
	return st
}
