package main

// The chat's event handlers against a live server and the official
// socket.io-client, driven under Node by internal/nodepeer.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/envivo/socketio/internal/nodepeer"
)

// twoInARoom returns a server where alice created a room and invited bob,
// and a driver with both connected ("alice", "bob") but in no room yet.
func twoInARoom(t *testing.T) (*server, *nodepeer.Driver, user, user, Room) {
	peer := nodepeer.Require(t)
	srv := startServer(t)
	alice, bob := srv.login("alice"), srv.login("bob")
	room := srv.createRoom(alice, "general")
	srv.invite(alice, room.ID, "bob")
	d := peer.Client(t)
	srv.connect(d, "alice", alice, "")
	srv.connect(d, "bob", bob, "")
	return srv, d, alice, bob, room
}

func TestJoinMessageAndNotices(t *testing.T) {
	t.Parallel()
	srv, d, alice, bob, room := twoInARoom(t)

	if h := join(t, d, "alice", room.ID); len(h) != 0 {
		t.Fatalf("history of a new room = %v", h)
	}
	join(t, d, "bob", room.ID)
	e := d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userJoined"}, waitFor)
	p := payload(t, e)
	if keys(p) != "[email timestamp userId]" || p["userId"] != bob.ID || p["email"] != bob.Email || !isISO(p["timestamp"]) {
		t.Errorf("chat:userJoined = %v", p)
	}
	d.Never(match{"ev": "event", "client": "bob", "name": "chat:userJoined"}, quiet)

	// A message goes to the whole room, sender included, and is stored.
	d.Emit("bob", "chat:message", map[string]any{"roomId": room.ID, "content": "  hello, alice  "})
	for _, c := range []string{"alice", "bob"} {
		m := payload(t, d.Wait(match{"ev": "event", "client": c, "name": "chat:message"}, waitFor))
		if keys(m) != "[author content createdAt id roomId]" || m["content"] != "hello, alice" ||
			m["roomId"] != room.ID || !isISO(m["createdAt"]) || m["id"] == "" ||
			!equalJSON(m["author"], map[string]any{"id": bob.ID, "name": "bob"}) {
			t.Errorf("chat:message to %s = %v", c, m)
		}
	}
	stored, err := srv.app.store.LastMessages(context.Background(), room.ID, 10)
	if err != nil || len(stored) != 1 || stored[0].Content != "hello, alice" || stored[0].Author.ID != bob.ID {
		t.Errorf("stored = %+v, %v", stored, err)
	}

	// Typing goes to the others only.
	d.Emit("alice", "chat:typing", map[string]any{"roomId": room.ID})
	p = payload(t, d.Wait(match{"ev": "event", "client": "bob", "name": "chat:typing"}, waitFor))
	if !equalJSON(p, map[string]any{"name": "alice", "roomId": room.ID, "userId": alice.ID}) {
		t.Errorf("chat:typing = %v", p)
	}
	d.Never(match{"ev": "event", "client": "alice", "name": "chat:typing"}, quiet)

	// Leaving: the others are told, and the room's messages stop coming.
	d.Emit("bob", "chat:leave", map[string]any{"roomId": room.ID})
	p = payload(t, d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userLeft"}, waitFor))
	if !equalJSON(p, map[string]any{"userId": bob.ID}) {
		t.Errorf("chat:userLeft = %v", p)
	}
	d.Emit("alice", "chat:message", map[string]any{"roomId": room.ID, "content": "still there?"})
	d.Wait(match{"ev": "event", "client": "alice", "name": "chat:message"}, waitFor)
	d.Never(match{"ev": "event", "client": "bob", "name": "chat:message"}, quiet)
	d.Emit("bob", "chat:message", map[string]any{"roomId": room.ID, "content": "hello?"})
	e = d.Wait(match{"ev": "event", "client": "bob", "name": "error"}, waitFor)
	if !equalJSON(e.Args(), []any{map[string]any{"message": "chat:message: join the room before sending messages to it"}}) {
		t.Errorf("error = %v", e.Args())
	}

	// Rejoining shows the history; disconnecting tells the others too.
	if h := join(t, d, "bob", room.ID); len(h) != 2 {
		t.Errorf("history after rejoin = %v", h)
	}
	d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userJoined"}, waitFor)
	d.Disconnect("bob")
	p = payload(t, d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userLeft"}, waitFor))
	if !equalJSON(p, map[string]any{"userId": bob.ID}) {
		t.Errorf("chat:userLeft on disconnect = %v", p)
	}
}

func TestJoinTwiceIsQuiet(t *testing.T) {
	t.Parallel()
	_, d, _, _, room := twoInARoom(t)
	join(t, d, "alice", room.ID)
	join(t, d, "bob", room.ID)
	d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userJoined"}, waitFor)
	join(t, d, "bob", room.ID) // again: joined and history, no second notice
	d.Never(match{"ev": "event", "client": "alice", "name": "chat:userJoined"}, quiet)
}

func TestHistoryOrderAndShape(t *testing.T) {
	t.Parallel()
	srv, d, alice, bob, room := twoInARoom(t)
	ctx := context.Background()
	for i := range HistorySize + 5 {
		author := alice
		if i%2 == 1 {
			author = bob
		}
		if _, err := srv.app.store.AddMessage(ctx, room.ID, author.User, fmt.Sprint("message ", i)); err != nil {
			t.Fatal(err)
		}
	}
	h := join(t, d, "bob", room.ID)
	if len(h) != HistorySize {
		t.Fatalf("history has %d messages, want %d", len(h), HistorySize)
	}
	var last string
	for i, v := range h {
		m, _ := v.(map[string]any)
		n := i + 5 // the 5 oldest are left out
		author := map[string]any{"id": alice.ID, "name": "alice"}
		if n%2 == 1 {
			author = map[string]any{"id": bob.ID, "name": "bob"}
		}
		if keys(m) != "[author content createdAt id roomId]" || m["content"] != fmt.Sprint("message ", n) ||
			!equalJSON(m["author"], author) || m["roomId"] != room.ID || !isISO(m["createdAt"]) {
			t.Fatalf("history[%d] = %v", i, m)
		}
		if c := m["createdAt"].(string); c < last {
			t.Errorf("history[%d] created at %s, before the one above (%s)", i, c, last)
		} else {
			last = c
		}
	}
}

// TestBadInput sends every kind of bad payload and checks the error event
// that answers it, that nothing was stored, and that the socket still
// works afterwards.
func TestBadInput(t *testing.T) {
	t.Parallel()
	srv, d, alice, _, room := twoInARoom(t)
	other := srv.createRoom(alice, "alice only")      // bob is not a member
	mine := srv.createRoom(srv.login("bob"), "bob's") // bob is a member, not joined
	join(t, d, "bob", room.ID)
	join(t, d, "alice", room.ID)

	long := strings.Repeat("é", MaxContent+1)
	cases := []struct {
		name  string
		event string
		args  []any
		want  string
	}{
		{"join without payload", "chat:join", nil, `chat:join: payload is missing, expected {"roomId": string}`},
		{"join null", "chat:join", []any{nil}, "chat:join: roomId is required"},
		{"join without roomId", "chat:join", []any{map[string]any{}}, "chat:join: roomId is required"},
		{"join empty roomId", "chat:join", []any{map[string]any{"roomId": ""}}, "chat:join: roomId is required"},
		{"join numeric roomId", "chat:join", []any{map[string]any{"roomId": 42}}, "chat:join: roomId must be a string, not a number"},
		{"join object roomId", "chat:join", []any{map[string]any{"roomId": map[string]any{}}}, "chat:join: roomId must be a string, not an object"},
		{"join string payload", "chat:join", []any{"general"}, `chat:join: payload must be an object {"roomId": string}, not a string`},
		{"join array payload", "chat:join", []any{[]any{room.ID}}, `chat:join: payload must be an object {"roomId": string}, not an array`},
		{"join unknown room", "chat:join", []any{map[string]any{"roomId": "no-such-room"}}, "chat:join: room not found"},
		{"join huge roomId", "chat:join", []any{map[string]any{"roomId": strings.Repeat("x", 10000)}}, "chat:join: room not found"},
		{"join not a member", "chat:join", []any{map[string]any{"roomId": other.ID}}, "chat:join: you are not a member of this room"},

		{"message without payload", "chat:message", nil, `chat:message: payload is missing, expected {"roomId": string, "content": string}`},
		{"message null", "chat:message", []any{nil}, "chat:message: roomId is required"},
		{"message without roomId", "chat:message", []any{map[string]any{"content": "hi"}}, "chat:message: roomId is required"},
		{"message without content", "chat:message", []any{map[string]any{"roomId": room.ID}}, "chat:message: content must not be empty"},
		{"message empty content", "chat:message", []any{map[string]any{"roomId": room.ID, "content": ""}}, "chat:message: content must not be empty"},
		{"message blank content", "chat:message", []any{map[string]any{"roomId": room.ID, "content": " \n\t "}}, "chat:message: content must not be empty"},
		{"message oversized content", "chat:message", []any{map[string]any{"roomId": room.ID, "content": long}},
			fmt.Sprintf("chat:message: content is too long: %d characters, at most %d", MaxContent+1, MaxContent)},
		{"message numeric content", "chat:message", []any{map[string]any{"roomId": room.ID, "content": 12}}, "chat:message: content must be a string, not a number"},
		{"message boolean roomId", "chat:message", []any{map[string]any{"roomId": true, "content": "hi"}}, "chat:message: roomId must be a string, not a boolean"},
		{"message unknown room", "chat:message", []any{map[string]any{"roomId": "no-such-room", "content": "hi"}}, "chat:message: room not found"},
		{"message room not joined", "chat:message", []any{map[string]any{"roomId": mine.ID, "content": "hi"}}, "chat:message: join the room before sending messages to it"},
		{"message not a member", "chat:message", []any{map[string]any{"roomId": other.ID, "content": "hi"}}, "chat:message: join the room before sending messages to it"},

		{"typing without roomId", "chat:typing", []any{map[string]any{}}, "chat:typing: roomId is required"},
		{"typing numeric payload", "chat:typing", []any{7}, `chat:typing: payload must be an object {"roomId": string}, not a number`},
		{"typing room not joined", "chat:typing", []any{map[string]any{"roomId": mine.ID}}, "chat:typing: join the room before typing in it"},
		{"typing unknown room", "chat:typing", []any{map[string]any{"roomId": "nope"}}, "chat:typing: room not found"},

		{"leave without payload", "chat:leave", nil, `chat:leave: payload is missing, expected {"roomId": string}`},
		{"leave room not joined", "chat:leave", []any{map[string]any{"roomId": mine.ID}}, "chat:leave: you are not in this room"},
		{"leave unknown room", "chat:leave", []any{map[string]any{"roomId": "nope"}}, "chat:leave: room not found"},
	}
	for _, c := range cases {
		d.Emit("bob", c.event, c.args...)
		e := d.Wait(match{"ev": "event", "client": "bob", "name": "error"}, waitFor)
		if want := []any{map[string]any{"message": c.want}}; !equalJSON(e.Args(), want) {
			t.Errorf("%s: error = %v, want %v", c.name, e.Args(), want)
		}
	}

	// Nothing reached alice, nothing was stored, and bob is still there.
	for _, name := range []string{"chat:message", "chat:typing", "chat:userLeft", "chat:userJoined", "error"} {
		d.Never(match{"ev": "event", "client": "alice", "name": name}, 0)
	}
	for _, r := range []Room{room, other, mine} {
		if msgs, err := srv.app.store.LastMessages(context.Background(), r.ID, 10); err != nil || len(msgs) != 0 {
			t.Errorf("room %s holds %v, %v", r.Name, msgs, err)
		}
	}
	longest := strings.Repeat("é", MaxContent)
	d.Emit("bob", "chat:message", map[string]any{"roomId": room.ID, "content": longest})
	m := payload(t, d.Wait(match{"ev": "event", "client": "alice", "name": "chat:message"}, waitFor))
	if m["content"] != longest {
		t.Errorf("a message of %d characters was not delivered whole", MaxContent)
	}
	d.Never(match{"ev": "disconnect"}, 0)
}

func TestMembershipAfterInvite(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := startServer(t)
	alice, carol := srv.login("alice"), srv.login("carol")
	room := srv.createRoom(alice, "private")
	d := peer.Client(t)
	srv.connect(d, "carol", carol, "")
	d.Emit("carol", "chat:join", map[string]any{"roomId": room.ID})
	e := d.Wait(match{"ev": "event", "client": "carol", "name": "error"}, waitFor)
	if !equalJSON(e.Args(), []any{map[string]any{"message": "chat:join: you are not a member of this room"}}) {
		t.Errorf("error = %v", e.Args())
	}
	d.Never(match{"ev": "event", "client": "carol", "name": "chat:joined"}, quiet)
	d.Never(match{"ev": "event", "client": "carol", "name": "chat:history"}, 0)

	srv.invite(alice, room.ID, "Carol") // names are case-insensitive
	join(t, d, "carol", room.ID)
}

func TestConnectRefused(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := startServer(t)
	ghost, _, err := srv.app.tokens.Issue(srv.login("ghost").User)
	if err != nil {
		t.Fatal(err)
	}
	// A valid token whose user the database does not know (as after a
	// restart with :memory:).
	if _, err := srv.app.store.db.Exec(`DELETE FROM users WHERE name = 'ghost'`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, nsp string
		auth      map[string]any
		message   string
		code      string
	}{
		{"no token", "", map[string]any{}, "missing token", "missing_token"},
		{"garbage", "", map[string]any{"token": "x.y.z"}, "invalid token", "invalid_token"},
		{"unknown user", "", map[string]any{"token": ghost}, "unknown user", "unknown_user"},
		{"notifications without token", "/notifications", map[string]any{}, "missing token", "missing_token"},
		{"notifications unknown user", "/notifications", map[string]any{"token": ghost}, "unknown user", "unknown_user"},
	}
	d := peer.Client(t)
	for i, c := range cases {
		client := fmt.Sprint("c", i)
		d.Connect(client, srv.url+c.nsp, map[string]any{"auth": c.auth, "reconnection": false, "transports": []string{"websocket"}})
		e := d.Wait(match{"ev": "connect_error", "client": client}, waitFor)
		if e.String("message") != c.message || !equalJSON(e["data"], map[string]any{"code": c.code}) {
			t.Errorf("%s: connect_error %q %v, want %q %q", c.name, e.String("message"), e["data"], c.message, c.code)
		}
	}
}

// TestPolling runs a join and a message over long-polling.
func TestPolling(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := startServer(t)
	alice := srv.login("alice")
	room := srv.createRoom(alice, "slow lane")
	d := peer.Client(t)
	d.Connect("a", srv.url, map[string]any{"auth": map[string]any{"token": alice.token}, "transports": []string{"polling"}})
	if e := d.Wait(match{"ev": "connect", "client": "a"}, waitFor); e.String("transport") != "polling" {
		t.Fatalf("connected over %s", e.String("transport"))
	}
	join(t, d, "a", room.ID)
	d.Emit("a", "chat:message", map[string]any{"roomId": room.ID, "content": "over polling"})
	m := payload(t, d.Wait(match{"ev": "event", "client": "a", "name": "chat:message"}, waitFor))
	if m["content"] != "over polling" {
		t.Errorf("chat:message = %v", m)
	}
}

// TestLeaveForGood: POST /api/rooms/{id}/leave ends the membership in the
// database, takes every tab of the user out of the room, tells them
// chat:roomLeft and the others chat:memberLeft (not chat:userLeft, which
// means "for now"), and the room is gone from the user's list.
func TestLeaveForGood(t *testing.T) {
	t.Parallel()
	srv, d, alice, bob, room := twoInARoom(t)
	srv.connect(d, "bob2", bob, "") // a second tab, not showing the room
	join(t, d, "alice", room.ID)
	join(t, d, "bob", room.ID)
	d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userJoined"}, waitFor)

	if code := srv.call("POST", "/api/rooms/"+room.ID+"/leave", bob.token, nil, nil); code != http.StatusNoContent {
		t.Fatalf("leave: %d", code)
	}
	p := payload(t, d.Wait(match{"ev": "event", "client": "alice", "name": "chat:memberLeft"}, waitFor))
	if !equalJSON(p, map[string]any{"roomId": room.ID, "userId": bob.ID, "name": "bob"}) {
		t.Errorf("chat:memberLeft = %v", p)
	}
	for _, c := range []string{"bob", "bob2"} {
		p := payload(t, d.Wait(match{"ev": "event", "client": c, "name": "chat:roomLeft"}, waitFor))
		if !equalJSON(p, map[string]any{"roomId": room.ID}) {
			t.Errorf("chat:roomLeft to %s = %v", c, p)
		}
	}
	d.Never(match{"ev": "event", "client": "alice", "name": "chat:userLeft"}, quiet)
	d.Never(match{"ev": "event", "client": "alice", "name": "chat:roomLeft"}, 0)
	d.Never(match{"ev": "event", "client": "bob", "name": "chat:memberLeft"}, 0)

	// The database and the API agree.
	if member, err := srv.app.store.IsMember(context.Background(), room.ID, bob.ID); member || err != nil {
		t.Errorf("bob is still a member: %v, %v", member, err)
	}
	var list struct{ Rooms []Room }
	if srv.call("GET", "/api/rooms", bob.token, nil, &list); len(list.Rooms) != 0 {
		t.Errorf("bob's rooms = %+v", list.Rooms)
	}
	if srv.call("GET", "/api/rooms", alice.token, nil, &list); len(list.Rooms) != 1 ||
		!equalJSON(list.Rooms[0].Members, []Author{{ID: alice.ID, Name: "alice"}}) {
		t.Errorf("alice's rooms = %+v", list.Rooms)
	}

	// Bob's sockets are out: no messages, no way back in without an invite.
	d.Emit("alice", "chat:message", map[string]any{"roomId": room.ID, "content": "bye bob"})
	d.Wait(match{"ev": "event", "client": "alice", "name": "chat:message"}, waitFor)
	d.Never(match{"ev": "event", "client": "bob", "name": "chat:message"}, quiet)
	d.Emit("bob", "chat:join", map[string]any{"roomId": room.ID})
	e := d.Wait(match{"ev": "event", "client": "bob", "name": "error"}, waitFor)
	if !equalJSON(e.Args(), []any{map[string]any{"message": "chat:join: you are not a member of this room"}}) {
		t.Errorf("join after leaving: error = %v", e.Args())
	}

	var res struct{ Error string }
	for _, c := range []struct {
		name, roomID, token string
		status              int
		error               string
	}{
		{"again", room.ID, bob.token, 403, "you are not a member of this room"},
		{"unknown room", "no-such-room", bob.token, 404, "room not found"},
		{"no token", room.ID, "", 401, "missing bearer token: send Authorization: Bearer <token from POST /api/login>"},
	} {
		res.Error = ""
		if got := srv.call("POST", "/api/rooms/"+c.roomID+"/leave", c.token, nil, &res); got != c.status || res.Error != c.error {
			t.Errorf("leave %s: %d %q, want %d %q", c.name, got, res.Error, c.status, c.error)
		}
	}
}
