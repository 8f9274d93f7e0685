package notify_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/envivo/socketio/auth"
	"github.com/envivo/socketio/examples/notifications/notify"
	"github.com/envivo/socketio/socket"
)

// Notifications next to an application's own namespaces: clients connect
// to /notifications with their token, and any code that holds the server
// can notify a user.
func Example() {
	secret := []byte("a random secret of at least 32 bytes")
	io := socket.NewServer(nil)
	notifier := notify.Mount(io, auth.HS256(secret), nil) // &notify.Options{Store: ...} keeps them

	// In a handler, a job, anywhere:
	n, err := notifier.Send(context.Background(), "42", notify.Notification{
		Type:    notify.Success,
		Title:   "Export ready",
		Message: "Your CSV export is ready to download.",
	})
	fmt.Println(n.Type, n.Title, n.ID != "", err)

	// And over HTTP, for other services:
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.Handle("POST /api/notifications", notifier.Handler(func(r *http.Request) error {
		_, err := auth.HS256(secret).Verify(r.Context(), r.Header.Get("X-Token"))
		return err
	}))
	// Output: success Export ready true <nil>
}
