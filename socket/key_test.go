package socket

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

type keyUser struct {
	ID    string `json:"id"`
	Admin bool   `json:"admin"`
}

// TestKey: a typed slot reads back what was set, says false when nothing
// was or the value does not convert, and a snapshot in the JSON form that
// cluster adapters decode gives the typed value back too.
func TestKey(t *testing.T) {
	t.Parallel()
	userKey := Key[keyUser]{Name: "user"}
	countKey := Key[int]{Name: "user"} // same name, another type
	missing := Key[string]{Name: "missing"}
	srv := NewServer(nil)
	type result struct {
		user      keyUser
		ok, count bool
		missingOK bool
		remote    keyUser
		remoteOK  bool
	}
	results := make(chan result, 1)
	srv.OnConnection(func(s *Socket) {
		userKey.Set(s, keyUser{ID: "u1", Admin: true})
		var r result
		r.user, r.ok = userKey.Get(s)
		_, r.count = countKey.Get(s)
		_, r.missingOK = missing.Get(s)
		snaps, err := srv.FetchSockets(context.Background())
		if err != nil || len(snaps) != 1 {
			t.Errorf("FetchSockets: %v, %d", err, len(snaps))
			results <- r
			return
		}
		// What a cluster adapter does with another node's answer.
		b, _ := json.Marshal(snaps[0])
		var decoded RemoteSocket
		if err := json.Unmarshal(b, &decoded); err != nil {
			t.Error(err)
		}
		r.remote, r.remoteOK = userKey.Remote(&decoded)
		results <- r
	})
	dialWS(t, serve(t, srv), 0)
	r := wait(t, results)
	want := keyUser{ID: "u1", Admin: true}
	if !r.ok || r.user != want {
		t.Errorf("Get = %+v, %v", r.user, r.ok)
	}
	if r.count || r.missingOK {
		t.Errorf("Get of another type = %v, of nothing = %v; want false", r.count, r.missingOK)
	}
	if !r.remoteOK || r.remote != want {
		t.Errorf("Remote of a decoded snapshot = %+v, %v", r.remote, r.remoteOK)
	}
}

// TestUnboundRemoteSocket: a RemoteSocket made by hand fails rather than
// panics.
func TestUnboundRemoteSocket(t *testing.T) {
	var r RemoteSocket
	if err := r.Emit("e"); !errors.Is(err, ErrUnboundRemoteSocket) {
		t.Errorf("Emit = %v", err)
	}
	if err := r.Join(context.Background(), "room"); !errors.Is(err, ErrUnboundRemoteSocket) {
		t.Errorf("Join = %v", err)
	}
}
