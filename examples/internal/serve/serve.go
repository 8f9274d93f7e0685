// Package serve runs the example programs: flags shared by all of them, a
// logger, the socket.io adapter, and an HTTP server that shuts down cleanly
// on Ctrl-C.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/envivo/socketio/adapter/redis"
	"github.com/envivo/socketio/socket"
)

// Flags are the command-line flags every example takes.
type Flags struct {
	Host    string
	Port    int
	Verbose bool
	Redis   string // Redis URL; empty keeps rooms in memory
}

// Register adds -host, -port, -v and -redis to fs. The default port is the
// PORT environment variable when set, else defaultPort; the default Redis
// URL is REDIS_URL, else none. The usage text names each variable and
// leaves the default itself to the flag package, which prints the one in
// effect once.
func (f *Flags) Register(fs *flag.FlagSet, defaultPort int) {
	if p, err := strconv.Atoi(os.Getenv("PORT")); err == nil && p > 0 {
		defaultPort = p
	}
	fs.StringVar(&f.Host, "host", "localhost", "interface to listen on (\"\" or 0.0.0.0 for all)")
	fs.IntVar(&f.Port, "port", defaultPort, "port to listen on; $PORT, when set, is the default")
	fs.BoolVar(&f.Verbose, "v", false, "log debug messages, the library's included")
	fs.StringVar(&f.Redis, "redis", os.Getenv("REDIS_URL"),
		"Redis `URL` (redis://host:port) to share rooms and broadcasts with other instances; "+
			"$REDIS_URL, when set, is the default; without one, rooms stay in this process")
}

// Addr returns the address to listen on.
func (f *Flags) Addr() string { return net.JoinHostPort(f.Host, strconv.Itoa(f.Port)) }

// Logger returns a text logger on stderr, at debug level when verbose.
func Logger(verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// RedisClient returns a client of the -redis URL, which the caller closes,
// or nil without -redis.
func (f *Flags) RedisClient() (*redis.Client, error) {
	if f.Redis == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(f.Redis)
	if err != nil {
		return nil, fmt.Errorf("-redis: %w", err)
	}
	return redis.NewClient(opts), nil
}

// Adapter returns what goes into socket.Options.Adapter: with a client, the
// Redis adapter, so that several instances share rooms and broadcasts
// (clients on long-polling then need sticky sessions, or a
// redisadapter.Router: see README); with nil, nil, the default, which
// keeps rooms in this process.
func Adapter(client *redis.Client) func(nsp *socket.Namespace) socket.Adapter {
	if client == nil {
		return nil
	}
	return redisadapter.New(client, nil)
}

// Run serves h on addr until ctx ends or the process gets SIGINT or
// SIGTERM, then shuts io down (which disconnects its clients: net/http
// does not close WebSocket connections) and the HTTP server, allowing them
// a few seconds. ready, when not nil, is called with the listener's address
// once it listens.
func Run(ctx context.Context, logger *slog.Logger, addr string, h http.Handler, io *socket.Server, ready func(addr net.Addr)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second, // slowloris
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // safe with long-polling: see README's Hardening
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	if ready != nil {
		ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = errors.Join(io.Shutdown(shutdown), srv.Shutdown(shutdown))
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// URL returns the http URL of a listener's address, with "localhost" for
// the loopback and unspecified addresses, for a log line people click.
func URL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsLoopback() || ip.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, port))
}
