package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	first := srv.login("Ada Lovelace")
	if first.Name != "Ada Lovelace" || first.Email != "ada.lovelace@example.com" || first.Role != "user" || first.ID == "" {
		t.Errorf("user = %+v", first.User)
	}
	u, err := srv.app.tokens.Verify(context.Background(), first.token)
	if err != nil || u != first.User {
		t.Errorf("token says %+v, %v", u, err)
	}
	if again := srv.login("  ada lovelace "); again.ID != first.ID {
		t.Errorf("logging in again made another user: %+v", again.User)
	}
	cases := []struct {
		name string
		body string
		want string
	}{
		{"no name", `{}`, "name is required"},
		{"blank name", `{"name":"   "}`, "name is required"},
		{"long name", `{"name":"` + strings.Repeat("a", maxUserName+1) + `"}`, "name is longer than 32 characters"},
		{"markup", `{"name":"<script>"}`, "name may hold letters, digits, spaces and - _ . ' only"},
		{"numeric name", `{"name":7}`, "name must be a string, not a number"},
		{"bad email", `{"name":"x","email":"nope"}`, "email is not an email address"},
		{"unknown field", `{"name":"x","password":"p"}`, `unknown field "password"`},
	}
	for _, c := range cases {
		var res struct{ Error string }
		if code := srv.call("POST", "/api/login", "", c.body, &res); code != 400 || res.Error != c.want {
			t.Errorf("%s: %d %q, want 400 %q", c.name, code, res.Error, c.want)
		}
	}
}

func TestRoomsAPI(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	alice, bob, carol := srv.login("alice"), srv.login("bob"), srv.login("carol")
	general := srv.createRoom(alice, " general ")
	if general.Name != "general" || len(general.Members) != 1 || general.Members[0] != (Author{alice.ID, "alice"}) {
		t.Errorf("room = %+v", general)
	}
	srv.createRoom(bob, "bob's")
	srv.invite(alice, general.ID, "bob")
	srv.invite(alice, general.ID, "bob") // twice is fine

	var list struct{ Rooms []Room }
	if code := srv.call("GET", "/api/rooms", bob.token, nil, &list); code != 200 || len(list.Rooms) != 2 {
		t.Fatalf("bob's rooms: %d %+v", code, list)
	}
	if r := list.Rooms[0]; r.ID != general.ID || len(r.Members) != 2 {
		t.Errorf("bob's first room = %+v", r)
	}
	if code := srv.call("GET", "/api/rooms", carol.token, nil, &list); code != 200 || len(list.Rooms) != 0 || list.Rooms == nil {
		t.Errorf("carol's rooms: %d %#v", code, list.Rooms)
	}

	cases := []struct {
		name, method, path, token, body string
		status                          int
		want                            string
	}{
		{"rooms without token", "GET", "/api/rooms", "", "", 401, "missing bearer token: send Authorization: Bearer <token from POST /api/login>"},
		{"create without name", "POST", "/api/rooms", alice.token, `{}`, 400, "name is required"},
		{"create long name", "POST", "/api/rooms", alice.token, `{"name":"` + strings.Repeat("r", maxRoomName+1) + `"}`, 400, "name is longer than 64 characters"},
		{"invite to unknown room", "POST", "/api/rooms/nope/invite", alice.token, `{"name":"bob"}`, 404, "room not found"},
		{"invite by a non-member", "POST", "/api/rooms/" + general.ID + "/invite", carol.token, `{"name":"carol"}`, 403, "you are not a member of this room"},
		{"invite unknown user", "POST", "/api/rooms/" + general.ID + "/invite", alice.token, `{"name":"dave"}`, 404, `no user called "dave": they must log in once first`},
		{"invite without name", "POST", "/api/rooms/" + general.ID + "/invite", alice.token, `{}`, 400, "name is required"},
	}
	for _, c := range cases {
		var res struct{ Error string }
		if code := srv.call(c.method, c.path, c.token, c.body, &res); code != c.status || res.Error != c.want {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, res.Error, c.status, c.want)
		}
	}
}

func TestPage(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	for path, want := range map[string]string{
		"/":                 "<title>envivo chat</title>",
		"/static/app.js":    `io("/notifications"`,
		"/static/style.css": ".messages",
	} {
		res, err := http.Get(srv.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d, no %q in the body", path, res.StatusCode, want)
		}
	}
}

// TestStoreFile checks that a database file keeps its data across restarts.
func TestStoreFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	st, err := OpenStore(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ada, err := st.Login(ctx, "ada", "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	room, err := st.CreateRoom(ctx, "kept", ada)
	if err == nil {
		_, err = st.AddMessage(ctx, room.ID, ada, "still here")
	}
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = OpenStore(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, err := st.LastMessages(ctx, room.ID, HistorySize)
	if err != nil || len(msgs) != 1 || msgs[0].Content != "still here" || msgs[0].Author != (Author{ada.ID, "ada"}) {
		t.Errorf("after reopening: %+v, %v", msgs, err)
	}
	if _, err := st.db.ExecContext(ctx, `INSERT INTO messages (id, room_id, author_id, content, created_at) VALUES ('m', 'no-room', ?, 'x', 'now')`, ada.ID); err == nil {
		t.Error("a message in a room that does not exist was stored: foreign keys are off")
	}
}
