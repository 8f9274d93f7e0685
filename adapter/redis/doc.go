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
// Both adapters are adapter.Cluster over a Transport of this package: the
// requests, answers, timeouts and local delivery are the cluster core's;
// this package encodes the messages in Node's formats and carries them
// through Redis.
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
// Redis. Broadcasts (Emit) then queue their message and return: they never
// wait for Redis, as Node's adapter publishes without waiting (see
// Options.PublishQueueSize for the queue and what it drops). The calls
// that take a context wait for their message to be sent, and for the
// other nodes' answers, until the context ends, even while Redis hangs.
// While Redis is known to be unavailable (a command has failed), local
// delivery goes on, the operations return an error wrapping
// ErrUnavailable at once rather than each wait for go-redis's timeouts,
// and a log line says so once; the subscriptions are restored by
// themselves when Redis answers again, and a subscription connection that
// goes silent is replaced. A request that other nodes do not all answer
// within the request timeout fails with an error wrapping ErrTimeout.
//
// Messages from the bus that cannot be decoded (truncated or hostile
// MessagePack, wrong types, unknown request types) are dropped and logged
// at warning level.
//
// # Connections and goroutines
//
// The adapters of one factory (one New or NewSharded value) share their
// connections: one subscription connection (on a Redis Cluster with
// sharded Pub/Sub, one per master node serving a subscribed channel), with
// one set of subscriptions per namespace, and go-redis's pool for the
// commands. Creating a namespace or joining a room adds subscriptions
// without waiting for Redis. A factory runs one goroutine per subscription
// connection, which reads the messages of every namespace in order and
// runs their handling, the handlers of Namespace.OnServerEvent included:
// those must not block. It runs one more goroutine that applies
// subscription changes, and one that publishes. Closing an adapter
// (Namespace removal, Server.Shutdown) drops its subscriptions; closing
// the factory's last adapter sends the messages still queued, closes the
// connections and returns once every goroutine has: at once normally,
// and while Redis hangs once go-redis gives up on the commands in flight.
// The adapters are safe for concurrent use.
//
// # Long-polling without sticky sessions
//
// A Router, set as EngineOptions.Router on every server, keeps a directory
// of the servers in Redis and forwards each polling request (and WebSocket
// upgrade) that reaches the wrong server to the one that holds its
// session, so that the load balancer in front needs no sticky sessions.
// See Router for how, and for what it costs.
package redisadapter
