package socket

import "sync/atomic"

// RoomEventKind says what happened to a room; see RoomEvent.
type RoomEventKind uint8

// The kinds of room events, as Node's adapter names them.
const (
	// RoomCreated: the room got its first member on this node
	// ("create-room").
	RoomCreated RoomEventKind = iota + 1
	// RoomDeleted: the room lost its last member on this node
	// ("delete-room").
	RoomDeleted
	// RoomJoined: a socket joined the room ("join-room").
	RoomJoined
	// RoomLeft: a socket left the room ("leave-room").
	RoomLeft
)

// String returns Node's name of the event, such as "join-room".
func (k RoomEventKind) String() string {
	switch k {
	case RoomCreated:
		return "create-room"
	case RoomDeleted:
		return "delete-room"
	case RoomJoined:
		return "join-room"
	case RoomLeft:
		return "leave-room"
	}
	return "unknown"
}

// RoomEvent is a change in the rooms of a namespace on this node.
type RoomEvent struct {
	Kind RoomEventKind
	// Room is the room's name; a socket's own room is named by its id.
	Room string
	// ID is the socket that joined or left; "" for RoomCreated and
	// RoomDeleted.
	ID string
}

// RoomEventHandler sees the room events of a namespace; see
// Namespace.OnRoomEvent.
type RoomEventHandler func(nsp *Namespace, ev RoomEvent)

// OnRoomEvent registers h to see the room changes of the namespace on this
// node, as Node's adapter events create-room, join-room, leave-room and
// delete-room: RoomJoined and RoomLeft once per socket and room (its own
// room included: a socket joins it when it connects and leaves it when it
// disconnects), RoomCreated before the first RoomJoined of a room and
// RoomDeleted after the last RoomLeft. Joins and leaves that other nodes
// ask for through a cluster adapter are events of the node that holds the
// socket. Handlers on the parent of dynamic namespaces see the events of
// every child.
//
// h runs synchronously on the goroutine that changed the rooms (a
// Socket.Join, a disconnection, an adapter call), after the adapter's lock
// is released, in the order of the changes of that call; changes made at
// the same time by other goroutines may interleave. h must not block: it
// delays the caller. Only the default in-memory adapter and the adapters
// built on it (adapter.NewLocal, as adapter/redis is) report room events.
func (n *Namespace) OnRoomEvent(h RoomEventHandler) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var hs []RoomEventHandler
	if p := n.roomHandlers.Load(); p != nil {
		hs = *p
	}
	hs = append(hs[:len(hs):len(hs)], h)
	n.roomHandlers.Store(&hs)
}

// roomEventsWanted reports whether any handler would see n's room events.
func (n *Namespace) roomEventsWanted() bool {
	return n.roomHandlers.Load() != nil || (n.parent != nil && n.parent.roomHandlers.Load() != nil)
}

// fireRoomEvents hands evs to the parent's handlers, then n's own.
func (n *Namespace) fireRoomEvents(evs []RoomEvent) {
	for _, hs := range []*atomic.Pointer[[]RoomEventHandler]{parentHandlers(n), &n.roomHandlers} {
		if hs == nil || hs.Load() == nil {
			continue
		}
		for _, h := range *hs.Load() {
			for _, ev := range evs {
				h(n, ev)
			}
		}
	}
}

func parentHandlers(n *Namespace) *atomic.Pointer[[]RoomEventHandler] {
	if n.parent == nil {
		return nil
	}
	return &n.parent.roomHandlers
}
