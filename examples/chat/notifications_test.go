package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/envivo/socketio/examples/notifications/notify"
	"github.com/envivo/socketio/internal/nodepeer"
)

// TestNotifications: a notification posted to the HTTP endpoint reaches
// every tab of its user on /notifications, and no one else.
func TestNotifications(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := startServer(t)
	alice, bob := srv.login("alice"), srv.login("bob")
	d := peer.Client(t)
	srv.connect(d, "bob-tab1", bob, notify.Namespace)
	srv.connect(d, "bob-tab2", bob, notify.Namespace)
	srv.connect(d, "alice", alice, notify.Namespace)
	srv.connect(d, "bob-chat", bob, "") // the chat namespace gets none

	body := map[string]any{"userId": bob.ID, "type": "warning", "title": "Disk", "message": "almost full"}
	var res notify.Response
	if code := srv.call("POST", "/api/notifications", alice.token, body, &res); code != http.StatusAccepted {
		t.Fatalf("POST /api/notifications: %d", code)
	}
	want := notify.Notification{ID: res.Notification.ID, Type: notify.Warning, Title: "Disk", Message: "almost full"}
	if res.Notification != want || res.Notification.ID == "" || res.Sockets != 2 {
		t.Errorf("response = %+v", res)
	}
	for _, c := range []string{"bob-tab1", "bob-tab2"} {
		e := d.Wait(match{"ev": "event", "client": c, "name": "notification"}, waitFor)
		if !equalJSON(e.Args(), []any{want}) {
			t.Errorf("%s got %v, want %+v", c, e.Args(), want)
		}
	}
	d.Never(match{"ev": "event", "client": "alice", "name": "notification"}, quiet)
	d.Never(match{"ev": "event", "client": "bob-chat", "name": "notification"}, 0)

	// From Go code, anywhere in the application.
	n, err := notify.SendNotificationToUser(srv.app.IO(), alice.ID, notify.Notification{Type: notify.Success, Title: "Done", Message: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	e := d.Wait(match{"ev": "event", "client": "alice", "name": "notification"}, waitFor)
	if !equalJSON(e.Args(), []any{n}) {
		t.Errorf("alice got %v, want %+v", e.Args(), n)
	}
	d.Never(match{"ev": "event", "client": "bob-tab1", "name": "notification"}, quiet)

	// An invitation notifies the guest.
	room := srv.createRoom(alice, "plans")
	srv.invite(alice, room.ID, "bob")
	for _, c := range []string{"bob-tab1", "bob-tab2"} {
		p := payload(t, d.Wait(match{"ev": "event", "client": c, "name": "notification"}, waitFor))
		if p["type"] != "info" || p["title"] != "New room" || p["message"] != "alice invited you to plans" {
			t.Errorf("invitation notification = %v", p)
		}
	}
}

func TestNotificationEndpointRefuses(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice := srv.login("alice")
	ok := `{"userId":"u1","type":"info","title":"t","message":"m"}`
	cases := []struct {
		name   string
		method string
		token  string
		body   string
		status int
		error  string
	}{
		{"no token", "POST", "", ok, 401, "missing bearer token: send Authorization: Bearer <token from POST /api/login>"},
		{"bad token", "POST", "nope", ok, 401, "invalid token"},
		{"GET", "GET", alice.token, "", 405, ""},
		{"empty body", "POST", alice.token, "", 400, "body must be a JSON object"},
		{"not JSON", "POST", alice.token, "{", 400, "body is not valid JSON"},
		{"array", "POST", alice.token, "[]", 400, "body must be a JSON object"},
		{"unknown field", "POST", alice.token, `{"userId":"u1","title":"t","message":"m","html":"<b>"}`, 400, `unknown field "html"`},
		{"numeric userId", "POST", alice.token, `{"userId":1,"title":"t","message":"m"}`, 400, "userId must be a string, not a number"},
		{"missing userId", "POST", alice.token, `{"title":"t","message":"m"}`, 400, "userId is required"},
		{"long userId", "POST", alice.token, `{"userId":"` + strings.Repeat("u", 65) + `","title":"t","message":"m"}`, 400, "userId is longer than 64 characters"},
		{"bad type", "POST", alice.token, `{"userId":"u1","type":"error","title":"t","message":"m"}`, 400, `type must be info, warning or success, not "error"`},
		{"missing title", "POST", alice.token, `{"userId":"u1","message":"m"}`, 400, "title is required"},
		{"blank message", "POST", alice.token, `{"userId":"u1","title":"t","message":"  "}`, 400, "message is required"},
		{"long title", "POST", alice.token, fmt.Sprintf(`{"userId":"u1","title":%q,"message":"m"}`, strings.Repeat("t", notify.MaxTitle+1)), 400, "title is longer than 100 characters"},
		{"long message", "POST", alice.token, fmt.Sprintf(`{"userId":"u1","title":"t","message":%q}`, strings.Repeat("m", notify.MaxMessage+1)), 400, "message is longer than 1000 characters"},
		{"huge body", "POST", alice.token, `{"userId":"` + strings.Repeat("u", 70<<10) + `"}`, 413, "body larger than 65536 bytes"},
		{"defaults to info", "POST", alice.token, `{"userId":"u1","title":"t","message":"m"}`, 202, ""},
	}
	for _, c := range cases {
		var res struct{ Error string }
		var out any = &res
		if c.status == 405 {
			out = nil
		}
		if got := srv.call(c.method, "/api/notifications", c.token, c.body, out); got != c.status || res.Error != c.error {
			t.Errorf("%s: %d %q, want %d %q", c.name, got, res.Error, c.status, c.error)
		}
	}
}

// TestNotificationHistory: notifications are kept in the database, the
// last notify.HistorySize per user, and a socket that connects (a reload)
// gets them as notification:history, oldest first.
func TestNotificationHistory(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := startServer(t)
	alice, bob := srv.login("alice"), srv.login("bob")
	ctx := context.Background()
	var sent []notify.Notification
	for i := range notify.HistorySize + 5 {
		n, err := srv.app.notes.Send(ctx, bob.ID, notify.Notification{Title: "n", Message: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, n)
	}
	var res notify.Response
	body := map[string]any{"userId": bob.ID, "type": "warning", "title": "Disk", "message": "almost full"}
	if code := srv.call("POST", "/api/notifications", alice.token, body, &res); code != http.StatusAccepted || res.Sockets != 0 {
		t.Fatalf("POST /api/notifications: %d %+v", code, res)
	}
	sent = append(sent, res.Notification)

	d := peer.Client(t)
	srv.connect(d, "bob", bob, notify.Namespace)
	e := d.Wait(match{"ev": "event", "client": "bob", "name": "notification:history"}, waitFor)
	if want := sent[len(sent)-notify.HistorySize:]; !equalJSON(e.Args(), []any{want}) {
		t.Errorf("bob's history = %v,\nwant the last %d sent, oldest first: %+v", e.Args(), notify.HistorySize, want)
	}
	var kept int
	if err := srv.app.store.db.QueryRow(`SELECT count(*) FROM notifications WHERE user_id = ?`, bob.ID).Scan(&kept); err != nil || kept != notify.HistorySize {
		t.Errorf("%d notifications kept for bob, want %d (%v)", kept, notify.HistorySize, err)
	}

	// Someone with none gets an empty list; the chat namespace gets none.
	srv.connect(d, "alice", alice, notify.Namespace)
	e = d.Wait(match{"ev": "event", "client": "alice", "name": "notification:history"}, waitFor)
	if !equalJSON(e.Args(), []any{[]any{}}) {
		t.Errorf("alice's history = %v, want [[]]", e.Args())
	}
	srv.connect(d, "bob-chat", bob, "")
	d.Never(match{"ev": "event", "client": "bob-chat", "name": "notification:history"}, quiet)
}
