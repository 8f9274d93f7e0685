// Package notify pushes notifications to users over the /notifications
// namespace of a socket.io server, from anywhere in an application.
//
// Each socket of the namespace is authenticated by its own middleware and
// joins its user's room, Room(userID), when it connects; a notification for
// a user is one broadcast to that room, so every tab the user has open gets
// it, on whichever node of a cluster it is connected to.
//
//	io := socket.NewServer(nil)
//	notify.Mount(io, auth.HS256(secret), logger)
//	...
//	notify.SendNotificationToUser(io, "42", notify.Notification{
//		Type: notify.Success, Title: "Deployed", Message: "v1.2 is live",
//	})
//
// Handler is an HTTP endpoint that does the same for a JSON body, so that
// other services (or curl) can notify users.
package notify

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/envivo/socketio/auth"
	"github.com/envivo/socketio/socket"
)

// Namespace is the namespace clients connect to for notifications:
// io("/notifications", { auth: { token } }).
const Namespace = "/notifications"

// Type is the kind of a notification, which clients show differently.
type Type string

// The types of notifications.
const (
	Info    Type = "info"
	Warning Type = "warning"
	Success Type = "success"
)

// Limits on a notification's text, in characters.
const (
	MaxTitle   = 100
	MaxMessage = 1000
)

// Notification is what a client receives as the "notification" event.
type Notification struct {
	ID      string `json:"id"`
	Type    Type   `json:"type"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// Event is the event that carries a Notification to clients.
var Event = socket.Event[Notification]{Name: "notification"}

// Room returns the name of the room of userID's sockets in Namespace.
func Room(userID string) string { return "user:" + userID }

// Mount sets up Namespace on io: auth.Middleware with a, so that only
// authenticated clients connect, then each socket joins the room of its
// user (auth.UserID) and its connection and disconnection are logged.
// Further middleware (a check that the user still exists, say) runs after
// authentication. It returns the namespace.
func Mount(io *socket.Server, a auth.Authenticator, logger *slog.Logger, more ...socket.Middleware) *socket.Namespace {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	nsp := io.Of(Namespace)
	nsp.Use(auth.Middleware(a, &auth.Options{Logger: logger}))
	nsp.Use(more...)
	nsp.OnConnection(func(s *socket.Socket) {
		user := auth.UserID(s)
		s.Join(Room(user))
		logger.Info("connected", "nsp", Namespace, "socket", s.ID(), "user", user, "transport", s.Transport())
		s.OnDisconnect(func(s *socket.Socket, reason string) {
			logger.Info("disconnected", "nsp", Namespace, "socket", s.ID(), "user", user, "reason", reason)
		})
	})
	return nsp
}

// InvalidError is the error of a notification that cannot be sent. Its
// Message is fit for clients.
type InvalidError struct {
	Message string
}

func (e *InvalidError) Error() string { return "notify: invalid notification: " + e.Message }

func invalid(format string, args ...any) error {
	return &InvalidError{Message: fmt.Sprintf(format, args...)}
}

// Validate checks n's type and text, filling in the defaults: Info for an
// empty type; text is trimmed. Its errors are *InvalidError.
func (n *Notification) Validate() error {
	n.Title = strings.TrimSpace(n.Title)
	n.Message = strings.TrimSpace(n.Message)
	switch n.Type {
	case "":
		n.Type = Info
	case Info, Warning, Success:
	default:
		return invalid("type must be info, warning or success, not %q", n.Type)
	}
	switch {
	case n.Title == "":
		return invalid("title is required")
	case utf8.RuneCountInString(n.Title) > MaxTitle:
		return invalid("title is longer than %d characters", MaxTitle)
	case n.Message == "":
		return invalid("message is required")
	case utf8.RuneCountInString(n.Message) > MaxMessage:
		return invalid("message is longer than %d characters", MaxMessage)
	}
	return nil
}

// SendNotificationToUser validates n, gives it an id if it has none, and
// emits it to every socket of userID in Namespace: each tab the user has
// open, on every node when io's adapter spans a cluster. A user with no
// socket connected gets nothing; nothing is stored. It returns the
// notification as sent.
func SendNotificationToUser(io *socket.Server, userID string, n Notification) (Notification, error) {
	if userID == "" {
		return n, invalid("userId is required")
	}
	if err := n.Validate(); err != nil {
		return n, err
	}
	if n.ID == "" {
		n.ID = NewID()
	}
	return n, Event.Emit(io.Of(Namespace).To(Room(userID)), n)
}

// NewID returns a random identifier.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}
