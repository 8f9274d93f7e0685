package socket

import (
	"context"
	"encoding/json"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWithOffset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`["a"]`, `["a","7"]`},
		{`["a",1,{"b":[2]}]`, `["a",1,{"b":[2]},"7"]`},
		{`["a",{"_placeholder":true,"num":0}] ` + "\n", `["a",{"_placeholder":true,"num":0},"7"]`},
	} {
		p := &Packet{nsp: "/", data: json.RawMessage(tc.in)}
		if got := string(p.withOffset(7).data); got != tc.want {
			t.Errorf("withOffset(%s) = %s, want %s", tc.in, got, tc.want)
		}
		if string(p.data) != tc.in {
			t.Errorf("withOffset modified its packet: %s", p.data)
		}
	}
}

func TestRecoveryAuth(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		auth string
		ok   bool
	}{
		{`{"pid":"p","offset":"1","token":"x"}`, true},
		{`{"pid":"p"}`, false},
		{`{"pid":"p","offset":1}`, false},
		{`{"pid":null,"offset":"1"}`, false},
		{`[]`, false},
		{``, false},
	} {
		if _, _, ok := recoveryAuth(json.RawMessage(tc.auth)); ok != tc.ok {
			t.Errorf("recoveryAuth(%s): ok %v, want %v", tc.auth, ok, tc.ok)
		}
	}
}

func TestSelects(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rooms, except string
		want          bool
	}{
		{"", "", true},
		{"a", "", true},
		{"x,b", "", true},
		{"x", "", false},
		{"", "b", false},
		{"a", "x", true},
	} {
		opts := BroadcastOptions{Rooms: split(tc.rooms), Except: split(tc.except)}
		if got := selects(opts, []string{"id", "a", "b"}); got != tc.want {
			t.Errorf("selects(%+v): %v, want %v", opts, got, tc.want)
		}
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// testStore is a store with a clock the test moves.
func testStore(maxPackets, maxSessions int) (*recoveryStore, *time.Time) {
	cfg := ConnectionStateRecovery{MaxPackets: maxPackets, MaxSessions: maxSessions}.withDefaults()
	r := newRecoveryStore(cfg)
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	return r, &now
}

// storeEvents broadcasts n events to opts and returns the offsets given.
func storeEvents(r *recoveryStore, n int, opts BroadcastOptions) []string {
	var offsets []string
	for i := range n {
		p, _ := newEventPacket("/", "e", i)
		r.broadcast(p, opts, func(q *Packet) {
			var args []any
			_ = json.Unmarshal(q.data, &args)
			offsets = append(offsets, args[len(args)-1].(string))
		})
	}
	return offsets
}

// restored restores pid from offset and returns the event numbers missed,
// or nil, false.
func restored(r *recoveryStore, pid, offset string) ([]int, bool) {
	var got []int
	ok := r.restore(pid, offset, func(_ *Session, missed []*Packet) {
		got = []int{}
		for _, p := range missed {
			var args []any
			_ = json.Unmarshal(p.data, &args)
			got = append(got, int(args[1].(float64)))
		}
	})
	return got, ok
}

func TestRecoveryStore(t *testing.T) {
	t.Parallel()
	t.Run("replay by rooms, once", func(t *testing.T) {
		r, _ := testStore(0, 0)
		offs := storeEvents(r, 1, BroadcastOptions{})
		r.persist(&Session{ID: "s", PID: "p", Rooms: []string{"s", "a"}})
		storeEvents(r, 1, BroadcastOptions{Rooms: []string{"a"}})
		storeEvents(r, 1, BroadcastOptions{Rooms: []string{"b"}})
		storeEvents(r, 1, BroadcastOptions{Except: []string{"a"}})
		storeEvents(r, 1, BroadcastOptions{Rooms: []string{"s"}})
		got, ok := restored(r, "p", offs[0])
		if !ok || !slices.Equal(got, []int{0, 0}) {
			t.Fatalf("restore: %v %v, want the events to a and to s", got, ok)
		}
		if _, ok := restored(r, "p", offs[0]); ok {
			t.Fatal("a session was restored twice")
		}
	})
	t.Run("offsets", func(t *testing.T) {
		r, _ := testStore(3, 0)
		offs := storeEvents(r, 5, BroadcastOptions{})
		for _, off := range []string{offs[0], offs[1], "", "x", "-1", "99", strconv.Itoa(1 << 62)} {
			r.persist(&Session{ID: "s", PID: "p"})
			if _, ok := restored(r, "p", off); ok {
				t.Errorf("offset %q: restored, want refused (kept: %v)", off, offs[2:])
			}
		}
		r.persist(&Session{ID: "s", PID: "p"})
		if got, ok := restored(r, "p", offs[2]); !ok || !slices.Equal(got, []int{3, 4}) {
			t.Fatalf("offset %s: %v %v", offs[2], got, ok)
		}
	})
	t.Run("expiry", func(t *testing.T) {
		r, now := testStore(0, 0)
		offs := storeEvents(r, 1, BroadcastOptions{})
		r.persist(&Session{ID: "s", PID: "p"})
		*now = now.Add(2*time.Minute + time.Millisecond)
		if _, ok := restored(r, "p", offs[0]); ok {
			t.Fatal("an expired session was restored")
		}
		if len(r.sessions) != 0 || len(r.packets) != 0 {
			t.Fatalf("kept %d sessions and %d packets after expiry", len(r.sessions), len(r.packets))
		}
	})
	t.Run("session count", func(t *testing.T) {
		r, _ := testStore(0, 10)
		offs := storeEvents(r, 1, BroadcastOptions{})
		for i := range 100 {
			r.persist(&Session{ID: "s", PID: strconv.Itoa(i)})
		}
		if _, ok := restored(r, "89", offs[0]); ok {
			t.Fatal("restored a session beyond MaxSessions")
		}
		if _, ok := restored(r, "90", offs[0]); !ok {
			t.Fatal("did not restore one of the last MaxSessions sessions")
		}
	})
}

// TestRecoveryFloodBoundsHeap floods a namespace with broadcasts, and the
// store with sessions persisted and restored, while a client is away: the
// heap grows by what the bounds allow, not by what was sent.
func TestRecoveryFloodBoundsHeap(t *testing.T) {
	srv := NewServer(&Options{ConnectionStateRecovery: &ConnectionStateRecovery{MaxPackets: 1000, MaxSessions: 1000}})
	defer srv.Shutdown(context.Background())
	store := srv.main.Adapter().(SessionStore)
	store.PersistSession(&Session{ID: "away", PID: "away", Rooms: []string{"away"}})
	payload := strings.Repeat("x", 256)
	before := heapInUse()
	const n = 100000 // unbounded, about 40 MB
	for i := range n {
		if err := srv.Emit("flood", i, payload); err != nil {
			t.Fatal(err)
		}
		pid := strconv.Itoa(i)
		store.PersistSession(&Session{ID: pid, PID: pid, Rooms: []string{pid, "room"}})
		if i%2 == 0 {
			_, _ = store.RestoreSession(context.Background(), pid, "1", func(*Session, []*Packet) {})
		}
	}
	grown := heapInUse() - before
	t.Logf("heap grew by %d KB over %d broadcasts and sessions", grown>>10, n)
	if grown > 8<<20 {
		t.Fatalf("heap grew by %d KB over %d broadcasts and sessions", grown>>10, n)
	}
	if ok, _ := store.RestoreSession(context.Background(), "away", "1", nil); ok {
		t.Fatal("restored a session whose offset the bound dropped")
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// FuzzRecoveryAuth feeds a CONNECT auth from the network to the recovery
// path: it never panics, and a session is recovered only with its pid and
// an offset the store holds.
func FuzzRecoveryAuth(f *testing.F) {
	f.Add(`{"pid":"p","offset":"2"}`)
	f.Add(`{"pid":"p","offset":"1","token":{"a":[1]}}`)
	f.Add(`{"pid":"p","offset":"18446744073709551615"}`)
	f.Add(`{"pid":"p","offset":"+2"}`)
	f.Add(`{"pid":["p"],"offset":"2"}`)
	f.Fuzz(func(t *testing.T, auth string) {
		r, _ := testStore(3, 0)
		offs := storeEvents(r, 4, BroadcastOptions{})
		r.persist(&Session{ID: "s", PID: "p", Rooms: []string{"s"}})
		pid, offset, ok := recoveryAuth(json.RawMessage(auth))
		if !ok {
			return
		}
		got, ok := restored(r, pid, offset)
		valid := pid == "p" && slices.Contains(offs[1:], offset)
		if ok != valid {
			t.Fatalf("pid %q offset %q: restored %v, want %v", pid, offset, ok, valid)
		}
		if ok && len(got) != len(offs)-1-slices.Index(offs, offset) {
			t.Fatalf("offset %q: replayed %v", offset, got)
		}
	})
}
