package redisadapter

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/internal/randid"
	"github.com/envivo/socketio/socket"
)

// shardedIDLen is the length of the sharded adapter's node and request ids,
// that of the cluster adapter's randomId() in Node (16 hex digits).
const shardedIDLen = 16

// Message types of the cluster adapter (socket.io-adapter), which Node's
// sharded Redis adapter speaks.
const (
	msgInitialHeartbeat     = 1
	msgHeartbeat            = 2
	msgBroadcast            = 3
	msgSocketsJoin          = 4
	msgSocketsLeave         = 5
	msgDisconnectSockets    = 6
	msgFetchSockets         = 7
	msgFetchSocketsResponse = 8
	msgServerSideEmit       = 9
	msgServerSideEmitResp   = 10
	msgClientCount          = 11
	msgBroadcastAck         = 12
	msgAdapterClose         = 13
)

// NewSharded returns an Adapter factory for socket.Options.Adapter that
// uses Redis 7 sharded Pub/Sub (SPUBLISH and SSUBSCRIBE), in the format of
// Node's createShardedAdapter from @socket.io/redis-adapter: the messages
// of socket.io-adapter's ClusterAdapter, JSON unless they carry binary
// data, then MessagePack. client may be a single node, a cluster or a
// sentinel client; the adapter never closes it. The server count is
// PUBSUB SHARDNUMSUB of the namespace's channel, as in Node (which sends
// no heartbeats in this adapter; heartbeat messages are accepted and
// ignored). AllRooms, which Node's sharded adapter lacks, fetches the
// sockets of every node.
//
// Every namespace of one factory shares the subscription connection, as
// for New; on a Redis Cluster, where a connection only reaches the
// channels of its node's slots, there is one connection per master node
// that serves a subscribed channel, as in Node, whatever the number of
// namespaces and rooms. The channels of a namespace are unsubscribed when
// its adapter is closed; the connections close with the factory's last
// adapter (Server.Shutdown closes them all).
func NewSharded(client redis.UniversalClient, opts *ShardedOptions) func(nsp *socket.Namespace) socket.Adapter {
	o := opts.withDefaults()
	hs := newHubs(client, true, o.Logger, o.PublishQueueSize)
	return func(nsp *socket.Namespace) socket.Adapter { return newSharded(hs, o, nsp) }
}

// sharded is the adapter of NewSharded.
type sharded struct {
	node
	clusterFormat
	client          redis.UniversalClient
	mode            SubscriptionMode
	responseChannel string // <prefix>#<nsp>#<uid>#
	rooms           roomIndex
}

func newSharded(hs *hubs, o ShardedOptions, nsp *socket.Namespace) *sharded {
	a := &sharded{client: hs.client, mode: o.SubscriptionMode}
	a.init(nsp, a, adapter.ClusterOptions{
		UID:            randid.New(shardedIDLen),
		NewRequestID:   func() string { return randid.New(shardedIDLen) },
		RequestTimeout: o.RequestTimeout,
		Logger:         o.Logger,
	}, hs)
	if !o.KeepRedisLogger {
		installRedisLogger(cmp.Or(o.Logger, nsp.Server().Logger()))
	}
	a.count = func(ctx context.Context) (int, error) {
		return countSubscribers(ctx, a.client, true, a.channel)
	}
	a.clusterFormat = clusterFormat{channel: o.ChannelPrefix + "#" + nsp.Name() + "#", sender: a.uid, nspName: nsp.Name()}
	a.responseChannel = a.channel + a.uid + "#"
	a.reg = a.hub.register(nsp.Name(), a.handle)
	a.reg.want(shardSub, a.channel, a.responseChannel)
	return a
}

// AddAll implements socket.Adapter; in the dynamic modes, a room that gets
// its first local member has its channel subscribed.
func (a *sharded) AddAll(id string, rooms ...string) {
	a.Cluster.AddAll(id, rooms...)
	if a.mode == Static || a.nsp.Socket(id) == nil {
		return
	}
	a.rooms.add(id, rooms, func(room string) bool {
		if !a.separate(room, id) {
			return false
		}
		a.reg.want(shardSub, a.roomChannel(room))
		return true
	})
}

// Del implements socket.Adapter; in the dynamic modes, a room left with no
// local member has its channel unsubscribed.
func (a *sharded) Del(id, room string) {
	a.Cluster.Del(id, room)
	if a.mode != Static {
		a.rooms.del(id, []string{room}, a.unsubscribe)
	}
}

// DelAll implements socket.Adapter, as Del.
func (a *sharded) DelAll(id string) {
	a.Cluster.DelAll(id)
	if a.mode != Static {
		a.rooms.del(id, nil, a.unsubscribe)
	}
}

func (a *sharded) unsubscribe(room string) { a.reg.unwant(shardSub, a.roomChannel(room)) }

// separate reports whether room, joined by socket id, gets a channel of
// its own: in the dynamic mode only public rooms (not named after a local
// socket), in the dynamic-private mode every room.
func (a *sharded) separate(room, id string) bool {
	if a.mode == DynamicPrivate {
		return true
	}
	return a.mode == Dynamic && room != id && a.nsp.Socket(room) == nil
}

func (a *sharded) roomChannel(room string) string { return a.channel + room + "#" }

// broadcastChannel returns where a broadcast without acks goes: the room's
// channel when it targets one room that has one (Node's computeChannel,
// which tells socket ids by their 20 characters), else the namespace's.
func (a *sharded) broadcastChannel(opts socket.BroadcastOptions) string {
	rooms := dedupe(opts.Rooms)
	if len(rooms) != 1 {
		return a.channel
	}
	if a.mode == DynamicPrivate || a.mode == Dynamic && len(rooms[0]) != 20 {
		return a.roomChannel(rooms[0])
	}
	return a.channel
}

func (a *sharded) EncodeBroadcast(p *socket.Packet, opts socket.BroadcastOptions) (adapter.Message, error) {
	data := newObject(len(p.Data())+64).raw("packet", appendPacket(nil, p, "")).
		raw("opts", appendOpts(nil, opts, true, 0)).bytes()
	return a.message(a.broadcastChannel(opts), msgBroadcast, data, p.Attachments())
}

func (a *sharded) EncodeBroadcastWithAck(id string, p *socket.Packet, opts socket.BroadcastOptions, timeout time.Duration) (adapter.Message, error) {
	data := newObject(len(p.Data())+64).raw("packet", appendPacket(nil, p, "")).
		str("requestId", id, false).raw("opts", appendOpts(nil, opts, true, timeout)).bytes()
	return a.message(a.channel, msgBroadcast, data, p.Attachments())
}

func (a *sharded) EncodeAddSockets(opts socket.BroadcastOptions, rooms []string) (adapter.Message, error) {
	data := newObject(64).raw("opts", appendOpts(nil, opts, true, 0)).strings("rooms", rooms).bytes()
	return a.message(a.channel, msgSocketsJoin, data, nil)
}

func (a *sharded) EncodeDelSockets(opts socket.BroadcastOptions, rooms []string) (adapter.Message, error) {
	data := newObject(64).raw("opts", appendOpts(nil, opts, true, 0)).strings("rooms", rooms).bytes()
	return a.message(a.channel, msgSocketsLeave, data, nil)
}

func (a *sharded) EncodeDisconnectSockets(opts socket.BroadcastOptions, close bool) (adapter.Message, error) {
	data := newObject(64).raw("opts", appendOpts(nil, opts, true, 0)).bool("close", close).bytes()
	return a.message(a.channel, msgDisconnectSockets, data, nil)
}

// clusterMessage is any message of the cluster adapter.
type clusterMessage struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
	UID  string          `json:"uid"`
	Nsp  *string         `json:"nsp"`
}

// clusterData is the data of any cluster message.
type clusterData struct {
	Packet      json.RawMessage `json:"packet"`
	RequestID   *string         `json:"requestId"`
	Opts        *wireOpts       `json:"opts"`
	Rooms       roomList        `json:"rooms"`
	Close       bool            `json:"close"`
	Sockets     json.RawMessage `json:"sockets"`
	ClientCount int             `json:"clientCount"`
}

func (d *clusterData) id() string {
	if d.RequestID == nil {
		return ""
	}
	return *d.RequestID
}

// handle decodes a message and hands it on, as Node's onRawMessage.
func (a *sharded) handle(channel string, payload []byte) {
	js, att, err := decodePayload(payload)
	var m clusterMessage
	var d clusterData
	if err == nil {
		err = json.Unmarshal(js, &m)
	}
	if err == nil && len(m.Data) > 0 && string(m.Data) != "null" {
		err = json.Unmarshal(m.Data, &d)
	}
	if err == nil {
		if channel == a.responseChannel || isResponse(m.Type) {
			err = a.onClusterAnswer(m.Type, &d, att)
		} else {
			err = a.onMessage(&m, &d, att)
		}
	}
	if err != nil {
		a.Drop(channel, err)
	}
}

func isResponse(typ int) bool {
	switch typ {
	case msgFetchSocketsResponse, msgServerSideEmitResp, msgClientCount, msgBroadcastAck:
		return true
	}
	return false
}

// onMessage handles a request of another node of this namespace.
func (a *sharded) onMessage(m *clusterMessage, d *clusterData, att [][]byte) error {
	if m.UID == a.uid || m.Nsp == nil || *m.Nsp != a.nsp.Name() {
		return nil
	}
	switch m.Type {
	case msgInitialHeartbeat, msgHeartbeat, msgAdapterClose:
		return nil // Node's sharded adapter counts nodes with SHARDNUMSUB instead
	case msgBroadcast:
		return a.onBroadcastRequest(m, d, att)
	case msgServerSideEmit:
		p, err := (&wirePacket{Type: 2, Data: d.Packet}).packet(a.nsp.Name(), att)
		if err != nil {
			return err
		}
		a.OnServerSideEmit(m.UID, d.id(), p)
		return nil
	}
	if d.Opts == nil {
		return fmt.Errorf("message of type %d has no opts", m.Type)
	}
	opts := d.Opts.broadcastOptions()
	switch m.Type {
	case msgSocketsJoin:
		a.OnAddSockets(opts, d.Rooms)
	case msgSocketsLeave:
		a.OnDelSockets(opts, d.Rooms)
	case msgDisconnectSockets:
		a.OnDisconnectSockets(opts, d.Close)
	case msgFetchSockets:
		a.OnFetchSockets(m.UID, d.id(), opts)
	default:
		return fmt.Errorf("unknown message type %d", m.Type)
	}
	return nil
}

func (a *sharded) onBroadcastRequest(m *clusterMessage, d *clusterData, att [][]byte) error {
	var wp wirePacket
	if err := json.Unmarshal(d.Packet, &wp); err != nil || d.Opts == nil {
		return fmt.Errorf("broadcast without packet or opts: %v", err)
	}
	p, err := wp.packet(a.nsp.Name(), att)
	if err != nil {
		return err
	}
	if d.RequestID != nil {
		a.OnBroadcastWithAck(m.UID, d.id(), p, d.Opts.broadcastOptions(), d.Opts.ackTimeout())
		return nil
	}
	a.OnBroadcast(p, d.Opts.broadcastOptions())
	return nil
}
