// Package adapter is for authors of adapters: the code that carries a
// namespace's rooms and broadcasts, and the other operations of
// socket.Adapter, to the other nodes of a cluster. Applications do not
// need it; they plug an adapter in with socket.Options.Adapter, such as
// adapter/redis's.
//
// It holds what an adapter needs and package socket keeps out of its own
// API:
//   - NewLocal, the in-memory adapter, which serves this node's sockets
//     and which every cluster adapter uses for the local part of its work;
//   - NewPacket, NewEventPacket and NewArgs, which rebuild the packets and
//     arguments that crossed the network;
//   - NewRemoteSocket, which binds a socket snapshot from another node to
//     its namespace, and DispatchServerEvent, which hands another node's
//     server-side emit to the handlers of Namespace.OnServerEvent;
//   - Cluster, the part of a cluster adapter that does not depend on the
//     backend: requests to the other nodes, their answers, timeouts and the
//     local part of each operation. A backend (Redis Pub/Sub, Redis
//     Streams, a database) provides a Transport that encodes and carries
//     its messages, and calls Cluster's On methods with the messages it
//     receives.
//
// The directory is adapter and so is the package name; the backends live
// below it (adapter/redis is package redisadapter).
package adapter

import (
	"encoding/json"

	"github.com/envivo/socketio/internal/adapterlink"
	"github.com/envivo/socketio/socket"
)

// kit is what package socket provides through adapterlink.
type kit interface {
	NewLocal(nsp *socket.Namespace) socket.Adapter
	NewPacket(nsp string, data json.RawMessage, attachments [][]byte) *socket.Packet
	NewEventPacket(nsp, event string, args []any) (*socket.Packet, error)
	NewArgs(data json.RawMessage, attachments [][]byte) (socket.Args, error)
	NewRemoteSocket(nsp *socket.Namespace, r socket.RemoteSocket) *socket.RemoteSocket
	DispatchServerEvent(nsp *socket.Namespace, p *socket.Packet, reply func(socket.Args)) error
	FirstArg(args socket.Args) socket.Args
}

var sock = adapterlink.Kit.(kit)

// Local is the in-memory adapter of one namespace: it keeps the rooms of
// this node's sockets and delivers to them. It is the default adapter,
// and cluster adapters use one for the local part of their work. When the
// server has connection state recovery on, it keeps the sessions of
// sockets that left and the packets they may miss (see
// socket.SessionStore); otherwise its SessionStore methods do nothing.
// It is safe for concurrent use.
type Local interface {
	socket.Adapter
	socket.SessionStore
	// Sockets returns the connected sockets of this node that opts
	// selects, whatever opts.Flags say.
	Sockets(opts socket.BroadcastOptions) []*socket.Socket
	// Deliver queues p for the local sockets opts selects, as Broadcast
	// does, but never numbers nor keeps it for connection state recovery:
	// for backends that keep packets themselves and give them offsets of
	// their own (such as adapter/redis's NewStreams, whose offsets are
	// stream entry ids).
	Deliver(p *socket.Packet, opts socket.BroadcastOptions) error
}

// NewLocal returns an empty in-memory adapter for nsp.
func NewLocal(nsp *socket.Namespace) Local { return sock.NewLocal(nsp).(Local) }

// NewPacket returns the packet of an event for the namespace named nsp,
// as another node sent it: data is the JSON array [event, args...], in
// which the i-th of attachments stands as {"_placeholder":true,"num":i}.
// The packet keeps data and attachments, which the caller must not modify
// afterwards. It checks nothing: an adapter that decoded them from the
// network checks that data is an array whose placeholders name
// attachments (NewArgs does), or the clients' parsers refuse the packet.
func NewPacket(nsp string, data json.RawMessage, attachments [][]byte) *socket.Packet {
	return sock.NewPacket(nsp, data, attachments)
}

// NewEventPacket encodes an event for the namespace named nsp, as
// socket.Namespace.Emit does: a []byte anywhere in args travels as a
// binary attachment. It fails on a reserved event name (socket.ErrReservedEvent)
// or arguments that encoding/json cannot encode. Emitters use it.
func NewEventPacket(nsp, event string, args ...any) (*socket.Packet, error) {
	return sock.NewEventPacket(nsp, event, args)
}

// NewArgs returns the arguments held by data, a JSON array in which the
// i-th binary attachment stands as {"_placeholder":true,"num":i}, as
// socket.Args.Encode returns them. It fails when data is not an array or
// a placeholder names no attachment.
func NewArgs(data json.RawMessage, attachments [][]byte) (socket.Args, error) {
	return sock.NewArgs(data, attachments)
}

// NewRemoteSocket returns a copy of r, a snapshot of a socket of another
// node, bound to nsp, so that its methods act on the live socket through
// nsp's adapter.
func NewRemoteSocket(nsp *socket.Namespace, r socket.RemoteSocket) *socket.RemoteSocket {
	return sock.NewRemoteSocket(nsp, r)
}

// DispatchServerEvent hands p, an event that another node emitted with
// ServerSideEmit, to the handler that nsp.OnServerEvent registered for
// it; reply, if not nil, carries the handler's answer back to that node.
// It returns an error when p's data is not a valid event, and nil when no
// handler is registered. It runs the handler on the caller's goroutine.
func DispatchServerEvent(nsp *socket.Namespace, p *socket.Packet, reply func(socket.Args)) error {
	return sock.DispatchServerEvent(nsp, p, reply)
}
