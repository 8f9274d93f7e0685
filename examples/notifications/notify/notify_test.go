package notify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/envivo/socketio/auth"
	"github.com/envivo/socketio/examples/notifications/notify"
	"github.com/envivo/socketio/socket"
	"go.uber.org/goleak"
)

var testSecret = []byte("a test secret of at least 32 bytes")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   notify.Notification
		want string // the error's message, "" for none
	}{
		{"ok", notify.Notification{Type: notify.Warning, Title: "t", Message: "m"}, ""},
		{"type defaults to info", notify.Notification{Title: "t", Message: "m"}, ""},
		{"unknown type", notify.Notification{Type: "error", Title: "t", Message: "m"}, `type must be info, warning or success, not "error"`},
		{"no title", notify.Notification{Message: "m"}, "title is required"},
		{"blank title", notify.Notification{Title: " \t", Message: "m"}, "title is required"},
		{"no message", notify.Notification{Title: "t"}, "message is required"},
		{"long title", notify.Notification{Title: strings.Repeat("é", notify.MaxTitle+1), Message: "m"}, "title is longer than 100 characters"},
		{"longest title", notify.Notification{Title: strings.Repeat("é", notify.MaxTitle), Message: "m"}, ""},
		{"long message", notify.Notification{Title: "t", Message: strings.Repeat("m", notify.MaxMessage+1)}, "message is longer than 1000 characters"},
	}
	for _, c := range cases {
		n := c.in
		err := n.Validate()
		var got string
		if ie, ok := errors.AsType[*notify.InvalidError](err); ok {
			got = ie.Message
		} else if err != nil {
			t.Errorf("%s: error %v is not an *InvalidError", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if err == nil && n.Type == "" {
			t.Errorf("%s: type left empty", c.name)
		}
	}
}

func TestSendNotificationToUser(t *testing.T) {
	t.Parallel()
	io := socket.NewServer(nil)
	n, err := notify.SendNotificationToUser(io, "42", notify.Notification{Title: " Hi ", Message: "there"})
	if err != nil || n.ID == "" || n.Type != notify.Info || n.Title != "Hi" {
		t.Errorf("sent %+v, %v", n, err)
	}
	if _, err := notify.SendNotificationToUser(io, "", n); err == nil {
		t.Error("a notification to no one was sent")
	}
	if notify.Room("42") != "user:42" {
		t.Errorf("Room(42) = %q", notify.Room("42"))
	}
}

func TestHandlerAuthorizes(t *testing.T) {
	t.Parallel()
	io := socket.NewServer(nil)
	h := notify.Mount(io, auth.HS256(testSecret), nil).Handler(func(r *http.Request) error {
		if r.Header.Get("Authorization") != "Bearer ok" {
			return errors.New("who are you?")
		}
		return nil
	})
	for _, c := range []struct {
		auth   string
		status int
	}{{"", 401}, {"Bearer no", 401}, {"Bearer ok", 202}} {
		req := httptest.NewRequest("POST", "/", strings.NewReader(`{"userId":"1","title":"t","message":"m"}`))
		req.Header.Set("Authorization", c.auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.status {
			t.Errorf("Authorization %q: %d %s, want %d", c.auth, w.Code, w.Body, c.status)
		}
		if c.status == 401 && !strings.Contains(w.Body.String(), "who are you?") {
			t.Errorf("401 body = %s", w.Body)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Handler without authorize did not panic")
		}
	}()
	notify.Mount(io, auth.HS256(testSecret), nil).Handler(nil)
}
