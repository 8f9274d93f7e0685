package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/examples/internal/identity"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/internal/sockettest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m)) // skipnote: the skips for missing peers, visible
}

// waitFor is the patience of these tests for one event from a real client.
const waitFor = 10 * time.Second

// quiet is how long a test watches for an event that must not come.
const quiet = 300 * time.Millisecond

type match = nodepeer.Match

var testSecret = []byte("a test secret of at least 32 bytes, not the dev one")

// server is a chat app behind a live HTTP server, with a :memory: database.
type server struct {
	t   testing.TB
	app *App
	url string
}

func startServer(t testing.TB) *server {
	t.Helper()
	return startServerWith(t, Config{DB: ":memory:", Secret: testSecret})
}

// startServerWith starts the chat with cfg behind a test HTTP server.
func startServerWith(t testing.TB, cfg Config) *server {
	t.Helper()
	app, err := NewApp(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() }) // after the server's shutdown below
	return &server{t: t, app: app, url: sockettest.Serve(t, app.IO(), app)}
}

// call makes a JSON API request and decodes the answer into out, if not
// nil; it returns the status.
func (s *server) call(method, path, token string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, _ := json.Marshal(b)
		r = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, s.url+path, r)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %d %q: %v", method, path, res.StatusCode, data, err)
		}
	}
	return res.StatusCode
}

// user is a logged-in user of a test.
type user struct {
	identity.User
	token string
}

func (s *server) login(name string) user {
	s.t.Helper()
	var res loginResponse
	if code := s.call("POST", "/api/login", "", map[string]string{"name": name}, &res); code != 200 {
		s.t.Fatalf("login %s: %d", name, code)
	}
	return user{res.User, res.Token}
}

func (s *server) createRoom(u user, name string) Room {
	s.t.Helper()
	var res struct{ Room Room }
	if code := s.call("POST", "/api/rooms", u.token, map[string]string{"name": name}, &res); code != 201 {
		s.t.Fatalf("create room: %d", code)
	}
	return res.Room
}

func (s *server) invite(u user, roomID, name string) {
	s.t.Helper()
	if code := s.call("POST", "/api/rooms/"+roomID+"/invite", u.token, map[string]string{"name": name}, nil); code != 200 {
		s.t.Fatalf("invite %s: %d", name, code)
	}
}

// connect connects client c of d as u to namespace nsp ("" for the chat),
// over WebSocket, and waits until it is connected.
func (s *server) connect(d *nodepeer.Driver, c string, u user, nsp string) {
	s.t.Helper()
	d.Connect(c, s.url+nsp, map[string]any{
		"auth":         map[string]any{"token": u.token},
		"transports":   []string{"websocket"},
		"reconnection": false,
	})
	d.Wait(match{"ev": "connect", "client": c}, waitFor)
}

// join makes client c join the room and returns its history.
func join(t testing.TB, d *nodepeer.Driver, c, roomID string) []any {
	t.Helper()
	d.Emit(c, "chat:join", map[string]any{"roomId": roomID})
	e := d.Wait(match{"ev": "event", "client": c, "name": "chat:joined"}, waitFor)
	if got := e.Args(); len(got) != 1 || !equalJSON(got[0], map[string]any{"roomId": roomID}) {
		t.Fatalf("chat:joined args = %v", got)
	}
	h := d.Wait(match{"ev": "event", "client": c, "name": "chat:history"}, waitFor).Args()
	if len(h) != 1 {
		t.Fatalf("chat:history args = %v", h)
	}
	list, ok := h[0].([]any)
	if !ok {
		t.Fatalf("chat:history payload = %#v, want an array", h[0])
	}
	return list
}

// payload returns the one argument of an event, as an object.
func payload(t testing.TB, e nodepeer.Event) map[string]any {
	t.Helper()
	args := e.Args()
	if len(args) != 1 {
		t.Fatalf("%s: %d arguments, want 1: %v", e.String("name"), len(args), args)
	}
	m, ok := args[0].(map[string]any)
	if !ok {
		t.Fatalf("%s: payload %#v is not an object", e.String("name"), args[0])
	}
	return m
}

// equalJSON reports whether a and b encode to the same JSON, object keys
// in any order.
func equalJSON(a, b any) bool {
	return bytes.Equal(canonical(a), canonical(b))
}

func canonical(v any) []byte {
	data, _ := json.Marshal(v)
	var generic any
	_ = json.Unmarshal(data, &generic)
	data, _ = json.Marshal(generic) // maps encode with sorted keys
	return data
}

// keys returns the sorted keys of m, for shape checks.
func keys(m map[string]any) string {
	return fmt.Sprint(slices.Sorted(maps.Keys(m)))
}

// isISO reports whether s is a time as JavaScript's toISOString writes it.
func isISO(s any) bool {
	str, ok := s.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(isoLayout, str)
	return err == nil
}
