package socket

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// roomLog records the room events of a namespace.
type roomLog struct {
	mu  sync.Mutex
	evs []RoomEvent
}

func (l *roomLog) record(_ *Namespace, ev RoomEvent) {
	l.mu.Lock()
	l.evs = append(l.evs, ev)
	l.mu.Unlock()
}

// take waits until n events are logged, then returns and forgets them.
func (l *roomLog) take(t *testing.T, n int) []RoomEvent {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		l.mu.Lock()
		if len(l.evs) >= n {
			got := l.evs[:n:n]
			l.evs = l.evs[n:]
			l.mu.Unlock()
			return got
		}
		l.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d room events, have %v", n, l.evs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRoomEvents drives joins, leaves and disconnections from the official
// client and checks the room events Node's adapter would emit: one join
// and leave per socket and room, the own room included, a room's creation
// before its first join and its deletion after its last leave, and nothing
// for a join that changes nothing.
func TestRoomEvents(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	srv := NewServer(nil)
	var log roomLog
	srv.Of("/").OnRoomEvent(log.record)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("join", func(s *Socket, args Args, ack AckFunc) {
			s.Join(args.String(0))
			_ = ack()
		})
		s.OnEvent("leave", func(s *Socket, args Args, ack AckFunc) {
			s.Leave(args.String(0))
			_ = ack()
		})
	})
	url := serve(t, srv)
	d := peer.Client(t)
	connect := func(name string) string {
		d.Connect(name, url, map[string]any{"transports": []string{"websocket"}})
		return d.Wait(match{"ev": "connect", "client": name}, waitFor).String("id")
	}
	call := func(client, event, room string) {
		d.EmitWithAck(client, client+event+room, event, 0, room)
		d.Wait(match{"ev": "ack", "ref": client + event + room}, waitFor)
	}
	check := func(what string, got []RoomEvent, want ...RoomEvent) { t.Helper(); checkRoomEvents(t, what, got, want) }

	a := connect("a")
	check("a connects", log.take(t, 2), RoomEvent{RoomCreated, a, ""}, RoomEvent{RoomJoined, a, a})
	call("a", "join", "r")
	check("a joins r", log.take(t, 2), RoomEvent{RoomCreated, "r", ""}, RoomEvent{RoomJoined, "r", a})
	call("a", "join", "r")
	b := connect("b")
	check("a joins r again, b connects", log.take(t, 2), RoomEvent{RoomCreated, b, ""}, RoomEvent{RoomJoined, b, b})
	call("b", "join", "r")
	check("b joins r", log.take(t, 1), RoomEvent{RoomJoined, "r", b})
	call("b", "join", a)
	check("b joins a's room", log.take(t, 1), RoomEvent{RoomJoined, a, b})
	call("a", "leave", "r")
	check("a leaves r", log.take(t, 1), RoomEvent{RoomLeft, "r", a})
	call("a", "leave", "nowhere")

	d.Disconnect("a")
	// a's own room lives on: b is in it.
	check("a disconnects", log.take(t, 1), RoomEvent{RoomLeft, a, a})
	if err := srv.Of("/").In(b).DisconnectSockets(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := log.take(t, 6)
	roomFirst(got[2:], "r") // b's other rooms are left in no particular order
	check("b is disconnected", got,
		RoomEvent{RoomLeft, b, b}, RoomEvent{RoomDeleted, b, ""},
		RoomEvent{RoomLeft, "r", b}, RoomEvent{RoomDeleted, "r", ""},
		RoomEvent{RoomLeft, a, b}, RoomEvent{RoomDeleted, a, ""})
	time.Sleep(50 * time.Millisecond)
	log.mu.Lock()
	check("nothing more", log.evs)
	log.mu.Unlock()
}

func checkRoomEvents(t *testing.T, what string, got, want []RoomEvent) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// roomFirst moves the events of room to the front, keeping the order of
// the others.
func roomFirst(evs []RoomEvent, room string) {
	slices.SortStableFunc(evs, func(x, y RoomEvent) int {
		switch {
		case x.Room == y.Room:
			return 0
		case x.Room == room:
			return -1
		case y.Room == room:
			return 1
		}
		return 0
	})
}

// TestRoomEventsDynamic checks that a handler on the parent of dynamic
// namespaces sees the events of a child, with the child as namespace.
func TestRoomEventsDynamic(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	srv := NewServer(nil)
	parent := srv.OfFunc(func(name string, _ json.RawMessage) bool { return name == "/dyn" })
	nsps := make(chan string, 4)
	parent.OnRoomEvent(func(nsp *Namespace, ev RoomEvent) { nsps <- nsp.Name() + " " + ev.Kind.String() })
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("a", url+"/dyn", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "a"}, waitFor)
	for _, want := range []string{"/dyn create-room", "/dyn join-room"} {
		select {
		case got := <-nsps:
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		case <-time.After(waitFor):
			t.Fatalf("no %q", want)
		}
	}
}
