package notify

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/envivo/socketio/examples/internal/jsonapi"
	"github.com/envivo/socketio/socket"
)

// Request is the body Handler accepts.
type Request struct {
	UserID  string `json:"userId"`
	Type    Type   `json:"type"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// Response is Handler's answer: the notification as sent, and how many
// sockets of the user were connected to this node when it was sent.
type Response struct {
	Notification Notification `json:"notification"`
	Sockets      int          `json:"sockets"`
}

// Handler returns an HTTP endpoint that sends the notification in a JSON
// Request body with SendNotificationToUser, for POST:
//
//	curl -X POST localhost:3000/api/notifications \
//	  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
//	  -d '{"userId":"42","type":"success","title":"Hi","message":"Hello"}'
//
// authorize decides who may send: it sees every request first and refuses
// it with its error's text as a 401. It must not be nil: an endpoint that
// lets anyone notify anyone is a bug. Invalid bodies get a 400 with
// {"error": message}; a sent notification a 202 with a Response.
func Handler(io *socket.Server, authorize func(r *http.Request) error, logger *slog.Logger) http.Handler {
	if authorize == nil {
		panic("notify: Handler needs an authorize function")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			jsonapi.Error(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		if err := authorize(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="notifications"`)
			jsonapi.Error(w, http.StatusUnauthorized, err.Error())
			return
		}
		var req Request
		if err := jsonapi.Decode(w, r, &req); err != nil {
			jsonapi.Fail(w, err)
			return
		}
		if len(req.UserID) > 64 {
			jsonapi.Error(w, http.StatusBadRequest, "userId is longer than 64 characters")
			return
		}
		n, err := SendNotificationToUser(io, req.UserID,
			Notification{Type: req.Type, Title: req.Title, Message: req.Message})
		if ie, ok := errors.AsType[*InvalidError](err); ok {
			jsonapi.Error(w, http.StatusBadRequest, ie.Message)
			return
		}
		if err != nil {
			logger.Error("notify: send", "user", req.UserID, "err", err)
			jsonapi.Error(w, http.StatusInternalServerError, "internal error")
			return
		}
		count, _ := io.Of(Namespace).Local().To(Room(req.UserID)).Count(r.Context())
		logger.Info("notification sent", "user", req.UserID, "type", n.Type, "id", n.ID, "sockets", count)
		jsonapi.Write(w, http.StatusAccepted, Response{Notification: n, Sockets: count})
	})
}
