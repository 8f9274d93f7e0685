// Command notifications runs the notifications half of the tutorial alone:
// the /notifications namespace of package notify, an HTTP endpoint that
// sends a notification to a user, and a page that shows them as they
// arrive. The chat example (examples/chat) runs the same package in its own
// process, next to the chat.
//
//	go run ./examples/notifications   # then open http://localhost:3001/
//
// Log in with a name in two tabs (or two browsers), then send from one to
// the other, or with curl:
//
//	TOKEN=$(curl -s localhost:3001/api/login -d '{"name":"ada"}' | jq -r .token)
//	curl -X POST localhost:3001/api/notifications -H "Authorization: Bearer $TOKEN" \
//	  -d '{"userId":"ada","type":"success","title":"Hello","message":"from curl"}'
//
// There is no database here: a user's id is their name in lower case.
// Flags: -port (default 3001, or $PORT), -host, -client, -v; see
// examples/chat.
package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"unicode"

	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/examples/internal/jsonapi"
	"github.com/envivo/socketio/examples/internal/serve"
	"github.com/envivo/socketio/examples/internal/webclient"
	"github.com/envivo/socketio/examples/notifications/notify"
	"github.com/envivo/socketio/socket"
)

//go:embed static
var static embed.FS

func main() {
	var flags serve.Flags
	flags.Register(flag.CommandLine, 3001)
	clientDir := flag.String("client", "", "socket.io-client dist `directory` (default: testdata/node/node_modules/socket.io-client/dist, else the CDN)")
	flag.Parse()

	logger := serve.Logger(flags.Verbose)
	if err := run(logger, flags, *clientDir); err != nil {
		logger.Error("notifications: " + err.Error())
		os.Exit(1)
	}
}

func run(logger *slog.Logger, flags serve.Flags, clientDir string) error {
	client, err := webclient.Locate(clientDir)
	if err != nil {
		if clientDir != "" {
			return err
		}
		logger.Warn("the page will load socket.io-client from the CDN", "why", err)
	}
	io, handler, err := newServer(identity.NewTokens(identity.Secret(logger), 0), client, logger)
	if err != nil {
		return err
	}
	return serve.Run(context.Background(), logger, flags.Addr(), handler, io, func(addr net.Addr) {
		logger.Info(fmt.Sprintf("notifications: open %s in your browser", serve.URL(addr)),
			"socket.io-client", client.Source())
	})
}

// newServer returns the socket.io server with the notifications namespace
// and the handler of everything: page, login, notifications endpoint.
func newServer(tokens *identity.Tokens, client webclient.Client, logger *slog.Logger) (*socket.Server, http.Handler, error) {
	page, err := template.ParseFS(static, "static/index.html")
	if err != nil {
		return nil, nil, err
	}
	io := socket.NewServer(&socket.Options{
		EngineOptions: socket.EngineOptions{Logger: logger},
		ClientFiles:   client.Files(), // nil: the page loads the CDN's copy
	})
	notify.Mount(io, tokens.Authenticator(), logger)

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, struct{ Script template.HTML }{client.Script()})
	})
	assets, _ := fs.Sub(static, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(assets)))
	mux.HandleFunc("POST /api/login", login(tokens, logger))
	mux.Handle("POST /api/notifications", notify.Handler(io, func(r *http.Request) error {
		_, err := tokens.Authorize(r, nil)
		return err
	}, logger))
	return io, mux, nil
}

// login issues a token for a name, whose id is the name in lower case with
// dashes for spaces: there is no user database in this example.
func login(tokens *identity.Tokens, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name string `json:"name"`
		}
		if err := jsonapi.Decode(w, r, &req); err != nil {
			jsonapi.Fail(w, err)
			return
		}
		name := strings.TrimSpace(req.Name)
		id := userID(name)
		if id == "" || len(name) > 32 {
			jsonapi.Error(w, http.StatusBadRequest, "name must be 1 to 32 letters, digits, spaces, - or _")
			return
		}
		user := identity.User{ID: id, Name: name, Email: id + "@example.com", Role: "user"}
		token, expires, err := tokens.Issue(user)
		if err != nil {
			logger.Error("issue token", "err", err)
			jsonapi.Error(w, http.StatusInternalServerError, "internal error")
			return
		}
		jsonapi.Write(w, http.StatusOK, map[string]any{"token": token, "expiresAt": expires, "user": user})
	}
}

// userID returns the id of the user called name, "" if the name is not
// allowed.
func userID(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '-' || c == '_':
			b.WriteRune(c)
		case c == ' ':
			b.WriteRune('-')
		default:
			return ""
		}
	}
	return b.String()
}
