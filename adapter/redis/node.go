package redisadapter

import (
	"context"
	"errors"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/socket"
)

// node is what the classic and sharded adapters share on top of
// adapter.Cluster: the hub of their factory, their subscriptions, and the
// Transport methods that move messages through Redis. Each adapter type
// embeds it and is its own Transport.
type node struct {
	*adapter.Cluster
	nsp    *socket.Namespace
	uid    string
	hubs   *hubs
	hub    *hub
	health *health       // the hub's
	reg    *registration // this adapter's subscriptions
	count  func(ctx context.Context) (int, error)
	stats  counters // read by PublishStats
}

// init makes the Cluster of nsp over t and acquires the factory's hub; the
// adapter then registers its subscriptions with n.hub.
func (n *node) init(nsp *socket.Namespace, t adapter.Transport, opts adapter.ClusterOptions, hs *hubs) {
	n.Cluster = adapter.NewCluster(nsp, t, opts)
	n.nsp, n.uid = nsp, opts.UID
	n.hubs, n.hub = hs, hs.acquire(nsp)
	n.health = &n.hub.health
}

// Send implements adapter.Transport: it queues m and waits until it has
// been published or ctx ends. It fails with ErrUnavailable (Redis known to
// be failing; nothing was queued), ErrQueueFull, Redis's error, or ctx's
// (the message is then not sent unless it had already left).
func (n *node) Send(ctx context.Context, m adapter.Message) error {
	return n.hub.pub.send(ctx, m, &n.stats)
}

// Post implements adapter.Transport: it queues m and returns, failing with
// ErrUnavailable or ErrQueueFull (m dropped); a failure to publish it is
// logged.
func (n *node) Post(ctx context.Context, m adapter.Message) error {
	return n.hub.pub.post(ctx, m, &n.stats)
}

// CountNodes implements adapter.Transport: the nodes subscribed to this
// namespace's channels, as Node counts them. It returns when Redis
// answers or ctx ends, even if Redis hangs, and at once with
// ErrUnavailable while Redis is known to be failing.
func (n *node) CountNodes(ctx context.Context) (int, error) {
	if err := n.health.allow(); err != nil {
		return 0, err
	}
	var count int
	err := n.hub.query(ctx, func(ctx context.Context) (err error) {
		count, err = n.count(ctx)
		n.health.observe(n.Logger(), "server count", err)
		return err
	})
	return count, err
}

// Release implements adapter.Transport: it drops the namespace's
// subscriptions from the shared connection. The last adapter of a factory
// also closes the connections and waits for their goroutines.
func (n *node) Release() error {
	n.reg.close()
	n.hubs.release(n.hub)
	return nil
}

// postAnswer queues an answer that adapter.Cluster does not make (the
// classic adapter's legacy ones); a failure is only logged.
func (n *node) postAnswer(op string, m adapter.Message) {
	if err := n.Post(n.Context(), m); err != nil {
		n.Logger().Debug("redisadapter: answer not sent", "op", op, "err", err)
	}
}

var (
	// ErrTimeout is wrapped by the error of a request that other nodes did
	// not all answer within the request timeout: adapter.ErrTimeout.
	ErrTimeout = adapter.ErrTimeout
	// ErrClosed is wrapped by the error of a request interrupted because
	// the adapter was closed: adapter.ErrClosed.
	ErrClosed = adapter.ErrClosed
	// ErrUnavailable is wrapped by the error of an operation that needed
	// Redis while Redis was failing: the adapter did not try Redis again
	// (it does, once per half second, until it answers). The local part
	// of the operation was done.
	ErrUnavailable = errors.New("redisadapter: Redis unavailable")
)
