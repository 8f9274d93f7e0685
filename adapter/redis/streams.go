package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/internal/randid"
	"github.com/envivo/socketio/socket"
)

// NewStreams returns an Adapter factory for socket.Options.Adapter that
// shares the cluster through Redis Streams, compatible with Node's
// createAdapter from @socket.io/redis-streams-adapter 0.3: Node servers
// and envivo servers on the same stream form one cluster. client may be a
// single node, a cluster or a sentinel client; the adapter never closes
// it.
//
// Broadcasts, joins, leaves and disconnections are added to the stream
// (XADD MAXLEN ~ MaxLen) and read by every node from the last entry it
// read (XREAD BLOCK, one connection of its own per stream), so a node
// that loses Redis for a while, or a Redis that restarts with its data,
// loses nothing the stream still holds. Requests and their answers
// (fetching sockets, server-side emits, broadcasts with acknowledgements)
// go through Pub/Sub, as in Node; the server count is PUBSUB NUMSUB of
// the namespace's channel. AllRooms, which Node's adapter lacks, fetches
// the sockets of every node.
//
// With socket.Options.ConnectionStateRecovery, the adapter is the
// namespace's SessionStore for the whole cluster: a socket's session is
// stored in Redis (under SessionKeyPrefix+pid, for
// MaxDisconnectionDuration, as Node stores it), the offsets clients get
// are stream entry ids, and a client that reconnects to any node, Go or
// Node, gets its id, rooms, data and the events it missed back, as long
// as the stream still holds the last one it received. A Broadcast then
// waits until its entry is added, as Node's does, to give each client the
// entry's id. Recovery's MaxPackets and MaxSessions do not apply: MaxLen
// bounds the stream, and sessions expire in Redis.
//
// The adapters of one factory share a publishing queue, a Pub/Sub
// connection and one reader per stream; the last to close (Server.Shutdown)
// stops them. Handlers of Namespace.OnServerEvent run on the Pub/Sub
// connection's goroutine and must not block. The adapters are safe for
// concurrent use.
func NewStreams(client redis.UniversalClient, opts *StreamsOptions) func(nsp *socket.Namespace) socket.Adapter {
	o := opts.withDefaults()
	hs := newHubs(client, o.UseShardedPubSub, o.Logger, o.PublishQueueSize)
	rs := &readers{client: client, o: o}
	return func(nsp *socket.Namespace) socket.Adapter { return newStreams(hs, rs, o, nsp) }
}

// streams is the adapter of NewStreams: adapter.Cluster over a Transport
// that adds the messages every node must see to the stream and sends
// requests and answers through Pub/Sub.
type streams struct {
	node
	clusterFormat
	o        StreamsOptions
	client   redis.UniversalClient
	stream   string
	private  string // <prefix>#<nsp>#<uid>#: answers to this node
	readers  *readers
	reader   *streamReader
	recovery *socket.ConnectionStateRecovery // nil when off
}

func newStreams(hs *hubs, rs *readers, o StreamsOptions, nsp *socket.Namespace) *streams {
	a := &streams{o: o, client: hs.client, stream: o.streamOf(nsp.Name()), readers: rs}
	a.init(nsp, a, adapter.ClusterOptions{
		UID:            randid.New(shardedIDLen),
		NewRequestID:   func() string { return randid.New(shardedIDLen) },
		RequestTimeout: o.RequestTimeout,
		Logger:         o.Logger,
	}, hs)
	a.count = func(ctx context.Context) (int, error) {
		return countSubscribers(ctx, a.client, o.UseShardedPubSub, a.channel)
	}
	a.recovery = nsp.Server().ConnectionStateRecovery()
	a.clusterFormat = clusterFormat{channel: o.ChannelPrefix + "#" + nsp.Name() + "#", sender: a.uid, nspName: nsp.Name(), packAlways: true}
	a.private = a.channel + a.uid + "#"
	a.reg = a.hub.register(nsp.Name(), a.handle)
	a.reader = rs.acquire(a.stream, a.Logger())
	kind := channelSub
	if o.UseShardedPubSub {
		kind = shardSub
	}
	// Subscribing once the reader knows where it starts makes the server
	// count include this node only once it reads the stream.
	a.reader.add(a, func() { a.reg.want(kind, a.channel, a.private) })
	return a
}

// Release implements adapter.Transport: it stops routing the stream to
// this adapter (the last adapter of a stream stops its reader), then
// releases the subscriptions as New's adapter does.
func (a *streams) Release() error {
	a.reader.remove(a)
	a.readers.release(a.reader)
	return a.node.Release()
}

// entry returns the stream entry of a cluster message of type typ.
func (a *streams) entry(typ int, data []byte, att [][]byte) (*redis.XAddArgs, error) {
	d, err := entryData(data, att, a.o.OnlyPlaintext)
	if err != nil {
		return nil, err
	}
	return &redis.XAddArgs{Stream: a.stream, MaxLen: a.o.MaxLen, Approx: true, Values: []string{
		"uid", a.uid, "nsp", a.nsp.Name(), "type", strconv.Itoa(typ), "data", d,
	}}, nil
}

// add queues a stream entry for op and, if wait is set, waits until it is
// added and returns its id.
func (a *streams) add(ctx context.Context, op string, wait bool, e *redis.XAddArgs, err error) (string, error) {
	id := ""
	if err == nil {
		if wait {
			id, err = a.hub.pub.sendEntry(ctx, e, &a.stats)
		} else {
			err = a.hub.pub.postEntry(ctx, e, &a.stats)
		}
	}
	if err != nil {
		return "", fmt.Errorf("redisadapter: %s: %w", op, err)
	}
	return id, nil
}

// Broadcast implements socket.Adapter: it delivers p to the local sockets
// and adds it to the stream unless opts.Flags.Local is set. Without
// recovery it returns without waiting for Redis, as New's does. With
// recovery, a packet that is not volatile is delivered once its entry is
// added, with the entry's id as its offset (without one if that fails);
// and Socket.Emit's local broadcast to the socket's own room is added to
// the stream too, as Node adds socket.emit, so that it can be recovered.
func (a *streams) Broadcast(ctx context.Context, p *socket.Packet, opts socket.BroadcastOptions) error {
	local := a.Local()
	stored := a.recovery != nil && !opts.Flags.Volatile
	if opts.Flags.Local && !(stored && a.ownRoom(opts)) {
		return local.Deliver(p, opts)
	}
	wire := opts
	wire.Flags.Local = false
	e, err := a.entry(msgBroadcast, a.broadcastData(p, wire, "", 0), p.Attachments())
	if !stored {
		_ = local.Deliver(p, opts)
		_, err = a.add(ctx, "broadcast", false, e, err)
		return err
	}
	a.reader.mu.RLock()
	defer a.reader.mu.RUnlock()
	id, err := a.add(ctx, "broadcast", true, e, err)
	if err == nil {
		p = appendOffset(p, id)
	}
	_ = local.Deliver(p, opts)
	return err
}

// ownRoom reports whether opts select one local socket by its own room
// and nothing else: what Socket.Emit sends with recovery on.
func (a *streams) ownRoom(opts socket.BroadcastOptions) bool {
	return len(opts.Rooms) == 1 && len(opts.Except) == 0 && a.nsp.Socket(opts.Rooms[0]) != nil
}

func (a *streams) broadcastData(p *socket.Packet, opts socket.BroadcastOptions, requestID string, timeout time.Duration) []byte {
	return newObject(len(p.Data())+96).raw("packet", appendPacket(nil, p, a.nsp.Name())).
		str("requestId", requestID, true).raw("opts", appendOpts(nil, opts, true, timeout)).bytes()
}

// AddSockets implements socket.Adapter: the selected sockets join rooms
// here at once, and on the other nodes through the stream unless
// opts.Flags.Local is set; it returns once the entry is added.
func (a *streams) AddSockets(ctx context.Context, opts socket.BroadcastOptions, rooms []string) error {
	for _, s := range a.Local().Sockets(opts) {
		s.Join(rooms...)
	}
	return a.command(ctx, "sockets join", opts, msgSocketsJoin, func(o *object) { o.strings("rooms", rooms) })
}

// DelSockets implements socket.Adapter, as AddSockets.
func (a *streams) DelSockets(ctx context.Context, opts socket.BroadcastOptions, rooms []string) error {
	for _, s := range a.Local().Sockets(opts) {
		for _, room := range rooms {
			s.Leave(room)
		}
	}
	return a.command(ctx, "sockets leave", opts, msgSocketsLeave, func(o *object) { o.strings("rooms", rooms) })
}

// DisconnectSockets implements socket.Adapter, as AddSockets.
func (a *streams) DisconnectSockets(ctx context.Context, opts socket.BroadcastOptions, close bool) error {
	_ = a.Local().DisconnectSockets(ctx, opts, close)
	return a.command(ctx, "disconnect sockets", opts, msgDisconnectSockets, func(o *object) { o.bool("close", close) })
}

// command adds a join, leave or disconnect entry, {opts, ...}, unless
// opts.Flags.Local is set, and waits until it is added.
func (a *streams) command(ctx context.Context, op string, opts socket.BroadcastOptions, typ int, more func(*object)) error {
	if opts.Flags.Local {
		return nil
	}
	o := newObject(64).raw("opts", appendOpts(nil, opts, true, 0))
	more(o)
	e, err := a.entry(typ, o.bytes(), nil)
	_, err = a.add(ctx, op, true, e, err)
	return err
}

// errStreamEntry: these messages are stream entries, which the adapter's
// own methods add.
var errStreamEntry = errors.New("the Streams adapter adds this message to the stream")

// EncodeBroadcast implements adapter.Transport; it is never called, as
// Broadcast adds the entry itself.
func (a *streams) EncodeBroadcast(*socket.Packet, socket.BroadcastOptions) (adapter.Message, error) {
	return adapter.Message{}, errStreamEntry
}

// EncodeAddSockets implements adapter.Transport; never called (AddSockets).
func (a *streams) EncodeAddSockets(socket.BroadcastOptions, []string) (adapter.Message, error) {
	return adapter.Message{}, errStreamEntry
}

// EncodeDelSockets implements adapter.Transport; never called (DelSockets).
func (a *streams) EncodeDelSockets(socket.BroadcastOptions, []string) (adapter.Message, error) {
	return adapter.Message{}, errStreamEntry
}

// EncodeDisconnectSockets implements adapter.Transport; never called
// (DisconnectSockets).
func (a *streams) EncodeDisconnectSockets(socket.BroadcastOptions, bool) (adapter.Message, error) {
	return adapter.Message{}, errStreamEntry
}

func (a *streams) EncodeBroadcastWithAck(id string, p *socket.Packet, opts socket.BroadcastOptions, timeout time.Duration) (adapter.Message, error) {
	return a.message(a.channel, msgBroadcast, a.broadcastData(p, opts, id, timeout), p.Attachments())
}
