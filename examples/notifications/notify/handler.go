package notify

import (
	"errors"
	"net/http"

	"github.com/envivo/socketio/examples/internal/jsonapi"
)

// Request is the body Notifier.Handler accepts.
type Request struct {
	UserID  string `json:"userId"`
	Type    Type   `json:"type"`
	Title   string `json:"title"`
	Message string `json:"message"`
}

// Response is Notifier.Handler's answer: the notification as sent, and how many
// sockets of the user were connected when it was sent, on every node of
// the cluster (the adapter's count, as socket.BroadcastOperator.Count).
type Response struct {
	Notification Notification `json:"notification"`
	Sockets      int          `json:"sockets"`
}

// Handler returns an HTTP endpoint that sends the notification in a JSON
// Request body with Send, for POST:
//
//	curl -X POST localhost:3000/api/notifications \
//	  -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
//	  -d '{"userId":"42","type":"success","title":"Hi","message":"Hello"}'
//
// authorize decides who may send: it sees every request first and refuses
// it with its error's text as a 401. It must not be nil: an endpoint that
// lets anyone notify anyone is a bug. Invalid bodies get a 400 with
// {"error": message}; a sent notification a 202 with a Response.
func (nt *Notifier) Handler(authorize func(r *http.Request) error) http.Handler {
	if authorize == nil {
		panic("notify: Handler needs an authorize function")
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
		n, err := nt.Send(r.Context(), req.UserID,
			Notification{Type: req.Type, Title: req.Title, Message: req.Message})
		if ie, ok := errors.AsType[*InvalidError](err); ok {
			jsonapi.Error(w, http.StatusBadRequest, ie.Message)
			return
		}
		if err != nil {
			nt.log.Error("notify: send", "user", req.UserID, "err", err)
			jsonapi.Error(w, http.StatusInternalServerError, "internal error")
			return
		}
		count, err := nt.io.Of(Namespace).To(Room(req.UserID)).Count(r.Context())
		if err != nil { // sent, but some nodes did not answer: the count is short
			nt.log.Warn("notify: count sockets", "user", req.UserID, "err", err)
		}
		nt.log.Info("notification sent", "user", req.UserID, "type", n.Type, "id", n.ID, "sockets", count)
		jsonapi.Write(w, http.StatusAccepted, Response{Notification: n, Sockets: count})
	})
}
