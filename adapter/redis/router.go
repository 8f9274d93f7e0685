package redisadapter

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/socket"
)

// ForwardedHeader marks a request that a Router forwarded to the server
// that holds its session; its value is the forwarding node's id. A Router
// never forwards a request that carries it, so that a request makes at
// most one hop: a client that sends it itself only keeps its own request
// from being forwarded.
const ForwardedHeader = "X-Envivo-Forwarded"

// Defaults of RouterOptions.
const (
	DefaultRouterKey = "envivo:node:"
	DefaultRouterTTL = 15 * time.Second
)

// maxNodeIDLen bounds RouterOptions.NodeID.
const maxNodeIDLen = 16

// forwardWriteTimeout bounds the answer to a forwarded polling request,
// from the time it is forwarded: longer than a long-poll with the default
// PingInterval and PingTimeout (45 s).
const forwardWriteTimeout = 2 * time.Minute

// RouterOptions configure a Router. The zero value is not valid: Address
// is required.
type RouterOptions struct {
	// Address is the base URL at which the other servers of the cluster
	// reach this one's HTTP server, such as "http://10.0.0.5:3000": scheme
	// http or https, a host, and optionally a path prefix, nothing else. A
	// request is forwarded to Address followed by its own path and query.
	// Required.
	Address string
	// NodeID names this server in the directory and in its session ids:
	// 1 to 16 characters of A-Z, a-z and 0-9, unique in the cluster.
	// Default: 8 random characters, new at every start (so the sessions of
	// a previous run are never routed here).
	NodeID string
	// Key is the prefix of the directory's Redis keys: a node's entry is
	// Key+NodeID, holding its Address. Every node of a cluster must use
	// the same Key.
	// Default: "envivo:node:".
	Key string
	// TTL is how long the directory keeps the entry of a node that stopped
	// refreshing it, one that crashed or lost Redis; a node refreshes its
	// entry every TTL/3, and other nodes trust what they read for TTL/3.
	// Default: 15s.
	TTL time.Duration
	// Transport makes the forwarded requests.
	// Default: an http.Transport without proxy and without transparent
	// compression (the owner compresses when the client asked), keeping
	// up to 256 idle connections per node.
	Transport http.RoundTripper
	// Logger receives failures to refresh the entry (warning) and to
	// forward a request (debug).
	// Default: none (a logger that discards everything).
	Logger *slog.Logger
}

// Router is a socket.SessionRouter that lets the servers of a cluster
// serve each other's polling sessions through a directory in Redis, so
// that a load balancer in front of them needs no sticky sessions. Set it
// as EngineOptions.Router on every server, each with its own Address:
//
//	router, err := redisadapter.NewRouter(ctx, rdb, &redisadapter.RouterOptions{Address: "http://10.0.0.5:3000"})
//	...
//	io := socket.NewServer(&socket.Options{
//		Adapter:       redisadapter.New(rdb, nil),
//		EngineOptions: socket.EngineOptions{Router: router},
//	})
//
// A session lives on the server that answered its handshake; its id is
// that node's id, "-", and 20 random characters. A request for it that
// reaches another server is forwarded there with httputil.ReverseProxy,
// once (see ForwardedHeader): polling GETs and POSTs, and a WebSocket
// upgrade, which that server then carries for the WebSocket's lifetime.
// Requests are only ever forwarded to an address read from the directory,
// never to one a client names. Handshakes are never forwarded, so
// Handshake.Address is the address of the peer that sent the handshake, as
// without a Router; forwarded requests carry no X-Forwarded-For.
//
// Each node refreshes its entry (Key+NodeID) every TTL/3; an entry that is
// not refreshed expires after TTL, and the sessions of that node then get
// HTTP 400 "Session ID unknown" wherever their requests land: the client
// reconnects. A forwarded request that cannot reach its node gets HTTP 502.
//
// A forwarded request's answer may take up to 2 minutes, whatever the
// http.Server's WriteTimeout (a long-poll waits for its owner's answer).
// A Router's methods are safe for concurrent use. Close it after the
// Server's Shutdown and the http.Server's.
type Router struct {
	rdb       redis.UniversalClient
	nodeID    string
	address   string
	key       string
	ttl       time.Duration
	transport http.RoundTripper
	ownsTr    bool // transport is ours: Close closes its idle connections
	logger    *slog.Logger
	forwarded atomic.Int64
	upgrades  atomic.Int64
	failures  atomic.Int64

	mu      sync.Mutex
	nodes   map[string]*routeEntry // what was read from the directory
	closing bool
	active  sync.WaitGroup                   // forwarded requests being served
	cancels map[*context.CancelFunc]struct{} // of the forwarded requests, for Close
	stop    chan struct{}
	stopped chan struct{}
}

var _ socket.SessionRouter = (*Router)(nil)

// routeEntry is a node of the directory, as read at fetched.
type routeEntry struct {
	proxy   *httputil.ReverseProxy
	address string
	fetched time.Time
}

// NewRouter returns a Router that enters this server in the directory
// held by rdb, and keeps its entry fresh until Close. It fails if opts are
// invalid (a nil opts is: Address is required) or if the first entry
// cannot be written within ctx.
func NewRouter(ctx context.Context, rdb redis.UniversalClient, opts *RouterOptions) (*Router, error) {
	rt, err := newRouter(rdb, opts)
	if err != nil {
		return nil, err
	}
	if err := rt.register(ctx); err != nil {
		rt.closeTransport()
		return nil, fmt.Errorf("redisadapter: router: registering node %s: %w", rt.nodeID, err)
	}
	go rt.heartbeat()
	return rt, nil
}

// newRouter validates opts and applies their defaults.
func newRouter(rdb redis.UniversalClient, opts *RouterOptions) (*Router, error) {
	if opts == nil {
		return nil, errors.New("redisadapter: router: RouterOptions.Address is required")
	}
	if _, err := parseNodeAddress(opts.Address); err != nil {
		return nil, fmt.Errorf("redisadapter: router: Address: %w", err)
	}
	rt := &Router{rdb: rdb, nodeID: opts.NodeID, address: opts.Address, key: opts.Key, ttl: opts.TTL,
		transport: opts.Transport, logger: opts.Logger, nodes: map[string]*routeEntry{},
		cancels: map[*context.CancelFunc]struct{}{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	if rt.nodeID == "" {
		rt.nodeID = randomNodeID()
	} else if !validNodeID(rt.nodeID) {
		return nil, fmt.Errorf("redisadapter: router: NodeID %q: want 1 to %d characters of A-Z, a-z, 0-9", rt.nodeID, maxNodeIDLen)
	}
	if rt.key == "" {
		rt.key = DefaultRouterKey
	}
	if rt.ttl <= 0 {
		rt.ttl = DefaultRouterTTL
	}
	if rt.transport == nil {
		rt.transport, rt.ownsTr = newRouterTransport(), true
	}
	if rt.logger == nil {
		rt.logger = slog.New(slog.DiscardHandler)
	}
	return rt, nil
}

// newRouterTransport is the default RouterOptions.Transport.
func newRouterTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
}

// NodeID returns this server's id in the directory and in its session ids.
func (rt *Router) NodeID() string { return rt.nodeID }

// NewID returns a new session id: the node id, "-", and 20 random
// characters (120 bits) of URL-safe base64. It implements
// socket.SessionRouter.
func (rt *Router) NewID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return rt.nodeID + "-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// Route returns a handler that forwards r to the node whose id starts sid,
// or nil when sid names no other node of the directory, names this one, or
// r was forwarded already. It implements socket.SessionRouter.
func (rt *Router) Route(r *http.Request, sid string) http.Handler {
	node, ok := nodeOf(sid)
	if !ok || node == rt.nodeID || r.Header.Get(ForwardedHeader) != "" {
		return nil
	}
	e := rt.lookup(r.Context(), node)
	if e == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rt.forward(w, r, e) })
}

// forward serves r through e's proxy, unless the Router is closing; Close
// cancels it.
func (rt *Router) forward(w http.ResponseWriter, r *http.Request, e *routeEntry) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	rt.mu.Lock()
	if rt.closing {
		rt.mu.Unlock()
		http.Error(w, "node stopping", http.StatusServiceUnavailable)
		return
	}
	rt.active.Add(1)
	rt.cancels[&cancel] = struct{}{}
	rt.mu.Unlock()
	rt.forwarded.Add(1)
	if r.Header.Get("Upgrade") != "" {
		rt.upgrades.Add(1)
	}
	defer func() {
		rt.mu.Lock()
		delete(rt.cancels, &cancel)
		rt.mu.Unlock()
		rt.active.Done()
	}()
	// The answer comes when the owner has it, as a long-poll's does, not
	// within the http.Server's WriteTimeout; an upgrade clears this.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(forwardWriteTimeout))
	e.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// nodeOf returns the node id that starts sid, as NewID made it.
func nodeOf(sid string) (string, bool) {
	node, _, ok := strings.Cut(sid, "-")
	return node, ok && validNodeID(node)
}

// RouterStats counts what a Router forwarded since it was made.
type RouterStats struct {
	// Forwarded counts the requests forwarded to another node: polling
	// GETs and POSTs, and WebSocket upgrades.
	Forwarded int64
	// Upgrades counts the WebSocket upgrades among them: the WebSockets
	// this node carried, or carries, for another.
	Upgrades int64
	// Failures counts the forwarded requests that got no answer from
	// their node (HTTP 502), cancelled ones included.
	Failures int64
}

// Stats returns the Router's counts.
func (rt *Router) Stats() RouterStats {
	return RouterStats{Forwarded: rt.forwarded.Load(), Upgrades: rt.upgrades.Load(), Failures: rt.failures.Load()}
}

// Close removes this node from the directory, stops refreshing its entry,
// cancels the requests it is forwarding (a WebSocket it carries ends
// there) and waits for them. Later requests that it would forward get 503.
func (rt *Router) Close() error {
	rt.mu.Lock()
	if rt.closing {
		rt.mu.Unlock()
		return nil
	}
	rt.closing = true
	for c := range rt.cancels {
		(*c)()
	}
	rt.mu.Unlock()
	close(rt.stop)
	<-rt.stopped
	rt.active.Wait()
	rt.closeTransport()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return rt.deregister(ctx)
}

func (rt *Router) closeTransport() {
	if t, ok := rt.transport.(*http.Transport); ok && rt.ownsTr {
		t.CloseIdleConnections()
	}
}

// randomNodeID returns 8 random characters of A-Z, a-z and 0-9.
func randomNodeID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	for i := range b {
		var r [1]byte
		for {
			_, _ = rand.Read(r[:])
			if int(r[0]) < 248 { // 4*62: no bias
				break
			}
		}
		b[i] = alphabet[int(r[0])%len(alphabet)]
	}
	return string(b)
}

// validNodeID reports whether id has the form RouterOptions.NodeID needs.
func validNodeID(id string) bool {
	if id == "" || len(id) > maxNodeIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// parseNodeAddress parses a node's Address as RouterOptions documents it.
func parseNodeAddress(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%q: want http(s)://host[:port][/prefix]", s)
	}
	return u, nil
}
