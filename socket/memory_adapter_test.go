package socket

import (
	"cmp"
	"context"
	"slices"
	"testing"
)

// TestMemoryAdapterOwnRoom checks the room named by a socket's id, which
// the adapter does not store as a set: another socket can join it, its
// owner can leave it, and broadcasts, exceptions and room lists agree.
func TestMemoryAdapterOwnRoom(t *testing.T) {
	t.Parallel()
	srv, _ := connectedServer(t, 3, nil)
	nsp := srv.Of("/")
	socks := nsp.Sockets()
	slices.SortFunc(socks, func(x, y *Socket) int { return cmp.Compare(x.ID(), y.ID()) })
	a, b, c := socks[0], socks[1], socks[2]
	ctx := context.Background()

	targets := func(op BroadcastOperator) []string {
		t.Helper()
		rs, err := op.FetchSockets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		return ids
	}
	allRooms := func() []string {
		t.Helper()
		rooms, err := nsp.Adapter().AllRooms(ctx)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(rooms)
		return rooms
	}
	check := func(what string, got, want []string) {
		t.Helper()
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}

	check("To(a)", targets(nsp.To(a.ID())), []string{a.ID()})
	check("a.Rooms", sorted(a.Rooms()), []string{a.ID(), "bench"})
	check("AllRooms", allRooms(), []string{a.ID(), b.ID(), c.ID(), "bench"})

	b.Join(a.ID())
	check("To(a) after b joins it", targets(nsp.To(a.ID())), []string{a.ID(), b.ID()})
	check("Except(a) after b joins it", targets(nsp.Except(a.ID())), []string{c.ID()})
	check("To(a, b)", targets(nsp.To(a.ID(), b.ID())), []string{a.ID(), b.ID()})

	a.Leave(a.ID())
	check("To(a) after a leaves it", targets(nsp.To(a.ID())), []string{b.ID()})
	check("a.Rooms after leaving its own", sorted(a.Rooms()), []string{"bench"})
	check("AllRooms with a's room held by b", allRooms(), []string{a.ID(), b.ID(), c.ID(), "bench"})
	if a.InRoom(a.ID()) || !b.InRoom(a.ID()) {
		t.Errorf("InRoom: a in its room %v, b in a's room %v", a.InRoom(a.ID()), b.InRoom(a.ID()))
	}

	b.Leave(a.ID())
	check("AllRooms once nobody is in a's room", allRooms(), []string{b.ID(), c.ID(), "bench"})
	a.Join(a.ID())
	check("To(a) after a joins again", targets(nsp.To(a.ID())), []string{a.ID()})
}

func sorted(s []string) []string { slices.Sort(s); return s }
