package redisadapter

import (
	"sync/atomic"
	"time"

	"github.com/envivo/socketio/socket"
)

// counters are an adapter's publish and request counters, read by
// AdapterStats. Counting takes no lock.
type counters struct {
	publishes, publishErrors atomic.Uint64
	publishLatency           socket.LatencyHistogram
	requests, requestErrors  atomic.Uint64
	requestLatency           socket.LatencyHistogram
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

// requested counts one request to the other nodes that began at start.
func (c *counters) requested(start time.Time, err error) {
	c.requests.Add(1)
	if err != nil {
		c.requestErrors.Add(1)
	}
	c.requestLatency.Observe(time.Since(start))
}

// AdapterStats implements socket.AdapterStatsReporter: the messages this
// namespace's adapter published to Redis (broadcasts, requests, answers;
// latency from queueing to Redis's reply, so it includes the wait in the
// publish queue; errors include messages dropped for a full queue or
// while Redis was failing), and the requests it made to the other nodes
// (fetching sockets or rooms, broadcasts with acks; latency until every
// node answered, errors include timeouts). It is safe for concurrent use.
func (c *core) AdapterStats() socket.AdapterStats {
	s := &c.stats
	return socket.AdapterStats{
		Publishes:      s.publishes.Load(),
		PublishErrors:  s.publishErrors.Load(),
		PublishLatency: s.publishLatency.Snapshot(),
		Requests:       s.requests.Load(),
		RequestErrors:  s.requestErrors.Load(),
		RequestLatency: s.requestLatency.Snapshot(),
	}
}
