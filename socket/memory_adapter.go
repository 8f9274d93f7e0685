package socket

import (
	"context"
	"sync"
)

// memoryAdapter is the default Adapter: it keeps the rooms of one namespace
// in this process. A room's members are indexed, so a broadcast to a room
// touches only its members; broadcasts share a read lock and only joins and
// leaves take the write lock, each briefly. Cluster adapters use it for
// the local part of their work, through adapter.NewLocal.
//
// The room named by a socket's own id, which every socket is in, is not
// stored as a set: the socket's entry stands for it, so that a connection
// costs no room of its own.
type memoryAdapter struct {
	nsp   *Namespace
	store *recoveryStore // nil unless connection state recovery is on

	mu      sync.RWMutex
	rooms   map[string]*socketSet // other rooms than the sockets' own
	members map[string]*member    // by socket id
}

type member struct {
	socket *Socket
	inOwn  bool                // in the room named by its id
	rooms  map[string]struct{} // its other rooms; made on the first join
}

// newMemoryAdapter returns an empty adapter for nsp. When the server has
// Options.ConnectionStateRecovery set, it is the SessionStore of the
// namespace: it keeps the sessions of sockets that left and the packets
// they may miss, within the bounds set there.
func newMemoryAdapter(nsp *Namespace) *memoryAdapter {
	a := &memoryAdapter{
		nsp:     nsp,
		rooms:   make(map[string]*socketSet),
		members: make(map[string]*member),
	}
	if cfg := nsp.server.opts.ConnectionStateRecovery; cfg != nil {
		a.store = newRecoveryStore(*cfg)
	}
	return a
}

// AddAll implements Adapter. An id that is not a connected socket of the
// namespace is ignored. It reports room events (see Namespace.OnRoomEvent).
func (a *memoryAdapter) AddAll(id string, rooms ...string) {
	s := a.nsp.Socket(id)
	if s == nil {
		return
	}
	evs := a.roomEvents()
	a.mu.Lock()
	m := a.members[id]
	if m == nil {
		m = &member{socket: s}
		a.members[id] = m
	}
	for _, room := range rooms {
		existed, was := a.roomExistsLocked(room), m.in(room)
		a.addLocked(m, room)
		if !existed {
			evs.add(RoomCreated, room, "")
		}
		if !was {
			evs.add(RoomJoined, room, id)
		}
	}
	a.mu.Unlock()
	evs.fire(a.nsp)
}

func (a *memoryAdapter) addLocked(m *member, room string) {
	if room == m.socket.id {
		m.inOwn = true
		return
	}
	if m.rooms == nil {
		m.rooms = make(map[string]struct{})
	}
	m.rooms[room] = struct{}{}
	set := a.rooms[room]
	if set == nil {
		set = newSocketSet()
		a.rooms[room] = set
	}
	set.add(m.socket)
}

// Del implements Adapter. It reports room events.
func (a *memoryAdapter) Del(id, room string) {
	evs := a.roomEvents()
	a.mu.Lock()
	if m := a.members[id]; m != nil && m.in(room) {
		if room == id {
			m.inOwn = false
		} else {
			delete(m.rooms, room)
			a.leaveLocked(m.socket, room)
		}
		a.leftLocked(evs, room, id)
	}
	a.mu.Unlock()
	evs.fire(a.nsp)
}

// DelAll implements Adapter. It reports room events.
func (a *memoryAdapter) DelAll(id string) {
	evs := a.roomEvents()
	a.mu.Lock()
	if m := a.members[id]; m != nil {
		delete(a.members, id)
		if m.inOwn {
			a.leftLocked(evs, id, id)
		}
		for room := range m.rooms {
			a.leaveLocked(m.socket, room)
			a.leftLocked(evs, room, id)
		}
	}
	a.mu.Unlock()
	evs.fire(a.nsp)
}

func (a *memoryAdapter) leaveLocked(s *Socket, room string) {
	set := a.rooms[room]
	if set == nil {
		return
	}
	set.remove(s)
	if set.len() == 0 {
		delete(a.rooms, room)
	}
}

// leftLocked records that id left room, and the room's end if it has no
// member left.
func (a *memoryAdapter) leftLocked(evs *roomEvents, room, id string) {
	evs.add(RoomLeft, room, id)
	if !a.roomExistsLocked(room) {
		evs.add(RoomDeleted, room, "")
	}
}

// roomExistsLocked reports whether room has a member.
func (a *memoryAdapter) roomExistsLocked(room string) bool {
	if a.rooms[room].len() > 0 {
		return true
	}
	m := a.members[room]
	return m != nil && m.inOwn
}

func (m *member) in(room string) bool {
	if room == m.socket.id {
		return m.inOwn
	}
	_, in := m.rooms[room]
	return in
}

// roomEvents collects the room events of one adapter call, to be fired
// once the lock is released. A nil *roomEvents, when nobody listens,
// collects nothing.
type roomEvents struct{ list []RoomEvent }

// roomEvents returns a collector, nil when the namespace has no room
// event handler.
func (a *memoryAdapter) roomEvents() *roomEvents {
	if !a.nsp.roomEventsWanted() {
		return nil
	}
	return &roomEvents{}
}

func (e *roomEvents) add(kind RoomEventKind, room, id string) {
	if e != nil {
		e.list = append(e.list, RoomEvent{Kind: kind, Room: room, ID: id})
	}
}

func (e *roomEvents) fire(nsp *Namespace) {
	if e != nil && len(e.list) > 0 {
		nsp.fireRoomEvents(e.list)
	}
}

// SocketRooms implements Adapter.
func (a *memoryAdapter) SocketRooms(id string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	m := a.members[id]
	if m == nil {
		return nil
	}
	rooms := make([]string, 0, len(m.rooms)+1)
	if m.inOwn {
		rooms = append(rooms, id)
	}
	for room := range m.rooms {
		rooms = append(rooms, room)
	}
	return rooms
}

// Broadcast implements Adapter. The packet is encoded once and the same
// bytes are queued for every recipient; a recipient that cannot keep up is
// disconnected by its own connection and slows nobody else. With
// connection state recovery on, a packet that is not volatile gets its
// offset and is kept (see SessionStore); such broadcasts are then
// delivered one at a time per namespace.
func (a *memoryAdapter) Broadcast(_ context.Context, p *Packet, opts BroadcastOptions) error {
	if a.store != nil && !opts.Flags.Volatile {
		var err error
		a.store.broadcast(p, opts, func(q *Packet) { err = a.deliver(q, opts) })
		return err
	}
	return a.deliver(p, opts)
}

// Deliver implements adapter.Local: Broadcast without the numbering and
// keeping of connection state recovery.
func (a *memoryAdapter) Deliver(p *Packet, opts BroadcastOptions) error { return a.deliver(p, opts) }

// deliver queues p for every local socket opts selects.
func (a *memoryAdapter) deliver(p *Packet, opts BroadcastOptions) error {
	msgs, err := p.messages(a.nsp.server.opts.Parser)
	if err != nil {
		return err
	}
	if uncompressed(opts.Flags) {
		msgs = noCompress(msgs)
	}
	volatile := opts.Flags.Volatile
	var mu sync.Mutex     // guards watched: several goroutines may deliver
	var watched []*Socket // with OnAnyOutgoing handlers, told outside the lock
	a.fanOutEach(opts, func(s *Socket) {
		if volatile && !s.conn.Writable() {
			return
		}
		if s.hasOutgoing.Load() {
			mu.Lock()
			watched = append(watched, s)
			mu.Unlock()
		}
		_ = s.sendBatched(msgs)
	})
	for _, s := range watched {
		s.notifyOutgoing(p.data, p.attachments)
	}
	return nil
}

// PersistSession implements SessionStore. It does nothing unless
// connection state recovery is on.
func (a *memoryAdapter) PersistSession(s *Session) {
	if a.store != nil {
		a.store.persist(s)
	}
}

// RestoreSession implements SessionStore. It returns false unless
// connection state recovery is on.
func (a *memoryAdapter) RestoreSession(_ context.Context, pid, offset string, resume func(*Session, []*Packet)) (bool, error) {
	if a.store == nil {
		return false, nil
	}
	return a.store.restore(pid, offset, resume), nil
}

// BroadcastWithAck implements Adapter. Each recipient gets the packet with
// an ack id of its own, so the encoding is per recipient.
func (a *memoryAdapter) BroadcastWithAck(ctx context.Context, p *Packet, opts BroadcastOptions, acks AckReceiver) error {
	targets := a.Sockets(opts)
	acks.Expect(len(targets))
	for _, s := range targets {
		s.notifyOutgoing(p.data, p.attachments)
		id := s.expectAckUntil(ctx, acks.Reply)
		msgs, err := p.withID(a.nsp.server.opts.Parser, id)
		if err != nil {
			s.dropAck(id)
			return err
		}
		if uncompressed(opts.Flags) {
			msgs = noCompress(msgs)
		}
		if s.send(msgs) != nil {
			s.dropAck(id)
		}
	}
	return nil
}

// FetchSockets implements Adapter.
func (a *memoryAdapter) FetchSockets(_ context.Context, opts BroadcastOptions) ([]*RemoteSocket, error) {
	targets := a.Sockets(opts)
	out := make([]*RemoteSocket, 0, len(targets))
	for _, s := range targets {
		out = append(out, &RemoteSocket{
			ID:        s.id,
			Handshake: s.handshake,
			Rooms:     s.Rooms(),
			Data:      s.dataSnapshot(),
			nsp:       a.nsp,
		})
	}
	return out, nil
}

// AddSockets implements Adapter.
func (a *memoryAdapter) AddSockets(_ context.Context, opts BroadcastOptions, rooms []string) error {
	for _, s := range a.Sockets(opts) {
		a.AddAll(s.id, rooms...)
	}
	return nil
}

// DelSockets implements Adapter.
func (a *memoryAdapter) DelSockets(_ context.Context, opts BroadcastOptions, rooms []string) error {
	for _, s := range a.Sockets(opts) {
		for _, room := range rooms {
			a.Del(s.id, room)
		}
	}
	return nil
}

// DisconnectSockets implements Adapter.
func (a *memoryAdapter) DisconnectSockets(_ context.Context, opts BroadcastOptions, close bool) error {
	for _, s := range a.Sockets(opts) {
		if close {
			s.CloseConnection()
		} else {
			s.Disconnect()
		}
	}
	return nil
}

// AllRooms implements Adapter: the rooms of this process.
func (a *memoryAdapter) AllRooms(context.Context) ([]string, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	rooms := make([]string, 0, len(a.rooms)+len(a.members))
	for room := range a.rooms {
		rooms = append(rooms, room)
	}
	for id, m := range a.members {
		if _, dup := a.rooms[id]; m.inOwn && !dup {
			rooms = append(rooms, id)
		}
	}
	return rooms, nil
}

// ServerCount implements Adapter: one.
func (a *memoryAdapter) ServerCount(context.Context) (int, error) { return 1, nil }

// ServerSideEmit implements Adapter: there are no other nodes, so nothing
// is sent and no answer is expected.
func (a *memoryAdapter) ServerSideEmit(_ context.Context, _ *Packet, acks AckReceiver) error {
	if acks != nil {
		acks.Expect(0)
	}
	return nil
}

// Close implements Adapter; it has nothing to release.
func (a *memoryAdapter) Close() error { return nil }

// Sockets returns the local sockets opts selects, whatever opts.Flags say
// (package adapter's Local interface).
func (a *memoryAdapter) Sockets(opts BroadcastOptions) []*Socket {
	var out []*Socket
	a.forEach(opts, func(s *Socket) { out = append(out, s) })
	return out
}

// forEach calls f for each local socket opts selects, under the read lock:
// f must not join or leave rooms.
func (a *memoryAdapter) forEach(opts BroadcastOptions, f func(s *Socket)) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	a.walkLocked(opts, f)
}

// fanOutEach is forEach for a delivery. It takes the selection under the
// read lock and calls f outside it, so that the writes a delivery may do
// (to quiet connections, at once) do not hold up joins and leaves; a
// large selection is walked by several goroutines (see fanOut), so f must
// be safe for concurrent use on different sockets. A socket that leaves
// while f runs may still get the delivery, as it may when it leaves just
// after.
func (a *memoryAdapter) fanOutEach(opts BroadcastOptions, f func(s *Socket)) {
	list := recipientLists.Get().(*[]*Socket)
	a.mu.RLock()
	*list = a.selectLocked(opts, *list)
	a.mu.RUnlock()
	fanOut(*list, f)
	clear(*list)
	*list = (*list)[:0]
	recipientLists.Put(list)
}

// recipientLists holds the selections of fanOutEach.
var recipientLists = sync.Pool{New: func() any { return new([]*Socket) }}

// selectLocked appends the local sockets opts selects to list; a.mu is
// held. A room with no exceptions, the common broadcast, is one copy.
func (a *memoryAdapter) selectLocked(opts BroadcastOptions, list []*Socket) []*Socket {
	if len(opts.Rooms) == 1 && len(opts.Except) == 0 {
		r := a.roomLocked(opts.Rooms[0])
		if r.set != nil {
			list = append(list, r.set.list...)
		}
		if r.owner != nil {
			list = append(list, r.owner)
		}
		return list
	}
	a.walkLocked(opts, func(s *Socket) { list = append(list, s) })
	return list
}

// walkLocked calls f for each local socket opts selects; a.mu is held.
func (a *memoryAdapter) walkLocked(opts BroadcastOptions, f func(s *Socket)) {
	except := a.exceptLocked(opts.Except)
	visit := func(s *Socket) {
		if !except.has(s) {
			f(s)
		}
	}
	switch len(opts.Rooms) {
	case 0:
		for _, m := range a.members {
			visit(m.socket)
		}
	case 1:
		a.roomLocked(opts.Rooms[0]).each(visit)
	default:
		seen := make(map[*Socket]struct{})
		for _, room := range opts.Rooms {
			a.roomLocked(room).each(func(s *Socket) {
				if _, dup := seen[s]; !dup {
					seen[s] = struct{}{}
					visit(s)
				}
			})
		}
	}
}

// roomMembers is the sockets of one room or more: a stored set, or a set
// made for the occasion, plus the socket whose id names the room, if it is
// in it.
type roomMembers struct {
	set   *socketSet
	made  map[*Socket]struct{}
	owner *Socket
}

// roomLocked returns the members of room.
func (a *memoryAdapter) roomLocked(room string) roomMembers {
	r := roomMembers{set: a.rooms[room]}
	if m := a.members[room]; m != nil && m.inOwn {
		r.owner = m.socket
	}
	return r
}

func (r roomMembers) has(s *Socket) bool {
	if _, in := r.made[s]; in || r.set.has(s) {
		return true
	}
	return s == r.owner && s != nil
}

func (r roomMembers) each(f func(s *Socket)) {
	if r.set != nil {
		for _, s := range r.set.list {
			f(s)
		}
	}
	if r.owner != nil {
		f(r.owner)
	}
}

// exceptLocked returns the sockets in any of rooms.
func (a *memoryAdapter) exceptLocked(rooms []string) roomMembers {
	switch len(rooms) {
	case 0:
		return roomMembers{}
	case 1:
		return a.roomLocked(rooms[0])
	}
	made := make(map[*Socket]struct{})
	for _, room := range rooms {
		a.roomLocked(room).each(func(s *Socket) { made[s] = struct{}{} })
	}
	return roomMembers{made: made}
}
