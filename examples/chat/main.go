// Command chat is the tutorial's chat, on envivo: rooms kept in SQLite,
// members who log in with a name, messages, typing indicators, join and
// leave notices, and notifications, in a browser page.
//
//	go run ./examples/chat            # then open http://localhost:3000/
//
// It serves on one port: the page at /, the JSON API under /api/ (see
// api.go), Prometheus metrics at /metrics (metrics.go), and socket.io
// under /socket.io/, with the chat on the main
// namespace (events in events.go) and notifications on /notifications
// (package notify).
//
// Flags:
//
//	-port 3000        port, also from $PORT
//	-host localhost   interface ("" for all)
//	-db chat.db       SQLite database file, created if needed; :memory: for none
//	-redis URL        Redis adapter (redis://host:port), also from $REDIS_URL:
//	                  rooms and broadcasts shared with the other instances
//	-client DIR       socket.io-client's dist directory (default: the npm package in
//	                  testdata/node, installed by `cd testdata/node && npm ci`; without
//	                  it the page loads socket.io-client from the jsDelivr CDN)
//	-v                debug logs
//
// Tokens are signed with $JWT_SECRET, or a public development secret with
// a warning. Without -redis, rooms live in this process's memory (the
// in-memory adapter): run one instance. With -redis, run as many as you
// like, each on its own port, on one machine: they must share the SQLite
// file (the same -db) and the token secret (the same $JWT_SECRET), and a
// load balancer in front of them needs sticky sessions for long-polling.
//
//	go run ./examples/chat -port 3000 -redis redis://localhost:6379 &
//	go run ./examples/chat -port 3001 -redis redis://localhost:6379
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/examples/internal/serve"
	"github.com/envivo/socketio/examples/internal/webclient"
)

func main() {
	var flags serve.Flags
	flags.Register(flag.CommandLine, 3000)
	db := flag.String("db", "chat.db", "SQLite database `file`, created if needed, or :memory:")
	clientDir := flag.String("client", "", "socket.io-client dist `directory` (default: testdata/node/node_modules/socket.io-client/dist, else the CDN)")
	flag.Parse()

	logger := serve.Logger(flags.Verbose)
	if err := run(logger, flags, *db, *clientDir); err != nil {
		logger.Error("chat: " + err.Error())
		os.Exit(1)
	}
}

func run(logger *slog.Logger, flags serve.Flags, db, clientDir string) error {
	client, err := webclient.Locate(clientDir)
	if err != nil {
		if clientDir != "" {
			return err
		}
		logger.Warn("the page will load socket.io-client from the CDN", "why", err)
	}
	redisClient, err := flags.RedisClient()
	if err != nil {
		return err
	}
	if redisClient != nil {
		defer redisClient.Close()
	}
	ctx := context.Background()
	app, err := NewApp(ctx, Config{
		DB:      db,
		Secret:  identity.Secret(logger),
		Client:  client,
		Adapter: serve.Adapter(redisClient),
		Logger:  logger,
	})
	if err != nil {
		return err
	}
	defer app.Close()
	return serve.Run(ctx, logger, flags.Addr(), app, app.IO(), func(addr net.Addr) {
		logger.Info(fmt.Sprintf("chat: open %s in your browser", serve.URL(addr)),
			"db", db, "socket.io-client", client.Source(), "redis", flags.Redis)
	})
}
