// Package notify pushes notifications to users over the /notifications
// namespace of a socket.io server, from anywhere in an application.
//
// Each socket of the namespace is authenticated by its own middleware and
// joins its user's room, Room(userID), when it connects; a notification for
// a user is one broadcast to that room, so every tab the user has open gets
// it, on whichever node of a cluster it is connected to.
//
//	io := socket.NewServer(nil)
//	notifier := notify.Mount(io, auth.HS256(secret), &notify.Options{Store: store})
//	...
//	notifier.Send(ctx, "42", notify.Notification{
//		Type: notify.Success, Title: "Deployed", Message: "v1.2 is live",
//	})
//
// With a Store, notifications outlive the page: each one sent is kept, and
// a socket that connects gets its user's last HistorySize as History.
// Notifier.Handler is an HTTP endpoint that sends one from a JSON body, so
// that other services (or curl) can notify users.
package notify

import (
	"context"
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

// History is sent to each socket as it connects, when the Notifier has a
// Store: its user's last HistorySize notifications, oldest first.
var History = socket.Event[[]Notification]{Name: "notification:history"}

// HistorySize is how many notifications per user History carries, and a
// Store needs to keep, at most.
const HistorySize = 50

// Store keeps the notifications sent to each user, for History. Its
// methods must be safe for concurrent use.
type Store interface {
	// SaveNotification keeps n, sent to userID; it may forget all but the
	// user's last HistorySize.
	SaveNotification(ctx context.Context, userID string, n Notification) error
	// RecentNotifications returns the last limit notifications sent to
	// userID, oldest first, and an empty slice for none.
	RecentNotifications(ctx context.Context, userID string, limit int) ([]Notification, error)
}

// Options configures Mount. The zero value works.
type Options struct {
	// Store keeps the notifications sent by Notifier.Send and Handler.
	// Defaults to nil: nothing is kept, and a client sees only what is sent
	// while it is connected.
	Store Store
	// Logger receives the connections, disconnections and errors. Defaults
	// to none.
	Logger *slog.Logger
	// Middleware runs on each socket after authentication (a check that the
	// user still exists, say). Defaults to none.
	Middleware []socket.Middleware
}

// Notifier sends notifications to the users of the Namespace it mounted.
// Its methods are safe for concurrent use.
type Notifier struct {
	io    *socket.Server
	store Store
	log   *slog.Logger
}

// Room returns the name of the room of userID's sockets in Namespace.
func Room(userID string) string { return "user:" + userID }

// Mount sets up Namespace on io: auth.Middleware with a, so that only
// authenticated clients connect, then opts.Middleware; each socket joins
// the room of its user (auth.UserID), gets History when there is a Store,
// and its connection and disconnection are logged. opts may be nil.
func Mount(io *socket.Server, a auth.Authenticator, opts *Options) *Notifier {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	nt := &Notifier{io: io, store: o.Store, log: o.Logger}
	nsp := io.Of(Namespace)
	nsp.Use(auth.Middleware(a, &auth.Options{Logger: o.Logger}))
	nsp.Use(o.Middleware...)
	nsp.OnConnection(nt.onConnection)
	return nt
}

// onConnection puts a new socket in its user's room, then sends it the
// user's history. Joining first means that a notification sent meanwhile
// is in the history, or arrives after it, or both (clients drop the second
// copy by its id), never lost between the two.
func (nt *Notifier) onConnection(s *socket.Socket) {
	user := auth.UserID(s)
	s.Join(Room(user))
	nt.log.Info("connected", "nsp", Namespace, "socket", s.ID(), "user", user, "transport", s.Transport())
	s.OnDisconnect(func(s *socket.Socket, reason socket.DisconnectReason) {
		nt.log.Info("disconnected", "nsp", Namespace, "socket", s.ID(), "user", user, "reason", reason)
	})
	if nt.store == nil {
		return
	}
	recent, err := nt.store.RecentNotifications(s.Context(), user, HistorySize)
	if err != nil {
		nt.log.Error("notify: history", "user", user, "err", err)
		return
	}
	_ = History.Emit(s, recent)
}

// Send sends n to userID as SendNotificationToUser does, and keeps it in
// the Store first, if any, for History. An error of the Store sends
// nothing.
func (nt *Notifier) Send(ctx context.Context, userID string, n Notification) (Notification, error) {
	if err := prepare(userID, &n); err != nil {
		return n, err
	}
	if nt.store != nil {
		if err := nt.store.SaveNotification(ctx, userID, n); err != nil {
			return n, fmt.Errorf("notify: save: %w", err)
		}
	}
	return n, Event.Emit(nt.io.Of(Namespace).To(Room(userID)), n)
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
// socket connected gets nothing; nothing is stored (Notifier.Send keeps it
// for History). It returns the notification as sent.
func SendNotificationToUser(io *socket.Server, userID string, n Notification) (Notification, error) {
	if err := prepare(userID, &n); err != nil {
		return n, err
	}
	return n, Event.Emit(io.Of(Namespace).To(Room(userID)), n)
}

// prepare checks the recipient and n, and gives n an id if it has none.
func prepare(userID string, n *Notification) error {
	if userID == "" {
		return invalid("userId is required")
	}
	if err := n.Validate(); err != nil {
		return err
	}
	if n.ID == "" {
		n.ID = NewID()
	}
	return nil
}

// NewID returns a random identifier.
func NewID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}
