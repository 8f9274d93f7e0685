package main

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/envivo/socketio/adapter/redis"
	"github.com/envivo/socketio/examples/notifications/notify"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/redispeer"
)

// TestTwoInstancesThroughRedis runs the chat as two instances on one
// database and one real redis-server, as -redis does: users on different
// instances share a room, its notices and its messages; POST
// /api/notifications on one instance counts the user's sockets on the
// other; a leave through one instance takes the user's sockets on the
// other out of the room.
func TestTwoInstancesThroughRedis(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	r := redispeer.Start(t)
	db := filepath.Join(t.TempDir(), "chat.db")
	instance := func() *server {
		client := redis.NewClient(&redis.Options{Addr: r.Addr()})
		t.Cleanup(func() { _ = client.Close() })
		return startServerWith(t, Config{DB: db, Secret: testSecret, Adapter: redisadapter.New(client, nil)})
	}
	a, b := instance(), instance()
	alice, bob := a.login("alice"), b.login("bob")
	room := a.createRoom(alice, "general")
	a.invite(alice, room.ID, "bob")

	d := peer.Client(t)
	a.connect(d, "alice", alice, "")
	b.connect(d, "bob", bob, "")
	join(t, d, "alice", room.ID)
	join(t, d, "bob", room.ID)
	if p := payload(t, d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userJoined"}, waitFor)); p["userId"] != bob.ID {
		t.Errorf("chat:userJoined across instances = %v", p)
	}
	d.Emit("bob", "chat:message", map[string]any{"roomId": room.ID, "content": "from instance b"})
	for _, c := range []string{"alice", "bob"} {
		if m := payload(t, d.Wait(match{"ev": "event", "client": c, "name": "chat:message"}, waitFor)); m["content"] != "from instance b" {
			t.Errorf("chat:message to %s = %v", c, m)
		}
	}
	d.Emit("alice", "chat:typing", map[string]any{"roomId": room.ID})
	d.Wait(match{"ev": "event", "client": "bob", "name": "chat:typing"}, waitFor)

	// Bob's notifications socket is on b; the POST goes to a.
	b.connect(d, "bob-notes", bob, notify.Namespace)
	d.Wait(match{"ev": "event", "client": "bob-notes", "name": "notification:history"}, waitFor)
	var res notify.Response
	body := map[string]any{"userId": bob.ID, "title": "Hi", "message": "from instance a"}
	if code := a.call("POST", "/api/notifications", alice.token, body, &res); code != http.StatusAccepted || res.Sockets != 1 {
		t.Errorf("POST /api/notifications on a: %d %+v, want 202 and 1 socket (on b)", code, res)
	}
	if p := payload(t, d.Wait(match{"ev": "event", "client": "bob-notes", "name": "notification"}, waitFor)); p["id"] != res.Notification.ID {
		t.Errorf("notification across instances = %v", p)
	}

	// Bob leaves through a; his socket on b is taken out of the room.
	if code := a.call("POST", "/api/rooms/"+room.ID+"/leave", bob.token, nil, nil); code != http.StatusNoContent {
		t.Fatalf("leave on a: %d", code)
	}
	d.Wait(match{"ev": "event", "client": "bob", "name": "chat:roomLeft"}, waitFor)
	if p := payload(t, d.Wait(match{"ev": "event", "client": "alice", "name": "chat:memberLeft"}, waitFor)); p["userId"] != bob.ID {
		t.Errorf("chat:memberLeft across instances = %v", p)
	}
	d.Emit("alice", "chat:message", map[string]any{"roomId": room.ID, "content": "bye"})
	if m := payload(t, d.Wait(match{"ev": "event", "client": "alice", "name": "chat:message"}, waitFor)); m["content"] != "bye" {
		t.Errorf("chat:message to alice = %v", m)
	}
	d.Never(match{"ev": "event", "client": "bob", "name": "chat:message"}, quiet)
}
