package redisadapter_test

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/envivo/socketio/adapter/redis"
	"github.com/envivo/socketio/socket"
)

// A server that shares its rooms and broadcasts with the other servers,
// Go or Node, on the Redis that REDIS_URL names.
func ExampleNew() {
	opt, err := redis.ParseURL(os.Getenv("REDIS_URL")) // such as redis://127.0.0.1:6379
	if err != nil {
		log.Fatal(err)
	}
	io := socket.NewServer(&socket.Options{Adapter: redisadapter.New(redis.NewClient(opt), nil)})
	io.OnConnection(func(s *socket.Socket) {
		s.Join("lobby")
	})
	http.Handle("/socket.io/", io)
	// Reaches the sockets in "lobby" on every server.
	_ = io.To("lobby").Emit("news", "hello")
}

// The sharded adapter, for Redis 7 sharded Pub/Sub on a Redis Cluster.
func ExampleNewSharded() {
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:7000"}})
	io := socket.NewServer(&socket.Options{
		Adapter: redisadapter.NewSharded(client, &redisadapter.ShardedOptions{
			SubscriptionMode: redisadapter.Dynamic,
		}),
	})
	http.Handle("/socket.io/", io)
}

// A worker with no Socket.IO server of its own notifies the users of a
// room, on whichever server they are connected.
func ExampleEmitter() {
	opt, err := redis.ParseURL(os.Getenv("REDIS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	emitter := redisadapter.NewEmitter(redis.NewClient(opt), nil)
	ctx := context.Background()
	if err := emitter.To("room-1").Emit(ctx, "job:done", map[string]any{"id": 42}); err != nil {
		log.Print(err)
	}
	_ = emitter.Of("/admin").In("ops").SocketsJoin(ctx, "alerts")
}
