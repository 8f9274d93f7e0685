package redisadapter

import "sync"

// roomIndex counts the local members of each room, for the dynamic
// subscription modes, which subscribe to a room's channel while it has
// local members. Its methods are safe for concurrent use; the callbacks
// run under its lock, so that the subscriptions of a room follow its
// joins and leaves in order.
type roomIndex struct {
	mu         sync.Mutex
	bySocket   map[string]map[string]struct{}
	members    map[string]int
	subscribed map[string]bool
}

// add records that socket id joined rooms. For each room that had no
// local member before, it calls created, which reports whether it
// subscribed to the room's channel.
func (x *roomIndex) add(id string, rooms []string, created func(room string) bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bySocket == nil {
		x.bySocket, x.members, x.subscribed = map[string]map[string]struct{}{}, map[string]int{}, map[string]bool{}
	}
	set := x.bySocket[id]
	if set == nil {
		set = make(map[string]struct{})
		x.bySocket[id] = set
	}
	for _, room := range rooms {
		if _, in := set[room]; in {
			continue
		}
		set[room] = struct{}{}
		x.members[room]++
		if x.members[room] == 1 && created(room) {
			x.subscribed[room] = true
		}
	}
}

// del records that socket id left rooms, or every room when rooms is nil.
// For each subscribed room left with no local member, it calls deleted.
func (x *roomIndex) del(id string, rooms []string, deleted func(room string)) {
	x.mu.Lock()
	defer x.mu.Unlock()
	set := x.bySocket[id]
	if rooms == nil {
		for room := range set {
			rooms = append(rooms, room)
		}
		delete(x.bySocket, id)
	}
	for _, room := range rooms {
		if _, in := set[room]; !in {
			continue
		}
		delete(set, room)
		x.members[room]--
		if x.members[room] > 0 {
			continue
		}
		delete(x.members, room)
		if x.subscribed[room] {
			delete(x.subscribed, room)
			deleted(room)
		}
	}
}

// subscribedRooms returns the rooms whose channels are subscribed.
func (x *roomIndex) subscribedRooms() []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]string, 0, len(x.subscribed))
	for room := range x.subscribed {
		out = append(out, room)
	}
	return out
}
