// Package admin is the server side of the Socket.IO admin UI
// (@socket.io/admin-ui 0.5, https://admin.socket.io): what Node's
// instrument() does, for a socket.Server.
//
// Instrument adds the admin namespace ("/admin" by default) to the server.
// The UI, itself a socket.io-client, connects to it and gets the server's
// stats every two seconds, the list of sockets with their handshake, rooms
// and data, and the connections, disconnections, joins, leaves and events
// as they happen; unless the instrumentation is read-only, it can make
// sockets join or leave rooms, disconnect them, and emit to them.
//
// With a cluster adapter (adapter/redis), the UI sees and acts on the whole
// cluster: every server broadcasts its stats and events to the admin
// namespace through the adapter, the socket list is fetched from every
// server, and the actions are broadcast operations.
//
// The UI connects with credentials (withCredentials): the server's CORS
// options must allow the UI's origin with credentials, or serve the UI
// from the same origin.
package admin

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/envivo/socketio/socket"
	"golang.org/x/crypto/bcrypt"
)

// Options configure Instrument. Either Auth or NoAuth must be set: there is
// no silent default to an unprotected admin namespace.
type Options struct {
	// Auth, when set, requires the UI to log in with this user name and
	// password (basic authentication, as Node's auth {type: "basic"}).
	Auth *BasicAuth
	// NoAuth set to true lets anyone who reaches the server use the admin
	// namespace (Node's auth: false). Use it only when the namespace is
	// protected otherwise, such as by a middleware on it or by a private
	// network.
	NoAuth bool
	// NamespaceName is the admin namespace. Defaults to "/admin".
	NamespaceName string
	// ReadOnly set to true refuses the UI's actions (join, leave,
	// disconnect, emit): the UI hides their buttons.
	ReadOnly bool
	// ServerID names this server in the UI. Defaults to the host name.
	// Give each server of a cluster its own.
	ServerID string
	// Production set to true sends only the periodic stats (Node's mode
	// "production"): no socket list, no per-socket events, which cost a
	// broadcast to the admin namespace each. Defaults to false, Node's
	// "development".
	Production bool
	// StatsInterval is how often the stats are sent. Defaults to 2s, what
	// the UI expects.
	StatsInterval time.Duration
}

// BasicAuth is the user name and bcrypt-hashed password the UI must send.
type BasicAuth struct {
	Username string
	// PasswordHash is a bcrypt hash of the password, as made by
	// bcrypt.GenerateFromPassword or `htpasswd -bnBC 10 "" password`.
	PasswordHash string
}

// ErrNoAuth is returned by Instrument when Options sets neither Auth nor
// NoAuth, or both.
var ErrNoAuth = errors.New("admin: set exactly one of Options.Auth and Options.NoAuth")

// Feature names, as the UI knows them.
const (
	featEmit        = "EMIT"
	featJoin        = "JOIN"
	featLeave       = "LEAVE"
	featDisconnect  = "DISCONNECT"
	featMJoin       = "MJOIN"
	featMLeave      = "MLEAVE"
	featMDisconnect = "MDISCONNECT"
	featAggregated  = "AGGREGATED_EVENTS"
	featAllEvents   = "ALL_EVENTS"
)

// Admin is an instrumented server. Its methods are safe for concurrent use.
type Admin struct {
	srv      *socket.Server
	nsp      *socket.Namespace
	opts     Options
	features []string
	sessions sessions
	stats    *stats

	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

// Instrument adds the admin namespace to srv and starts sending stats. It
// returns ErrNoAuth when the authentication is not chosen, and an error
// when Auth.PasswordHash is not a bcrypt hash. Call it once per server,
// before clients connect, so that it sees every socket; call Close to stop
// it.
func Instrument(srv *socket.Server, opts Options) (*Admin, error) {
	if (opts.Auth == nil) == !opts.NoAuth {
		return nil, ErrNoAuth
	}
	if opts.Auth != nil {
		if _, err := bcrypt.Cost([]byte(opts.Auth.PasswordHash)); err != nil {
			return nil, fmt.Errorf("admin: Auth.PasswordHash is not a bcrypt hash: %w", err)
		}
	}
	if opts.NamespaceName == "" {
		opts.NamespaceName = "/admin"
	}
	if opts.ServerID == "" {
		opts.ServerID, _ = os.Hostname()
	}
	if opts.StatsInterval <= 0 {
		opts.StatsInterval = 2 * time.Second
	}
	a := &Admin{
		srv:  srv,
		opts: opts,
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	a.features = features(opts)
	a.stats = newStats(a)
	a.nsp = srv.Of(opts.NamespaceName)
	if opts.Auth != nil {
		a.nsp.Use(a.authenticate)
	}
	a.nsp.OnConnection(a.onAdminConnection)
	srv.OnNewNamespace(a.watch)
	for _, nsp := range srv.Namespaces() {
		a.watch(nsp)
	}
	go a.stats.loop()
	return a, nil
}

// features returns what the UI may show and do.
func features(opts Options) []string {
	var fs []string
	if !opts.ReadOnly {
		fs = append(fs, featEmit, featJoin, featLeave, featDisconnect, featMJoin, featMLeave, featMDisconnect)
	}
	fs = append(fs, featAggregated)
	if !opts.Production {
		fs = append(fs, featAllEvents)
	}
	return fs
}

// Namespace returns the admin namespace.
func (a *Admin) Namespace() *socket.Namespace { return a.nsp }

// Close stops sending stats and waits for the sender to return; call it
// when the server shuts down. The admin namespace stays, with its sockets
// and its handlers: socket events are still reported to the UIs still
// connected. Close may be called more than once.
func (a *Admin) Close() {
	a.stopOnce.Do(func() { close(a.stop) })
	<-a.done
}
