package socket

import (
	"context"
)

// Adapter keeps the rooms of one namespace and carries broadcasts to its
// sockets. The default, the in-memory adapter, knows only this process; a
// cluster adapter (such as adapter/redis) also reaches the sockets of
// other nodes and implements each method across the cluster.
// Applications only choose one (Options.Adapter); package adapter holds
// what their authors need, including the in-memory adapter and the
// backend-independent part of a cluster adapter. Implementations must be
// safe for concurrent use. Methods that take a context return its error
// when it ends first.
type Adapter interface {
	// AddAll adds the local socket id to rooms.
	AddAll(id string, rooms ...string)
	// Del removes the local socket id from room.
	Del(id, room string)
	// DelAll removes the local socket id from every room.
	DelAll(id string)
	// SocketRooms returns the rooms of the local socket id, nil if unknown.
	SocketRooms(id string) []string

	// Broadcast delivers p to the sockets opts selects.
	Broadcast(ctx context.Context, p *Packet, opts BroadcastOptions) error
	// BroadcastWithAck delivers p to the sockets opts selects, each asked
	// for an acknowledgement that goes to acks.Reply until ctx ends. It
	// calls acks.Expect with the number of sockets asked, on every node,
	// before it returns.
	BroadcastWithAck(ctx context.Context, p *Packet, opts BroadcastOptions, acks AckReceiver) error

	// FetchSockets returns a snapshot of the sockets opts selects.
	FetchSockets(ctx context.Context, opts BroadcastOptions) ([]*RemoteSocket, error)
	// AddSockets makes the sockets opts selects join rooms.
	AddSockets(ctx context.Context, opts BroadcastOptions, rooms []string) error
	// DelSockets makes the sockets opts selects leave rooms.
	DelSockets(ctx context.Context, opts BroadcastOptions, rooms []string) error
	// DisconnectSockets disconnects the sockets opts selects; with close
	// their whole connections close.
	DisconnectSockets(ctx context.Context, opts BroadcastOptions, close bool) error
	// AllRooms returns every room of the namespace, on every node.
	AllRooms(ctx context.Context) ([]string, error)
	// ServerCount returns the number of nodes, this one included.
	ServerCount(ctx context.Context) (int, error)
	// ServerSideEmit sends p to the other nodes, whose namespaces hand it
	// to adapter.DispatchServerEvent. With acks non-nil, each node's
	// handler answers once, and ServerSideEmit calls acks.Expect with the
	// number of other nodes before it returns.
	ServerSideEmit(ctx context.Context, p *Packet, acks AckReceiver) error

	// Close releases what the adapter holds. The server calls it once: on
	// Shutdown, or when it removes a child of a dynamic namespace that its
	// last socket has left (another child of the same name may be made
	// afterwards, with an adapter of its own, never before Close returns).
	Close() error
}

// BroadcastOptions selects the sockets of a broadcast.
type BroadcastOptions struct {
	// Rooms selects the sockets in any of these rooms; empty selects every
	// socket of the namespace.
	Rooms []string
	// Except removes the sockets in any of these rooms.
	Except []string
	// Flags modify the delivery.
	Flags BroadcastFlags
}

// BroadcastFlags modify how a broadcast is delivered.
type BroadcastFlags struct {
	// Volatile lets the packet be dropped for clients that are not ready
	// to receive it at once (a write queue that is not empty).
	Volatile bool `json:"volatile,omitempty"`
	// Compress set to false sends the packet uncompressed, as Node's
	// compress(false): no permessage-deflate, and no HTTP compression of a
	// polling answer that carries nothing else. nil (the default) or true
	// compresses it as the connection allows (see
	// EngineOptions.PerMessageDeflate and HTTPCompressionThreshold).
	Compress *bool `json:"compress,omitempty"`
	// Local restricts the broadcast to this node.
	Local bool `json:"local,omitempty"`
}

// RemoteSocket is a snapshot of a socket that may live on another node, as
// FetchSockets returns it. Its JSON form is Node's. Its methods act on the
// live socket, wherever it is, through the namespace's adapter; on a
// RemoteSocket that FetchSockets did not return (such as one decoded from
// JSON), they fail with ErrUnboundRemoteSocket.
type RemoteSocket struct {
	ID        string         `json:"id"`
	Handshake Handshake      `json:"handshake"`
	Rooms     []string       `json:"rooms"`
	Data      map[string]any `json:"data"`

	nsp *Namespace
}

// Emit emits an event to the socket.
func (r *RemoteSocket) Emit(event string, args ...any) error {
	if r.nsp == nil {
		return ErrUnboundRemoteSocket
	}
	return newBroadcastOperator(r.nsp).To(r.ID).Emit(event, args...)
}

// Join makes the socket join rooms.
func (r *RemoteSocket) Join(ctx context.Context, rooms ...string) error {
	if r.nsp == nil {
		return ErrUnboundRemoteSocket
	}
	return newBroadcastOperator(r.nsp).In(r.ID).SocketsJoin(ctx, rooms...)
}

// Leave makes the socket leave rooms.
func (r *RemoteSocket) Leave(ctx context.Context, rooms ...string) error {
	if r.nsp == nil {
		return ErrUnboundRemoteSocket
	}
	return newBroadcastOperator(r.nsp).In(r.ID).SocketsLeave(ctx, rooms...)
}

// Disconnect disconnects the socket from its namespace; see
// Socket.Disconnect.
func (r *RemoteSocket) Disconnect(ctx context.Context) error {
	if r.nsp == nil {
		return ErrUnboundRemoteSocket
	}
	return newBroadcastOperator(r.nsp).In(r.ID).DisconnectSockets(ctx)
}

// CloseConnection closes the socket's whole connection; see
// Socket.CloseConnection.
func (r *RemoteSocket) CloseConnection(ctx context.Context) error {
	if r.nsp == nil {
		return ErrUnboundRemoteSocket
	}
	return newBroadcastOperator(r.nsp).In(r.ID).CloseConnections(ctx)
}
