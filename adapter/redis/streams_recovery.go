package redisadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/socket"
)

// restoreMaxRanges bounds the XRANGE calls of one restore, as Node's
// RESTORE_SESSION_MAX_XRANGE_CALLS; restoreRangeCount bounds each.
const (
	restoreMaxRanges  = 100
	restoreRangeCount = 1000
)

// PersistSession implements socket.SessionStore: it stores s in Redis
// under SessionKeyPrefix+pid for MaxDisconnectionDuration, as Node's
// adapter does, so that any node can restore it. It waits for Redis, at
// most RequestTimeout; a failure is logged, and the session is then lost.
func (a *streams) PersistSession(s *socket.Session) {
	if a.recovery == nil {
		return
	}
	ctx, cancel := context.WithTimeout(a.Context(), a.o.RequestTimeout)
	defer cancel()
	v, err := encodeSession(s)
	if err == nil {
		err = a.health.allow()
	}
	if err == nil {
		err = a.hub.query(ctx, func(ctx context.Context) error {
			err := a.client.Set(ctx, a.o.SessionKeyPrefix+s.PID, v, a.recovery.MaxDisconnectionDuration).Err()
			a.health.observe(a.Logger(), "persist session", err)
			return err
		})
	}
	if err != nil {
		a.Logger().Warn("redisadapter: session not stored", "sid", s.ID, "err", err)
	}
}

// RestoreSession implements socket.SessionStore: it takes the session pid
// out of Redis (GET and DEL in a transaction) and, if the stream still
// holds the entry offset, hands resume the broadcasts of the stream after
// offset that the session's rooms select. It holds the stream reader's
// lock meanwhile: a broadcast read from the stream after the restore
// reached the reader's position is delivered afterwards, to the restored
// rooms, and not handed to resume; one this node adds is delivered before
// or after, under the same lock.
func (a *streams) RestoreSession(ctx context.Context, pid, offset string, resume func(*socket.Session, []*socket.Packet)) (bool, error) {
	from, ok := parseStreamID(offset)
	if a.recovery == nil || !ok {
		return false, nil
	}
	s, err := a.takeSession(ctx, pid)
	if err != nil || s == nil {
		return false, err
	}
	held, err := a.client.XRangeN(ctx, a.stream, offset, offset, 1).Result()
	if err != nil || len(held) == 0 {
		return false, err
	}
	a.reader.mu.Lock()
	defer a.reader.mu.Unlock()
	missed, err := a.missed(ctx, from, s.Rooms)
	if err != nil {
		return false, err
	}
	resume(s, missed)
	return true, nil
}

// takeSession returns the session pid and deletes it, or nil if there is
// none.
func (a *streams) takeSession(ctx context.Context, pid string) (*socket.Session, error) {
	key := a.o.SessionKeyPrefix + pid
	var get *redis.StringCmd
	_, err := a.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, key)
		p.Del(ctx, key)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redisadapter: restore session: %w", err)
	}
	s, err := decodeSession(get.Val())
	if err != nil {
		return nil, fmt.Errorf("redisadapter: restore session: %w", err)
	}
	return s, nil
}

// missed returns the broadcasts of this namespace after from that a
// socket in rooms gets, with their offsets: this node's own, and the
// others' up to the reader's position (the reader delivers the later
// ones). Called under the reader's lock.
func (a *streams) missed(ctx context.Context, from streamID, rooms []string) ([]*socket.Packet, error) {
	last, known := parseStreamID(a.reader.last)
	var out []*socket.Packet
	for range restoreMaxRanges {
		entries, err := a.client.XRangeN(ctx, a.stream, from.next(), "+", restoreRangeCount).Result()
		if err != nil {
			return nil, err
		}
		for _, m := range entries {
			id, _ := parseStreamID(m.ID)
			from = id
			if known && id.after(last) {
				continue // not delivered yet: the reader will
			}
			if p := a.missedPacket(m, rooms); p != nil {
				out = append(out, p)
			}
		}
		if len(entries) < restoreRangeCount {
			break
		}
	}
	return out, nil
}

// missedPacket returns the packet of entry m, with its offset, if it is a
// stored broadcast of this namespace that reaches a socket in rooms.
func (a *streams) missedPacket(m redis.XMessage, rooms []string) *socket.Packet {
	e, err := decodeEntry(m.Values)
	if err != nil || e == nil || e.nsp != a.nsp.Name() || e.typ != msgBroadcast {
		return nil
	}
	d := &e.data
	if d.RequestID != nil || d.Opts == nil || d.Opts.Flags.Volatile {
		return nil
	}
	var wp wirePacket
	if json.Unmarshal(d.Packet, &wp) != nil {
		return nil
	}
	p, err := wp.packet(a.nsp.Name(), e.att)
	if err != nil || !selects(d.Opts.broadcastOptions(), rooms) {
		return nil
	}
	return appendOffset(p, m.ID)
}

// selects reports whether a broadcast with opts reaches a socket in rooms,
// as Node's shouldIncludePacket.
func selects(opts socket.BroadcastOptions, rooms []string) bool {
	included := len(opts.Rooms) == 0
	for _, room := range rooms {
		for _, x := range opts.Except {
			if x == room {
				return false
			}
		}
		for _, r := range opts.Rooms {
			included = included || r == room
		}
	}
	return included
}
