package main

import (
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/envivo/socketio/adapter/redis"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/redispeer"
)

// TestTwoInstancesThroughRedis runs the chat as two instances on one
// database and one real redis-server, as -redis does: users on different
// instances share a room, its notices and its messages.
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
}
