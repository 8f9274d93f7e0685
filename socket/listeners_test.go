package socket

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// outgoingLog records what OnAnyOutgoing handlers see.
type outgoingLog struct {
	mu  sync.Mutex
	got []string
}

func (l *outgoingLog) handler(tag string) AnyHandler {
	return func(_ *Socket, event string, args Args) {
		l.mu.Lock()
		raw, _ := args.Encode()
		l.got = append(l.got, fmt.Sprintf("%s:%s%s", tag, event, raw))
		l.mu.Unlock()
	}
}

func (l *outgoingLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

// TestOutgoingListeners: OnAnyOutgoing and PrependAnyOutgoing see, in
// their order, every event the client receives: direct emits, emits with
// ack, broadcasts to the namespace, to a room, volatile and uncompressed
// ones; removed handlers see nothing more.
func TestOutgoingListeners(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	log := &outgoingLog{}
	sockets := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) {
		s.Join("room")
		sockets <- s
	})
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("c", url, map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
	s := wait(t, sockets)
	removeLast := s.OnAnyOutgoing(log.handler("last"))
	removeFirst := s.PrependAnyOutgoing(log.handler("first"))

	emits := []struct {
		name string
		emit func() error
		want string
	}{
		{"direct", func() error { return s.Emit("a", 1, []byte{7}) }, `a[1,{"_placeholder":true,"num":0}]`},
		{"namespace", func() error { return srv.Emit("b", "x") }, `b["x"]`},
		{"room", func() error { return srv.To("room").Emit("c") }, `c[]`},
		{"volatile", func() error { return s.Volatile().Emit("d", 2) }, `d[2]`},
		{"uncompressed", func() error { return s.Compress(false).Emit("e", 3) }, `e[3]`},
	}
	for _, e := range emits {
		// A volatile emit is dropped while a write is in flight, as in
		// Node; the flusher of the last event may still be ending after
		// the client has it.
		eventually(t, "the connection writable", func() bool { return s.client.conn.Writable() })
		if err := e.emit(); err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		d.Wait(match{"ev": "event", "name": e.want[:1]}, waitFor)
		if got, want := log.take(), []string{"first:" + e.want, "last:" + e.want}; !slices.Equal(got, want) {
			t.Errorf("%s: listeners saw %q, want %q", e.name, got, want)
		}
	}
	go func() { _, _ = s.EmitWithAck(s.Context(), "f", 4) }()
	ev := d.Wait(match{"ev": "event", "name": "f"}, waitFor)
	d.Ack("c", ev.Int("ackRef"))
	if got := log.take(); !slices.Equal(got, []string{"first:f[4]", "last:f[4]"}) {
		t.Errorf("EmitWithAck: listeners saw %q", got)
	}

	removeFirst()
	removeFirst() // a second call does nothing
	_ = s.Emit("g")
	d.Wait(match{"ev": "event", "name": "g"}, waitFor)
	if got := log.take(); !slices.Equal(got, []string{"last:g[]"}) {
		t.Errorf("after removing one: %q", got)
	}
	removeLast()
	s.OnAnyOutgoing(log.handler("again"))
	s.OffAnyOutgoing()
	_ = srv.Emit("h")
	d.Wait(match{"ev": "event", "name": "h"}, waitFor)
	if got := log.take(); len(got) != 0 {
		t.Errorf("after OffAnyOutgoing: %q", got)
	}
}

// TestIncomingListenerRemoval: OnAny, PrependAny and their remove funcs,
// OffAny and RemoveAllListeners, with events from the official client.
func TestIncomingListenerRemoval(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	log := &outgoingLog{}
	sockets := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("echo", func(_ *Socket, args Args, ack AckFunc) { _ = ack(args.Values()...) })
		sockets <- s
	})
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("c", url, map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
	s := wait(t, sockets)
	removeLast := s.OnAny(log.handler("last"))
	s.PrependAny(log.handler("first"))

	d.EmitWithAck("c", "1", "echo", 0, 1)
	d.Wait(match{"ev": "ack", "ref": "1"}, waitFor)
	if got := log.take(); !slices.Equal(got, []string{"first:echo[1]", "last:echo[1]"}) {
		t.Errorf("OnAny handlers saw %q", got)
	}
	removeLast()
	d.EmitWithAck("c", "2", "echo", 0, 2)
	d.Wait(match{"ev": "ack", "ref": "2"}, waitFor)
	if got := log.take(); !slices.Equal(got, []string{"first:echo[2]"}) {
		t.Errorf("after removing one: %q", got)
	}
	s.OffAny()
	s.OnAnyOutgoing(log.handler("out"))
	s.RemoveAllListeners()
	d.EmitWithAck("c", "3", "echo", 300*time.Millisecond, 3)
	d.Wait(match{"ev": "ack_error", "ref": "3"}, waitFor) // no handler is left to answer
	_ = s.Emit("x")
	d.Wait(match{"ev": "event", "name": "x"}, waitFor)
	if got := log.take(); len(got) != 0 {
		t.Errorf("after OffAny and RemoveAllListeners: %q", got)
	}
	if !s.Connected() {
		t.Error("removing listeners disconnected the socket")
	}
}
