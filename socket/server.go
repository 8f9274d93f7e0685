// Package socket is a Socket.IO v5 server: the official socket.io-client, in
// browsers, React Native or Node, connects to it unchanged over WebSocket or
// HTTP long-polling.
//
// A Server is an http.Handler; mount it on your own mux:
//
//	io := socket.NewServer(&socket.Options{
//		EngineOptions: socket.EngineOptions{
//			CORS: socket.CORS{Origins: []string{"http://localhost:5173"}, Credentials: true},
//		},
//	})
//	io.OnConnection(func(s *socket.Socket) {
//		socket.On(s, "chat:join", func(s *socket.Socket, p JoinRoom) error {
//			s.Join(p.RoomID)
//			return nil
//		})
//	})
//	mux.Handle("/socket.io/", io)
//
// Clients join namespaces ("/", "/chat"), each with its own middleware;
// sockets join rooms; broadcasts select sockets by room through a
// BroadcastOperator. An Adapter keeps the rooms: in memory by default, in
// Redis with adapter/redis to share them between servers.
package socket

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/workers"
)

// Server is a Socket.IO server. It is an http.Handler that answers under
// Options.Path and never owns a listener. Its methods are safe for
// concurrent use. The main namespace "/" always exists; Use, OnConnection,
// To, Emit and the other namespace methods on Server act on it.
type Server struct {
	opts       Options
	logger     *slog.Logger
	engine     *engine.Server
	client     *clientFiles  // nil without Options.ClientFiles
	running    workers.Count // sockets' queue drains
	connecting connectQueue  // connections yet to join a namespace
	workers    *workers.Pool // run the sockets' queues
	stats      serverStats   // counters read by Stats; see stats.go

	kidsMu sync.Mutex // admissions to and removals of dynamic children; see dynamic.go

	mu      sync.RWMutex
	nsps    map[string]*Namespace // static namespaces and live children
	parents []*Namespace
	main    *Namespace

	newNamespaceHooks []func(*Namespace) // see OnNewNamespace; guarded by mu
}

// NewServer returns a server configured by opts, which may be nil for the
// defaults. It panics when opts.Parser names no parser.
func NewServer(opts *Options) *Server {
	if opts != nil {
		if err := opts.Parser.check(); err != nil {
			panic(err)
		}
	}
	srv := &Server{opts: opts.withDefaults(), nsps: make(map[string]*Namespace), workers: workers.New()}
	srv.logger = srv.opts.Logger
	srv.client = newClientFiles(srv.opts.ClientFiles)
	srv.engine = engine.NewServer(&srv.opts.EngineOptions, func(c *engine.Conn) engine.Handler {
		return newClient(srv, c)
	})
	srv.engine.SetObserver(srv.engineObserver())
	srv.main = srv.Of("/")
	return srv
}

// Logger returns the logger of Options.Logger (one that discards
// everything by default), for adapters and middleware to log alongside the
// server.
func (srv *Server) Logger() *slog.Logger { return srv.logger }

// debugging reports whether the logger takes debug records. Call sites on
// every connection's path check it first: the arguments of a Debug call
// are boxed, which allocates, even when the record is then dropped.
func (srv *Server) debugging() bool {
	return srv.logger.Enabled(context.Background(), slog.LevelDebug)
}

// ServeHTTP answers Engine.IO requests under Options.Path, the client
// bundle's files there when Options.ClientFiles is set, and 404 elsewhere.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, srv.opts.Path)
	if !ok && r.URL.Path+"/" != srv.opts.Path {
		http.NotFound(w, r)
		return
	}
	if f := srv.client.lookup(rest); f != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		srv.engine.SetCORSHeaders(w.Header(), r)
		f.serve(w, r)
		return
	}
	srv.engine.ServeHTTP(w, r)
}

// Of returns the namespace called name, creating it on first use (and
// running the OnNewNamespace hooks). A name
// without a leading slash gets one. For the name of a live child of a
// dynamic namespace it returns that child, which is removed when its last
// socket leaves (see OfFunc). Clients cannot join a namespace whose name is
// longer than Options.MaxNamespaceLength.
func (srv *Server) Of(name string) *Namespace {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	srv.mu.Lock()
	nsp := srv.nsps[name]
	made := nsp == nil
	if made {
		nsp = newNamespace(srv, name)
		srv.nsps[name] = nsp
	}
	srv.mu.Unlock()
	if made {
		srv.announce(nsp)
	}
	return nsp
}

// Namespaces returns the namespaces that exist now: those Of made and the
// live children of dynamic namespaces, not their parents.
func (srv *Server) Namespaces() []*Namespace {
	srv.mu.RLock()
	defer srv.mu.RUnlock()
	out := make([]*Namespace, 0, len(srv.nsps))
	for _, nsp := range srv.nsps {
		out = append(out, nsp)
	}
	return out
}

// Use appends middleware to the main namespace; see Namespace.Use.
func (srv *Server) Use(m ...Middleware) { srv.main.Use(m...) }

// OnConnection registers h for the main namespace; see
// Namespace.OnConnection.
func (srv *Server) OnConnection(h func(s *Socket)) { srv.main.OnConnection(h) }

// To returns a broadcast to the sockets of the main namespace in rooms.
func (srv *Server) To(rooms ...string) BroadcastOperator { return srv.main.To(rooms...) }

// In is the same as To.
func (srv *Server) In(rooms ...string) BroadcastOperator { return srv.main.To(rooms...) }

// Except returns a broadcast to the main namespace but the sockets in rooms.
func (srv *Server) Except(rooms ...string) BroadcastOperator { return srv.main.Except(rooms...) }

// Volatile returns a broadcast to the main namespace whose events may be
// dropped; see BroadcastOperator.Volatile.
func (srv *Server) Volatile() BroadcastOperator { return srv.main.Volatile() }

// Emit sends an event to every socket of the main namespace.
func (srv *Server) Emit(event string, args ...any) error { return srv.main.Emit(event, args...) }

// FetchSockets returns a snapshot of every socket of the main namespace.
func (srv *Server) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	return srv.main.FetchSockets(ctx)
}

// ServerSideEmit sends an event to the other nodes of the cluster on the
// main namespace; see Namespace.ServerSideEmit.
func (srv *Server) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	return srv.main.ServerSideEmit(ctx, event, args...)
}

// ServerSideEmitWithAck sends an event to the other nodes and waits for
// their answers; see Namespace.ServerSideEmitWithAck.
func (srv *Server) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return srv.main.ServerSideEmitWithAck(ctx, event, args...)
}

// OnServerEvent registers h for events other nodes emit on the main
// namespace; see Namespace.OnServerEvent.
func (srv *Server) OnServerEvent(event string, h ServerEventHandler) {
	srv.main.OnServerEvent(event, h)
}

// Shutdown disconnects every client with reason "server shutting down",
// refuses new ones, and waits until the handlers that were running have
// returned or ctx ends. net/http's own Shutdown does not close hijacked
// WebSocket connections: call this one first.
func (srv *Server) Shutdown(ctx context.Context) error {
	// The adapters are closed however Shutdown ends: a Redis adapter left
	// open keeps its subscriptions and goroutines.
	defer srv.closeAdapters()
	err := srv.engine.Shutdown(ctx)
	srv.connecting.stop()
	select {
	case <-srv.running.Idle():
	case <-ctx.Done():
		srv.workers.Stop(false)
		return ctx.Err()
	}
	srv.workers.Stop(true)
	return err
}
