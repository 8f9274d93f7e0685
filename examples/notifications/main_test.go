package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/examples/internal/webclient"
	"github.com/envivo/socketio/examples/notifications/notify"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/skipnote"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m)) // skipnote: the skips for missing peers, visible
}

const waitFor = 10 * time.Second

func start(t *testing.T) string {
	t.Helper()
	tokens := identity.NewTokens([]byte("a test secret of at least 32 bytes"), 0)
	io, h, err := newServer(tokens, webclient.Client{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := io.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return ts.URL
}

func post(t *testing.T, url, token string, body any, out any) int {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(data))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode
}

func logIn(t *testing.T, url, name string) (token string, user identity.User) {
	t.Helper()
	var res struct {
		Token string
		User  identity.User
	}
	if code := post(t, url+"/api/login", "", map[string]string{"name": name}, &res); code != 200 {
		t.Fatalf("login %s: %d", name, code)
	}
	return res.Token, res.User
}

// TestStandalone: the program alone, with the official client: a
// notification for ada reaches both her tabs and not bob.
func TestStandalone(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	url := start(t)
	adaToken, ada := logIn(t, url, "Ada King")
	bobToken, _ := logIn(t, url, "bob")
	if ada.ID != "ada-king" || ada.Name != "Ada King" {
		t.Errorf("ada = %+v", ada)
	}
	d := peer.Client(t)
	for client, token := range map[string]string{"ada1": adaToken, "ada2": adaToken, "bob": bobToken} {
		d.Connect(client, url+notify.Namespace, map[string]any{"auth": map[string]any{"token": token}, "transports": []string{"websocket"}})
		d.Wait(nodepeer.Match{"ev": "connect", "client": client}, waitFor)
	}
	d.Connect("anonymous", url+notify.Namespace, map[string]any{"reconnection": false})
	if e := d.Wait(nodepeer.Match{"ev": "connect_error", "client": "anonymous"}, waitFor); e.String("message") != "missing token" {
		t.Errorf("connect_error = %v", e)
	}

	var res notify.Response
	body := map[string]string{"userId": ada.ID, "type": "success", "title": "Hello", "message": "from bob"}
	if code := post(t, url+"/api/notifications", bobToken, body, &res); code != 202 || res.Sockets != 2 {
		t.Fatalf("POST: %d %+v", code, res)
	}
	for _, c := range []string{"ada1", "ada2"} {
		e := d.Wait(nodepeer.Match{"ev": "event", "client": c, "name": "notification"}, waitFor)
		var got []notify.Notification
		data, _ := json.Marshal(e.Args())
		if err := json.Unmarshal(data, &got); err != nil || len(got) != 1 || got[0] != res.Notification {
			t.Errorf("%s got %s, want %+v", c, data, res.Notification)
		}
	}
	d.Never(nodepeer.Match{"ev": "event", "client": "bob", "name": "notification"}, 300*time.Millisecond)

	if code := post(t, url+"/api/notifications", "", body, nil); code != 401 {
		t.Errorf("POST without a token: %d", code)
	}
}

func TestLoginNames(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"ada":        "ada",
		"Ada King":   "ada-king",
		"jean_luc-2": "jean_luc-2",
		"élodie":     "élodie",
		"a/b":        "",
		"<script>":   "",
		"":           "",
	} {
		if got := userID(name); got != want {
			t.Errorf("userID(%q) = %q, want %q", name, got, want)
		}
	}
	url := start(t)
	for _, body := range []any{map[string]string{"name": ""}, map[string]string{"name": "a/b"}, map[string]int{"name": 1}} {
		if code := post(t, url+"/api/login", "", body, nil); code != 400 {
			t.Errorf("login %v: %d", body, code)
		}
	}
}
