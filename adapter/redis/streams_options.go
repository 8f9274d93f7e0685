package redisadapter

import (
	"log/slog"
	"strconv"
	"time"
	"unicode/utf16"
)

// StreamsOptions configures the Streams adapter that NewStreams returns,
// with the options of Node's createAdapter from
// @socket.io/redis-streams-adapter 0.3. The zero value (or nil) gives
// Node's defaults; every node of a cluster must use the same StreamName,
// StreamCount, ChannelPrefix, UseShardedPubSub and SessionKeyPrefix.
// NewStreams copies the struct.
//
// Node's heartbeatInterval and heartbeatTimeout have no counterpart: the
// 0.3 adapter sends no heartbeats and counts servers with PUBSUB NUMSUB,
// as this one does.
type StreamsOptions struct {
	// StreamName is the Redis stream the broadcasts, joins, leaves and
	// disconnections go through. Default: "socket.io".
	StreamName string
	// StreamCount spreads the namespaces over that many streams, named
	// StreamName-0 to StreamName-(StreamCount-1), by the hash Node uses
	// (so a namespace uses the same stream on every node). Default: 1,
	// a single stream named StreamName.
	StreamCount int
	// ChannelPrefix prefixes the Pub/Sub channels that carry requests and
	// their answers (fetching sockets, server-side emits, broadcasts with
	// acknowledgements): <prefix>#<nsp># and <prefix>#<nsp>#<uid>#.
	// Default: "socket.io".
	ChannelPrefix string
	// UseShardedPubSub sends requests and answers with Redis 7 sharded
	// Pub/Sub (SPUBLISH, SSUBSCRIBE) rather than PUBLISH and SUBSCRIBE.
	// Default: false.
	UseShardedPubSub bool
	// MaxLen caps the stream, approximately (XADD MAXLEN ~): it bounds the
	// events a client that reconnects can still recover. Default: 10000.
	MaxLen int64
	// ReadCount is the most entries one XREAD returns. Default: 100.
	ReadCount int64
	// BlockTime is how long one XREAD waits for new entries before it is
	// sent again. Default: 5s.
	BlockTime time.Duration
	// SessionKeyPrefix prefixes the Redis keys of the sessions that
	// connection state recovery keeps: <prefix><pid>. Default:
	// "sio:session:".
	SessionKeyPrefix string
	// OnlyPlaintext writes binary data in stream entries as JSON, the way
	// JSON.stringify writes a Node Buffer, rather than as base64
	// MessagePack: binary then reaches the clients of other nodes as
	// {"type":"Buffer","data":[...]} objects. Default: false.
	OnlyPlaintext bool
	// RequestTimeout bounds the wait for the answers of other nodes; a
	// shorter context deadline wins. Default: 5s, Node's fixed value.
	RequestTimeout time.Duration
	// PublishQueueSize bounds the messages and stream entries waiting to be
	// sent, as Options.PublishQueueSize. Default: 4096.
	PublishQueueSize int
	// Logger receives the adapter's logs, as Options.Logger. Default: the
	// server's logger.
	Logger *slog.Logger
}

func (o *StreamsOptions) withDefaults() StreamsOptions {
	c := StreamsOptions{}
	if o != nil {
		c = *o
	}
	if c.StreamName == "" {
		c.StreamName = "socket.io"
	}
	c.StreamCount = max(c.StreamCount, 1)
	if c.ChannelPrefix == "" {
		c.ChannelPrefix = "socket.io"
	}
	if c.MaxLen <= 0 {
		c.MaxLen = 10000
	}
	if c.ReadCount <= 0 {
		c.ReadCount = 100
	}
	if c.BlockTime <= 0 {
		c.BlockTime = 5 * time.Second
	}
	if c.SessionKeyPrefix == "" {
		c.SessionKeyPrefix = "sio:session:"
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultRequestTimeout
	}
	if c.PublishQueueSize <= 0 {
		c.PublishQueueSize = defaultPublishQueueSize
	}
	return c
}

// streamOf returns the stream of namespace nsp, as Node's
// computeStreamName: with several streams, the Java-style 32-bit hash of
// the name's UTF-16 code units, modulo the count, with JavaScript's sign.
func (o *StreamsOptions) streamOf(nsp string) string {
	if o.StreamCount <= 1 {
		return o.StreamName
	}
	var h int32
	for _, u := range utf16.Encode([]rune(nsp)) {
		h = h*31 + int32(u)
	}
	return o.StreamName + "-" + strconv.Itoa(int(h%int32(o.StreamCount)))
}
