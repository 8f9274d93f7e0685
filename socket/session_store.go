package socket

import (
	"slices"
	"strconv"
	"sync"
	"time"
)

// recoveryStore is memoryAdapter's SessionStore: the packets broadcast
// while recovery is on, numbered by consecutive offsets, and the sessions
// of sockets that left. Both are bounded by age and by count; expired
// entries are dropped on the next broadcast, persist or restore, so an
// idle store keeps at most what the counts allow.
//
// mu is held while a kept packet is delivered, and while a restored socket
// joins its rooms: a socket sees kept packets in offset order, and a
// recovering one gets each packet once (see SessionStore). Lock order:
// recoveryStore.mu, then memoryAdapter.mu, then the connections' locks.
type recoveryStore struct {
	cfg ConnectionStateRecovery
	now func() time.Time

	mu       sync.Mutex
	packets  []storedPacket // oldest first; packets[i] has offset first+i
	first    uint64         // offset of packets[0]
	sessions map[string]*storedSession
	order    []*storedSession // sessions by disconnection time, with stale ones
	stale    int              // entries of order no longer in sessions
}

type storedPacket struct {
	at     time.Time
	opts   BroadcastOptions
	packet *Packet // without its encoded messages, which replay makes again
}

type storedSession struct {
	at      time.Time
	session *Session
}

func newRecoveryStore(cfg ConnectionStateRecovery) *recoveryStore {
	return &recoveryStore{cfg: cfg, now: time.Now, first: 1, sessions: make(map[string]*storedSession)}
}

// broadcast numbers p, keeps it and hands it to deliver, all under mu.
func (r *recoveryStore) broadcast(p *Packet, opts BroadcastOptions, deliver func(*Packet)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.trimPacketsLocked(now, 1)
	q := p.withOffset(r.first + uint64(len(r.packets)))
	r.packets = append(r.packets, storedPacket{
		at:     now,
		opts:   BroadcastOptions{Rooms: slices.Clone(opts.Rooms), Except: slices.Clone(opts.Except)},
		packet: &Packet{nsp: q.nsp, data: q.data, attachments: q.attachments},
	})
	deliver(q)
}

// trimPacketsLocked drops expired packets and makes room for extra more.
func (r *recoveryStore) trimPacketsLocked(now time.Time, extra int) {
	cut := max(0, len(r.packets)+extra-r.cfg.MaxPackets)
	deadline := now.Add(-r.cfg.MaxDisconnectionDuration)
	for cut < len(r.packets) && r.packets[cut].at.Before(deadline) {
		cut++
	}
	if cut == 0 {
		return
	}
	clear(r.packets[:cut])
	r.packets = r.packets[cut:]
	r.first += uint64(cut)
	// Once the backing array's tail is used up, append copies what is
	// left to a new one: the space before it is not kept.
}

// persist keeps s, replacing a session of the same pid.
func (r *recoveryStore) persist(s *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if _, dup := r.sessions[s.PID]; dup {
		r.stale++
	}
	e := &storedSession{at: now, session: s}
	r.sessions[s.PID] = e
	r.order = append(r.order, e)
	r.trimSessionsLocked(now)
}

// trimSessionsLocked drops expired sessions and the oldest beyond
// MaxSessions, and compacts order once it is mostly stale.
func (r *recoveryStore) trimSessionsLocked(now time.Time) {
	deadline := now.Add(-r.cfg.MaxDisconnectionDuration)
	cut := 0
	for ; cut < len(r.order); cut++ {
		e := r.order[cut]
		live := r.sessions[e.session.PID] == e
		if live && !e.at.Before(deadline) && len(r.sessions) <= r.cfg.MaxSessions {
			break
		}
		if live {
			delete(r.sessions, e.session.PID)
		} else {
			r.stale--
		}
	}
	clear(r.order[:cut])
	r.order = r.order[cut:]
	if r.stale > len(r.order)/2 {
		r.order = slices.DeleteFunc(r.order, func(e *storedSession) bool {
			return r.sessions[e.session.PID] != e
		})
		r.order = slices.Clip(r.order)
		r.stale = 0
	}
}

// restore implements SessionStore.RestoreSession.
func (r *recoveryStore) restore(pid, offset string, resume func(*Session, []*Packet)) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.trimSessionsLocked(now)
	r.trimPacketsLocked(now, 0)
	e := r.sessions[pid]
	if e == nil {
		return false
	}
	delete(r.sessions, pid) // a session is recovered once
	r.stale++
	n, err := strconv.ParseUint(offset, 10, 64)
	if err != nil || n < r.first || n >= r.first+uint64(len(r.packets)) {
		return false
	}
	var missed []*Packet
	for _, sp := range r.packets[n-r.first+1:] {
		if selects(sp.opts, e.session.Rooms) {
			missed = append(missed, sp.packet)
		}
	}
	resume(e.session, missed)
	return true
}

// selects reports whether a broadcast with opts reaches a socket in rooms,
// as Node's shouldIncludePacket decides.
func selects(opts BroadcastOptions, rooms []string) bool {
	included := len(opts.Rooms) == 0
	for _, room := range rooms {
		if slices.Contains(opts.Except, room) {
			return false
		}
		included = included || slices.Contains(opts.Rooms, room)
	}
	return included
}
