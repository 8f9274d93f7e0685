package redisadapter

import (
	"sync/atomic"
	"time"

	"github.com/envivo/socketio/socket"
)

// counters are an adapter's publish counters, read by PublishStats (the
// request counters are adapter.Cluster's). Counting takes no lock.
type counters struct {
	publishes, publishErrors atomic.Uint64
	publishLatency           socket.LatencyHistogram
}

// published counts one message that was published (err nil) or failed,
// queued at start (zero when it never was).
func (c *counters) published(start time.Time, err error) {
	if c == nil {
		return
	}
	c.publishes.Add(1)
	if err != nil {
		c.publishErrors.Add(1)
	}
	if !start.IsZero() {
		c.publishLatency.Observe(time.Since(start))
	}
}

// PublishStats implements adapter.PublishStatsReporter: the messages this
// namespace's adapter published to Redis (broadcasts, requests, answers;
// latency from queueing to Redis's reply, so it includes the wait in the
// publish queue; errors include messages dropped for a full queue or
// while Redis was failing). It is safe for concurrent use.
func (n *node) PublishStats(st *socket.AdapterStats) {
	st.Publishes = n.stats.publishes.Load()
	st.PublishErrors = n.stats.publishErrors.Load()
	st.PublishLatency = n.stats.publishLatency.Snapshot()
}
