// Command bench answers the bench protocol of the shared benchmark tooling
// on envivo, so that its numbers compare with Node socket.io's on the same
// load. On the main namespace:
//
//	echo(...args, ack)  calls ack(...args)
//	join(room, ack)     joins room, then calls ack()
//	bcast(room, data)   emits "msg" with data to everyone in room, sender included
//
// It listens on 127.0.0.1:$PORT (default 3000) with CORS open to every
// origin and the defaults everywhere else. With REDIS_URL set (such as
// redis://127.0.0.1:6379), it shares rooms through Redis, as the Node peer
// does, so that a broadcast can cross instances: with the adapter that
// REDIS_ADAPTER names, as the Node peer reads it: classic (the default,
// redisadapter.New), sharded (NewSharded) or streams (NewStreams).
//
// RECOVERY turns connection state recovery on with that
// MaxDisconnectionDuration, written as the Node peer reads it: digits with
// an optional unit ms, s or m (none means ms), such as 2m, 30s or 1500ms.
//
// PARSER=msgpack speaks socket.io-msgpack-parser (socket.MsgpackParser)
// instead of the default JSON parser, as the clients must then.
//
// EIO3=1 also accepts socket.io-client 2.x (Options.AllowEIO3, Node's
// allowEIO3).
//
// ADMIN_UI=1 turns the admin UI's server side on (package admin), without
// authentication, and answers CORS with the request's origin and
// Access-Control-Allow-Credentials: true, since the UI connects with
// credentials, as the Node peer does with instrument().
//
// STICKY_FREE=1 (with REDIS_URL) adds a redisadapter.Router, so that a
// round-robin load balancer needs no sticky sessions: a polling request
// for a session of another instance is forwarded there. The other
// instances reach this one at ROUTER_ADDRESS (default
// http://127.0.0.1:$PORT). sticky-free.sh measures it behind nginx.
//
// COMPRESSION=1 offers WebSocket permessage-deflate with a threshold of 1024
// bytes, as the Node peer's perMessageDeflate: {threshold: 1024} (polling
// answers are compressed from 1024 bytes either way, as in Node).
//
// DEBUG=1 serves the runtime's profiles and figures under /debug/ (see
// withDebug), for the connection curve of examples/bench/curve.
//
// METRICS=1 serves Prometheus metrics (package metrics) at /metrics on the
// same port, to compare the cost of counting: the counters run either way,
// METRICS=1 adds the scrape endpoint.
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	redisadapter "github.com/envivo/socketio/adapter/redis"
	"github.com/envivo/socketio/admin"
	"github.com/envivo/socketio/metrics"
	"github.com/envivo/socketio/socket"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	opts := &socket.Options{EngineOptions: socket.EngineOptions{CORS: socket.CORS{Origins: []string{"*"}}}}
	if os.Getenv("COMPRESSION") == "1" {
		opts.PerMessageDeflate = true
		opts.PerMessageDeflateThreshold = 1024
	}
	setupRedis(opts, port)
	if env := os.Getenv("RECOVERY"); env != "" {
		d, err := nodeDuration(env)
		if err != nil {
			log.Fatalf("RECOVERY: %v", err)
		}
		opts.ConnectionStateRecovery = &socket.ConnectionStateRecovery{MaxDisconnectionDuration: d}
	}
	switch p := os.Getenv("PARSER"); p {
	case "", "json":
	case "msgpack":
		opts.Parser = socket.MsgpackParser
	default:
		log.Fatalf("PARSER: %q is neither json nor msgpack", p)
	}
	if os.Getenv("EIO3") == "1" {
		opts.AllowEIO3 = true
	}
	adminUI := os.Getenv("ADMIN_UI") == "1"
	if adminUI {
		opts.CORS.Credentials = true // with "*": the request's origin is echoed
	}
	io := socket.NewServer(opts)
	if adminUI {
		ui, err := admin.Instrument(io, admin.Options{NoAuth: true})
		if err != nil {
			log.Fatal(err)
		}
		defer ui.Close()
	}
	io.OnConnection(func(s *socket.Socket) {
		s.OnEvent("echo", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
			if ack != nil {
				_ = ack(args.Values()...)
			}
		})
		s.OnEvent("join", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
			s.Join(args.String(0))
			if ack != nil {
				_ = ack()
			}
		})
		s.OnEvent("bcast", func(s *socket.Socket, args socket.Args, _ socket.AckFunc) {
			_ = io.To(args.String(0)).Emit("msg", args.Value(1))
		})
	})
	log.Printf("envivo bench listening on 127.0.0.1:%s", port)
	h := handler(io, os.Getenv("METRICS") == "1")
	if os.Getenv("DEBUG") == "1" {
		h = withDebug(io, h)
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, h))
}

// handler serves io, and with withMetrics its Prometheus metrics at
// /metrics.
func handler(io *socket.Server, withMetrics bool) http.Handler {
	if !withMetrics {
		return io
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(io, nil))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", io)
	return mux
}

// setupRedis reads REDIS_URL, REDIS_ADAPTER and STICKY_FREE into opts.
func setupRedis(opts *socket.Options, port string) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		if os.Getenv("STICKY_FREE") == "1" {
			log.Fatal("STICKY_FREE=1 needs REDIS_URL")
		}
		return
	}
	ro, err := redis.ParseURL(url)
	if err != nil {
		log.Fatalf("REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(ro)
	opts.Adapter, err = redisAdapter(os.Getenv("REDIS_ADAPTER"), rdb)
	if err != nil {
		log.Fatalf("REDIS_ADAPTER: %v", err)
	}
	if os.Getenv("STICKY_FREE") == "1" {
		opts.Router = newRouter(rdb, port)
	}
}

// redisAdapter returns the adapter factory kind names, as the Node bench
// server reads REDIS_ADAPTER.
func redisAdapter(kind string, client *redis.Client) (func(*socket.Namespace) socket.Adapter, error) {
	switch kind {
	case "", "classic":
		return redisadapter.New(client, nil), nil
	case "sharded":
		return redisadapter.NewSharded(client, nil), nil
	case "streams":
		return redisadapter.NewStreams(client, nil), nil
	}
	return nil, fmt.Errorf("want classic, sharded or streams, got %q", kind)
}

// newRouter enters this instance in the directory of rdb, at
// $ROUTER_ADDRESS or http://127.0.0.1:port.
func newRouter(rdb redis.UniversalClient, port string) *redisadapter.Router {
	addr := os.Getenv("ROUTER_ADDRESS")
	if addr == "" {
		addr = "http://127.0.0.1:" + port
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rt, err := redisadapter.NewRouter(ctx, rdb, &redisadapter.RouterOptions{Address: addr})
	if err != nil {
		log.Fatalf("STICKY_FREE: %v", err)
	}
	return rt
}

var durationRE = regexp.MustCompile(`^(\d+)(ms|s|m)?$`)

// nodeDuration parses a duration as the Node bench server of the
// comparison does: "2m", "30s", "1500ms", or bare milliseconds.
func nodeDuration(s string) (time.Duration, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("want a duration like 2m, 30s or 1500ms, got %q", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, err
	}
	unit := map[string]time.Duration{"": time.Millisecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[m[2]]
	return time.Duration(n) * unit, nil
}
