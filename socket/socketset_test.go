package socket

import (
	"strings"
	"sync/atomic"
	"testing"
)

// TestSocketSet: members are added once and removed in constant time,
// the index following the member moved into the hole.
func TestSocketSet(t *testing.T) {
	t.Parallel()
	s := make([]*Socket, 5)
	x := newSocketSet()
	for i := range s {
		s[i] = &Socket{id: string(rune('a' + i))}
		x.add(s[i])
		x.add(s[i])
	}
	x.remove(s[1])
	x.remove(s[1])
	x.remove(s[4])
	if x.len() != 3 || x.has(s[1]) || x.has(s[4]) || !x.has(s[0]) || !x.has(s[2]) || !x.has(s[3]) {
		t.Fatalf("after removals: %d members", x.len())
	}
	for i, m := range x.list {
		if x.at[m] != i {
			t.Errorf("index of %s is %d, at %d", m.id, x.at[m], i)
		}
	}
	var nilSet *socketSet
	if nilSet.has(s[0]) || nilSet.len() != 0 {
		t.Error("a room with no set has no member")
	}
}

// TestFanOutVisitsEachOnce: a list long enough to be split is visited
// once per socket, and fanOut returns only after every visit.
func TestFanOutVisitsEachOnce(t *testing.T) {
	t.Parallel()
	list := make([]*Socket, 4*fanOutChunk+7)
	seen := make([]atomic.Int32, len(list))
	for i := range list {
		list[i] = &Socket{}
	}
	index := make(map[*Socket]int, len(list))
	for i, s := range list {
		index[s] = i
	}
	fanOut(list, func(s *Socket) { seen[index[s]].Add(1) })
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("socket %d visited %d times", i, n)
		}
	}
}

// TestLargeBroadcastOrder: broadcasts to a room and to the namespace
// large enough to be fanned out reach every socket, in the order they
// were emitted, and an except room is honoured.
func TestLargeBroadcastOrder(t *testing.T) {
	const n = 2*fanOutChunk + 100
	srv, sessions := connectedServer(t, n, &Options{EngineOptions: EngineOptions{WriteQueueSize: 16}})
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	srv.Of("/").Sockets()[0].Join("quiet")
	for _, op := range []func() error{
		func() error { return srv.To("bench").Emit("m", 1) },
		func() error { return srv.Emit("m", 2) },
		func() error { return srv.To("bench").Except("quiet").Emit("m", 3) },
		func() error { return srv.Emit("m", 4) },
	} {
		if err := op(); err != nil {
			t.Fatal(err)
		}
	}
	quiet := 0
	for i, s := range sessions {
		got := s.drain()
		want := `42["m",1]` + "\x1e" + `42["m",2]` + "\x1e" + `42["m",3]` + "\x1e" + `42["m",4]`
		if got == `42["m",1]`+"\x1e"+`42["m",2]`+"\x1e"+`42["m",4]` {
			quiet++
			continue
		}
		if !strings.HasSuffix(got, want) {
			t.Fatalf("session %d got %q, want %q", i, got, want)
		}
	}
	if quiet != 1 {
		t.Errorf("%d sockets skipped the except broadcast, want 1", quiet)
	}
}
