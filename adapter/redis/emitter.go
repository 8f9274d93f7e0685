package redisadapter

import (
	"context"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/socket"
)

// emitterUID is the uid Node's emitter puts in its messages.
const emitterUID = "emitter"

// EmitterOptions configures an Emitter. The zero value (or nil) gives the
// defaults of Node's @socket.io/redis-emitter. NewEmitter copies the
// struct.
type EmitterOptions struct {
	// Key prefixes every channel name; it must be the servers' Key (or
	// ChannelPrefix). Default: "socket.io".
	Key string
	// Sharded publishes for servers that use NewSharded (or Node's
	// createShardedAdapter): SPUBLISH and the cluster adapter's messages.
	// Node's emitter has no such mode. Default: false, for servers that
	// use New (or Node's createAdapter).
	Sharded bool
	// SubscriptionMode is, with Sharded, the servers' subscription mode,
	// which decides the channel of a broadcast to a single room. Default:
	// Dynamic.
	SubscriptionMode SubscriptionMode
}

// Emitter sends events and commands to the sockets of a cluster from a
// process that runs no Socket.IO server (a worker, a cron job, an HTTP
// handler elsewhere), as Node's @socket.io/redis-emitter does: it only
// publishes, expects no answer, and holds no connection of its own. An
// Emitter is a value bound to one namespace; it is safe for concurrent
// use.
type Emitter struct {
	client redis.UniversalClient
	opts   EmitterOptions
	nsp    string
}

// NewEmitter returns an emitter for the main namespace "/" that publishes
// through client, which it never closes.
func NewEmitter(client redis.UniversalClient, opts *EmitterOptions) *Emitter {
	o := EmitterOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Key == "" {
		o.Key = "socket.io"
	}
	return &Emitter{client: client, opts: o, nsp: "/"}
}

// Of returns an emitter for namespace nsp; a missing leading slash is
// added.
func (e *Emitter) Of(nsp string) *Emitter {
	if !strings.HasPrefix(nsp, "/") {
		nsp = "/" + nsp
	}
	c := *e
	c.nsp = nsp
	return &c
}

// Broadcast selects the sockets an Emitter acts on. It is a value: each
// method that narrows the selection returns a new Broadcast.
type Broadcast struct {
	e    *Emitter
	opts socket.BroadcastOptions
}

func (e *Emitter) all() Broadcast { return Broadcast{e: e} }

// To selects the sockets in any of rooms.
func (e *Emitter) To(rooms ...string) Broadcast { return e.all().To(rooms...) }

// In is the same as To.
func (e *Emitter) In(rooms ...string) Broadcast { return e.all().To(rooms...) }

// Except selects every socket but those in any of rooms.
func (e *Emitter) Except(rooms ...string) Broadcast { return e.all().Except(rooms...) }

// Volatile lets the event be dropped for clients that are not ready.
func (e *Emitter) Volatile() Broadcast { return e.all().Volatile() }

// Compress sets the compress flag.
func (e *Emitter) Compress(compress bool) Broadcast { return e.all().Compress(compress) }

// Emit sends an event to every socket of the namespace; see
// Broadcast.Emit.
func (e *Emitter) Emit(ctx context.Context, event string, args ...any) error {
	return e.all().Emit(ctx, event, args...)
}

// SocketsJoin makes every socket of the namespace join rooms.
func (e *Emitter) SocketsJoin(ctx context.Context, rooms ...string) error {
	return e.all().SocketsJoin(ctx, rooms...)
}

// SocketsLeave makes every socket of the namespace leave rooms.
func (e *Emitter) SocketsLeave(ctx context.Context, rooms ...string) error {
	return e.all().SocketsLeave(ctx, rooms...)
}

// DisconnectSockets disconnects every socket of the namespace; see
// Broadcast.DisconnectSockets.
func (e *Emitter) DisconnectSockets(ctx context.Context) error {
	return e.all().DisconnectSockets(ctx)
}

// CloseConnections closes the connection of every socket of the
// namespace; see Broadcast.CloseConnections.
func (e *Emitter) CloseConnections(ctx context.Context) error {
	return e.all().CloseConnections(ctx)
}

// ServerSideEmit sends an event to the servers' handlers for events of
// other nodes (Namespace.OnServerEvent, or io.on in Node). As in Node,
// no acknowledgement can be asked for.
func (e *Emitter) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	p, err := adapter.NewEventPacket(e.nsp, event, args...)
	if err != nil {
		return err
	}
	if e.opts.Sharded {
		data := newObject(len(p.Data())+16).raw("packet", p.Data()).bytes()
		return e.spublish(ctx, e.channel(), msgServerSideEmit, data, p.Attachments())
	}
	msg := newObject(len(p.Data())+48).str("uid", emitterUID, false).int("type", reqServerSideEmit).
		raw("data", value{raw: p.Data(), att: p.Attachments()}.nodeJSON()).bytes()
	return e.client.Publish(ctx, e.requestChannel(), msg).Err()
}

// To adds rooms to the selection.
func (b Broadcast) To(rooms ...string) Broadcast {
	b.opts.Rooms = append(slices.Clip(b.opts.Rooms), rooms...)
	return b
}

// In is the same as To.
func (b Broadcast) In(rooms ...string) Broadcast { return b.To(rooms...) }

// Except removes from the selection the sockets in any of rooms.
func (b Broadcast) Except(rooms ...string) Broadcast {
	b.opts.Except = append(slices.Clip(b.opts.Except), rooms...)
	return b
}

// Volatile lets the event be dropped for clients that are not ready.
func (b Broadcast) Volatile() Broadcast {
	b.opts.Flags.Volatile = true
	return b
}

// Compress sets the compress flag; false makes the servers send the event
// uncompressed.
func (b Broadcast) Compress(compress bool) Broadcast {
	b.opts.Flags.Compress = &compress
	return b
}

// Emit publishes an event for the selected sockets, on every server. A
// []byte anywhere in args travels as binary. It fails on a reserved event
// name, arguments that do not encode, or Redis errors.
func (b Broadcast) Emit(ctx context.Context, event string, args ...any) error {
	e := b.e
	p, err := adapter.NewEventPacket(e.nsp, event, args...)
	if err != nil {
		return err
	}
	if e.opts.Sharded {
		data := newObject(len(p.Data())+64).raw("packet", appendPacket(nil, p, "")).
			raw("opts", appendOpts(nil, b.opts, true, 0)).bytes()
		return e.spublish(ctx, e.broadcastChannel(b.opts), msgBroadcast, data, p.Attachments())
	}
	// Node's emitter writes {rooms, flags, except}.
	opts := newObject(64).strings("rooms", dedupe(b.opts.Rooms)).
		raw("flags", appendFlags(nil, b.opts.Flags, 0)).strings("except", dedupe(b.opts.Except)).bytes()
	msg := append([]byte(`["emitter",`), appendPacket(nil, p, e.nsp)...)
	msg = append(append(append(msg, ','), opts...), ']')
	payload, err := encodePayload(msg, p.Attachments())
	if err != nil {
		return err
	}
	return e.client.Publish(ctx, e.broadcastChannel(b.opts), payload).Err()
}

// SocketsJoin makes the selected sockets join rooms, on every server.
func (b Broadcast) SocketsJoin(ctx context.Context, rooms ...string) error {
	return b.roomsRequest(ctx, reqRemoteJoin, msgSocketsJoin, rooms)
}

// SocketsLeave makes the selected sockets leave rooms, on every server.
func (b Broadcast) SocketsLeave(ctx context.Context, rooms ...string) error {
	return b.roomsRequest(ctx, reqRemoteLeave, msgSocketsLeave, rooms)
}

func (b Broadcast) roomsRequest(ctx context.Context, classicType, clusterType int, rooms []string) error {
	e := b.e
	if rooms == nil {
		rooms = []string{}
	}
	if e.opts.Sharded {
		data := newObject(64).raw("opts", appendOpts(nil, b.opts, true, 0)).strings("rooms", rooms).bytes()
		return e.spublish(ctx, e.channel(), clusterType, data, nil)
	}
	msg := newObject(64).int("type", classicType).raw("opts", appendOpts(nil, b.opts, false, 0)).
		strings("rooms", rooms).bytes()
	return e.client.Publish(ctx, e.requestChannel(), msg).Err()
}

// DisconnectSockets disconnects the selected sockets from their
// namespace, on every server (socket.BroadcastOperator.DisconnectSockets).
func (b Broadcast) DisconnectSockets(ctx context.Context) error { return b.disconnect(ctx, false) }

// CloseConnections closes the whole connection of the selected sockets,
// on every server (socket.BroadcastOperator.CloseConnections).
func (b Broadcast) CloseConnections(ctx context.Context) error { return b.disconnect(ctx, true) }

func (b Broadcast) disconnect(ctx context.Context, close bool) error {
	e := b.e
	if e.opts.Sharded {
		data := newObject(64).raw("opts", appendOpts(nil, b.opts, true, 0)).bool("close", close).bytes()
		return e.spublish(ctx, e.channel(), msgDisconnectSockets, data, nil)
	}
	msg := newObject(64).int("type", reqRemoteDisconnect).raw("opts", appendOpts(nil, b.opts, false, 0)).
		bool("close", close).bytes()
	return e.client.Publish(ctx, e.requestChannel(), msg).Err()
}

func (e *Emitter) channel() string        { return e.opts.Key + "#" + e.nsp + "#" }
func (e *Emitter) requestChannel() string { return e.opts.Key + "-request#" + e.nsp + "#" }

// broadcastChannel returns the channel of a broadcast, as the servers'
// adapters (and Node's emitter) choose it.
func (e *Emitter) broadcastChannel(opts socket.BroadcastOptions) string {
	rooms := dedupe(opts.Rooms)
	switch {
	case len(rooms) != 1:
		return e.channel()
	case !e.opts.Sharded,
		e.opts.SubscriptionMode == DynamicPrivate,
		e.opts.SubscriptionMode == Dynamic && len(rooms[0]) != 20:
		return e.channel() + rooms[0] + "#"
	}
	return e.channel()
}

// spublish sends a cluster message from the emitter.
func (e *Emitter) spublish(ctx context.Context, channel string, typ int, data []byte, att [][]byte) error {
	msg := newObject(len(data)+64).int("type", typ).raw("data", data).
		str("uid", emitterUID, false).str("nsp", e.nsp, false).bytes()
	if len(att) > 0 {
		var err error
		if msg, err = encodePayload(msg, att); err != nil {
			return err
		}
	}
	return e.client.SPublish(ctx, channel, msg).Err()
}
