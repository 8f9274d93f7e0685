package redisadapter

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// shardSubs holds the SSUBSCRIBE connections of a sharded adapter. On a
// Redis Cluster, a connection can only subscribe to channels of the slots
// its node serves, so there is one connection per hash slot in use; with
// any other client a single connection holds every channel. Its methods
// are safe for concurrent use.
type shardSubs struct {
	client  redis.UniversalClient
	log     *slog.Logger
	health  *health
	handle  func(channel string, payload []byte)
	cluster bool

	mu      sync.Mutex
	bySlot  map[int]*subscriber
	closing sync.WaitGroup // subscribers emptied and being closed
}

func newShardSubs(client redis.UniversalClient, log *slog.Logger, h *health, handle func(string, []byte)) *shardSubs {
	_, cluster := client.(*redis.ClusterClient)
	return &shardSubs{client: client, log: log, health: h, handle: handle, cluster: cluster, bySlot: make(map[int]*subscriber)}
}

// group returns the connection group of channel: its hash slot on a
// cluster, 0 otherwise.
func (s *shardSubs) group(channel string) int {
	if !s.cluster {
		return 0
	}
	return hashSlot(channel)
}

// add subscribes to channels; errors are logged and the subscriptions
// retried when Redis answers again.
func (s *shardSubs) add(channels ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range channels {
		g := s.group(ch)
		if sub := s.bySlot[g]; sub != nil {
			if err := sub.add(shardSub, ch); err != nil {
				s.log.Debug("redisadapter: ssubscribe failed; retrying", "channel", ch, "err", err)
			}
			continue
		}
		s.bySlot[g] = newSubscriber(s.client, s.log, s.health, shardSub, []string{ch}, s.handle)
	}
}

// remove unsubscribes from channel, and closes its connection in the
// background once it holds no channel.
func (s *shardSubs) remove(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.group(channel)
	sub := s.bySlot[g]
	if sub == nil {
		return
	}
	if err := sub.remove(shardSub, channel); err != nil {
		s.log.Debug("redisadapter: sunsubscribe failed", "channel", channel, "err", err)
	}
	if sub.empty() {
		delete(s.bySlot, g)
		s.closing.Add(1)
		go func() { // close may be called from sub's own goroutine
			defer s.closing.Done()
			sub.close()
		}()
	}
}

// close closes every connection and waits for their goroutines.
func (s *shardSubs) close() {
	s.mu.Lock()
	subs := s.bySlot
	s.bySlot = map[int]*subscriber{}
	s.mu.Unlock()
	for _, sub := range subs {
		sub.close()
	}
	s.closing.Wait()
}

// hashSlot returns the Redis Cluster hash slot of key: CRC16 (XMODEM) of
// the key, or of its hash tag (the first {...} with something inside),
// modulo 16384.
func hashSlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

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
