// Package redisadapter lets several envivo servers, and Node socket.io
// servers, serve the same users: it shares rooms, broadcasts and the other
// cluster operations through Redis, byte-compatible with Node's
// @socket.io/redis-adapter 8 and @socket.io/redis-emitter. Its directory
// is adapter/redis; the package is named redisadapter so that it does not
// clash with go-redis, whose client it takes:
//
//	opt, err := redis.ParseURL(os.Getenv("REDIS_URL")) // github.com/redis/go-redis/v9
//	...
//	io := socket.NewServer(&socket.Options{
//		Adapter: redisadapter.New(redis.NewClient(opt), nil),
//	})
//
// New speaks the classic format (PUBLISH and PSUBSCRIBE, Node's
// createAdapter); NewSharded the sharded one (Redis 7 SPUBLISH and
// SSUBSCRIBE, Node's createShardedAdapter). Every node of a cluster must
// use the same one, with the same key prefix. An Emitter publishes events
// and commands from a process with no Socket.IO server.
//
// # Behaviour
//
// Every operation of socket.Adapter reaches every node: broadcasts (with
// rooms, except, volatile and compress; Local stays on this node), with
// acknowledgements, fetching sockets, joining, leaving, disconnecting,
// server-side emits with and without acknowledgements, all rooms and the
// server count. Everything that waits for Redis or other nodes takes a
// context.
//
// The local part of an operation happens first and does not depend on
// Redis. While Redis is unavailable, local delivery goes on, the operation
// returns an error (wrapping ErrUnavailable once a first command has
// failed, so that callers do not each wait for go-redis's retries), and a
// log line says so once; the subscriptions are restored by themselves when
// Redis answers again, and a subscription connection that goes silent is
// replaced. A request that other nodes do not all answer within the
// request timeout fails with an error wrapping ErrTimeout.
//
// Messages from the bus that cannot be decoded (truncated or hostile
// MessagePack, wrong types, unknown request types) are dropped and logged
// at warning level.
package redisadapter
