package main

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/envivo/socketio/auth"
	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/examples/internal/webclient"
	"github.com/envivo/socketio/examples/notifications/notify"
	"github.com/envivo/socketio/socket"
)

//go:embed static
var static embed.FS

// Config configures an App.
type Config struct {
	// DB is the SQLite database: a file path, or ":memory:".
	DB string
	// Secret signs and verifies access tokens.
	Secret []byte
	// Client is where the page loads socket.io-client from.
	Client webclient.Client
	// Adapter is socket.Options.Adapter: nil keeps rooms in memory.
	Adapter func(nsp *socket.Namespace) socket.Adapter
	// Logger receives the app's logs and the library's. Default: none.
	Logger *slog.Logger
}

// App is the chat: a socket.io server with the chat on its main namespace
// and notifications on /notifications, a JSON API and the browser page,
// all behind one http.Handler.
type App struct {
	io      *socket.Server
	store   *Store
	tokens  *identity.Tokens
	log     *slog.Logger
	page    *template.Template
	client  webclient.Client
	notes   *notify.Notifier
	handler http.Handler
}

// NewApp opens the database and assembles the app. Close it when done.
func NewApp(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	store, err := OpenStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	page, err := template.ParseFS(static, "static/index.html")
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &App{
		store:  store,
		tokens: identity.NewTokens(cfg.Secret, 0),
		log:    cfg.Logger,
		page:   page,
		client: cfg.Client,
	}
	a.io = socket.NewServer(&socket.Options{
		EngineOptions: socket.EngineOptions{Logger: cfg.Logger},
		ClientFiles:   cfg.Client.Files(),
		Adapter:       cfg.Adapter,
		OnError:       a.onError,
	})
	// The chat, on the main namespace: only authenticated users who exist.
	a.io.Use(auth.Middleware(a.tokens.Authenticator(), &auth.Options{Logger: cfg.Logger}), a.knownUser)
	a.io.OnConnection(a.onConnection)
	// Notifications, on their own namespace with their own middleware,
	// kept in the database so that a reload shows them again.
	a.notes = notify.Mount(a.io, a.tokens.Authenticator(), &notify.Options{
		Store:      store,
		Logger:     cfg.Logger,
		Middleware: []socket.Middleware{a.knownUser},
	})
	a.handler = a.routes()
	return a, nil
}

// IO returns the socket.io server.
func (a *App) IO() *socket.Server { return a.io }

// ServeHTTP serves the page, the API and socket.io.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// Close closes the database. Shut IO down first.
func (a *App) Close() error { return a.store.Close() }

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", a.io)
	mux.Handle("GET /metrics", a.metricsHandler())
	mux.HandleFunc("GET /{$}", a.index)
	assets, _ := fs.Sub(static, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(assets)))
	mux.HandleFunc("POST /api/login", a.login)
	mux.Handle("GET /api/rooms", a.tokens.Require(a.checkUser, http.HandlerFunc(a.listRooms)))
	mux.Handle("POST /api/rooms", a.tokens.Require(a.checkUser, http.HandlerFunc(a.createRoom)))
	mux.Handle("POST /api/rooms/{id}/invite", a.tokens.Require(a.checkUser, http.HandlerFunc(a.invite)))
	mux.Handle("POST /api/rooms/{id}/leave", a.tokens.Require(a.checkUser, http.HandlerFunc(a.leaveRoom)))
	mux.Handle("POST /api/notifications", a.notes.Handler(func(r *http.Request) error {
		_, err := a.tokens.Authorize(r, a.checkUser)
		return err
	}))
	return securityHeaders(mux)
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

func (a *App) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := a.page.Execute(w, struct{ Script template.HTML }{a.client.Script()}); err != nil {
		a.log.Error("render page", "err", err)
	}
}

// errUnknownUser refuses a valid token whose user is not in the database,
// as after a restart with ":memory:".
var errUnknownUser = errors.New("unknown user: log in again")

// checkUser refuses users that are not in the database.
func (a *App) checkUser(ctx context.Context, u identity.User) error {
	_, err := a.store.User(ctx, u.ID)
	if errors.Is(err, ErrNotFound) {
		return errUnknownUser
	}
	return err
}

// knownUser is socket middleware that runs after auth.Middleware and
// refuses users that are not in the database.
func (a *App) knownUser(ctx context.Context, s *socket.Socket) error {
	u, _ := identity.FromSocket(s)
	err := a.checkUser(ctx, u)
	if errors.Is(err, errUnknownUser) {
		return &socket.ConnectError{Message: "unknown user", Data: map[string]string{"code": "unknown_user"}}
	}
	if err != nil {
		a.log.Error("check user", "user", u.ID, "err", err)
		return &socket.ConnectError{Message: "server error"}
	}
	return nil
}
