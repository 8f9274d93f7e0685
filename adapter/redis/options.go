package redisadapter

import (
	"log/slog"
	"time"
)

// Options configures the classic adapter that New returns. The zero value
// (or nil) gives Node's defaults. New copies the struct.
type Options struct {
	// Key prefixes every channel name, as @socket.io/redis-adapter's key
	// option does: every node of a cluster must use the same one.
	// Default: "socket.io".
	Key string
	// RequestTimeout bounds the wait for the answers of other nodes (fetch
	// sockets, all rooms, server count for acknowledgements, server-side
	// emit with acks), as Node's requestsTimeout does; a shorter context
	// deadline wins. Default: 5s.
	RequestTimeout time.Duration
	// PublishOnSpecificResponseChannel sends this node's answers to the
	// requesting node's own channel (<key>-response#<nsp>#<uid>#) rather
	// than the channel every node listens to, as Node's option of the same
	// name. This node always listens on both. Default: false.
	PublishOnSpecificResponseChannel bool
	// PublishQueueSize bounds the messages waiting to be published. Every
	// message this adapter sends (broadcasts, requests, answers) goes
	// through one queue per factory, which one goroutine sends to Redis in
	// order, in pipelines: Emit and the other broadcasts return once their
	// message is queued, without waiting for Redis, and calls that take a
	// context wait for their message until the context ends. When the
	// queue is full, the new message is dropped: the call returns an error
	// wrapping ErrQueueFull (after the local delivery), the drop is counted
	// and a warning logged once until the queue empties. Messages queued
	// while Redis hangs wait in the queue and are delivered when it
	// answers again, unless go-redis gives up on them first; once Redis is
	// known to be failing, the messages still queued are dropped and new
	// ones refused with ErrUnavailable. Default: 4096.
	PublishQueueSize int
	// Logger receives the adapter's logs: lost and restored connections to
	// Redis, failed publications, messages from the bus that are dropped.
	// The adapters of one factory share their connections, and log about
	// them through the logger of the first. Default: the server's logger
	// (socket.Options.Logger).
	Logger *slog.Logger
	// KeepRedisLogger leaves go-redis's own, process-wide logger alone.
	// By default the first adapter made in the process routes go-redis's
	// log lines, which it otherwise prints unstructured to stderr, to
	// Logger (see SetRedisLogger). Default: false.
	KeepRedisLogger bool
}

func (o *Options) withDefaults() Options {
	c := Options{}
	if o != nil {
		c = *o
	}
	if c.Key == "" {
		c.Key = "socket.io"
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.PublishQueueSize <= 0 {
		c.PublishQueueSize = defaultPublishQueueSize
	}
	return c
}

// defaultRequestTimeout is Node's, for both adapters.
const defaultRequestTimeout = 5 * time.Second

// SubscriptionMode chooses the channels a sharded adapter subscribes to,
// as the subscriptionMode option of Node's createShardedAdapter. Every node
// of a cluster must use the same mode.
type SubscriptionMode int

const (
	// Dynamic subscribes to 2 channels per namespace plus one per room that
	// has local members, rooms named after a socket id excepted; a
	// broadcast to a single such room is published on the room's channel,
	// so that only the nodes holding the room receive it. Node's default.
	Dynamic SubscriptionMode = iota
	// Static subscribes to 2 channels per namespace, whatever the rooms:
	// every broadcast reaches every node. Suits many short-lived rooms or
	// dynamic namespaces.
	Static
	// DynamicPrivate is Dynamic for every room, those named after a socket
	// id included: it suits much one-to-one messaging.
	DynamicPrivate
)

// String returns the mode's name in Node's option, such as "dynamic".
func (m SubscriptionMode) String() string {
	switch m {
	case Static:
		return "static"
	case DynamicPrivate:
		return "dynamic-private"
	default:
		return "dynamic"
	}
}

// ShardedOptions configures the sharded adapter that NewSharded returns.
// The zero value (or nil) gives Node's defaults. NewSharded copies the
// struct.
type ShardedOptions struct {
	// ChannelPrefix prefixes every channel name, as Node's channelPrefix:
	// every node of a cluster must use the same one. Default: "socket.io".
	ChannelPrefix string
	// SubscriptionMode chooses the channels to subscribe to. Default:
	// Dynamic.
	SubscriptionMode SubscriptionMode
	// RequestTimeout bounds the wait for the answers of other nodes; a
	// shorter context deadline wins. Default: 5s, Node's fixed value.
	RequestTimeout time.Duration
	// Logger receives the adapter's logs, as Options.Logger. Default: the
	// server's logger.
	Logger *slog.Logger
	// KeepRedisLogger leaves go-redis's logger alone, as
	// Options.KeepRedisLogger. Default: false.
	KeepRedisLogger bool
	// PublishQueueSize bounds the messages waiting to be published, as
	// Options.PublishQueueSize. Default: 4096.
	PublishQueueSize int
}

func (o *ShardedOptions) withDefaults() ShardedOptions {
	c := ShardedOptions{}
	if o != nil {
		c = *o
	}
	if c.ChannelPrefix == "" {
		c.ChannelPrefix = "socket.io"
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.PublishQueueSize <= 0 {
		c.PublishQueueSize = defaultPublishQueueSize
	}
	return c
}
