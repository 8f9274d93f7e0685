package socket

import (
	"context"
	"errors"
	"slices"
)

// BroadcastOperator selects sockets of a namespace, by rooms, and acts on
// all of them: emit, emit with acks, fetch, join, leave, disconnect. It is a
// value: every method that narrows the selection returns a new operator and
// leaves the receiver unchanged, so an operator can be kept and reused.
// Through a cluster adapter it reaches the sockets of every node.
type BroadcastOperator struct {
	nsp  *Namespace
	opts BroadcastOptions
}

func newBroadcastOperator(nsp *Namespace) BroadcastOperator {
	return BroadcastOperator{nsp: nsp}
}

// To adds rooms to the selection: a socket in any of the rooms is selected.
func (b BroadcastOperator) To(rooms ...string) BroadcastOperator {
	b.opts.Rooms = append(slices.Clip(b.opts.Rooms), rooms...)
	return b
}

// In is the same as To.
func (b BroadcastOperator) In(rooms ...string) BroadcastOperator { return b.To(rooms...) }

// Except removes from the selection the sockets in any of rooms.
func (b BroadcastOperator) Except(rooms ...string) BroadcastOperator {
	b.opts.Except = append(slices.Clip(b.opts.Except), rooms...)
	return b
}

// Volatile lets the event be dropped for clients that are not ready to
// receive it at once, as for positions in a game where only the latest
// matters.
func (b BroadcastOperator) Volatile() BroadcastOperator {
	b.opts.Flags.Volatile = true
	return b
}

// Local restricts the operation to the sockets of this node.
func (b BroadcastOperator) Local() BroadcastOperator {
	b.opts.Flags.Local = true
	return b
}

// Compress(false) sends the event uncompressed, whatever the connections
// negotiated, as Node's compress(false): for small or incompressible data
// (already compressed images, say) it saves the work. Events are
// compressed by default where the connection allows. Cluster peers receive
// the flag.
func (b BroadcastOperator) Compress(compress bool) BroadcastOperator {
	b.opts.Flags.Compress = &compress
	return b
}

// Emit sends an event to every selected socket. The event is encoded once
// for all of them. A []byte anywhere in args travels as binary; a
// json.RawMessage travels verbatim, as JSON.
//
// Emit does not wait for the network, and takes no context because it never
// blocks: with a cluster adapter, the broadcast is queued for the other
// nodes (adapter/redis drops it with ErrQueueFull when its bounded queue is
// full, while Redis hangs) and delivered to this node's sockets at once.
// Its error says the event could not be encoded or queued, never that a
// client received it; use EmitWithAck for that.
func (b BroadcastOperator) Emit(event string, args ...any) error {
	return b.eachNamespace(func(nsp *Namespace, a Adapter) error {
		p, err := newEventPacket(nsp.name, event, args...)
		if err != nil {
			return err
		}
		return a.Broadcast(context.Background(), p, b.opts)
	})
}

// EmitWithAck sends an event to every selected socket and waits until each
// has acknowledged it or ctx ends. It returns the replies, one per client,
// in no particular order; when ctx ends first it returns those that arrived
// with an *AckIncompleteError saying how many were expected.
func (b BroadcastOperator) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	acks := newAckCollector()
	err := b.eachNamespace(func(nsp *Namespace, a Adapter) error {
		p, err := newEventPacket(nsp.name, event, args...)
		if err != nil {
			return err
		}
		return a.BroadcastWithAck(ctx, p, b.opts, acks)
	})
	if err != nil {
		return nil, err
	}
	return acks.wait(ctx)
}

// FetchSockets returns a snapshot of every selected socket.
func (b BroadcastOperator) FetchSockets(ctx context.Context) ([]*RemoteSocket, error) {
	var all []*RemoteSocket
	err := b.eachNamespace(func(_ *Namespace, a Adapter) error {
		found, err := a.FetchSockets(ctx, b.opts)
		all = append(all, found...)
		return err
	})
	return all, err
}

// Count returns the number of selected sockets.
func (b BroadcastOperator) Count(ctx context.Context) (int, error) {
	found, err := b.FetchSockets(ctx)
	return len(found), err
}

// SocketsJoin makes every selected socket join rooms.
func (b BroadcastOperator) SocketsJoin(ctx context.Context, rooms ...string) error {
	return b.eachNamespace(func(_ *Namespace, a Adapter) error {
		return a.AddSockets(ctx, b.opts, rooms)
	})
}

// SocketsLeave makes every selected socket leave rooms.
func (b BroadcastOperator) SocketsLeave(ctx context.Context, rooms ...string) error {
	return b.eachNamespace(func(_ *Namespace, a Adapter) error {
		return a.DelSockets(ctx, b.opts, rooms)
	})
}

// DisconnectSockets disconnects every selected socket from its namespace,
// on every node (see Socket.Disconnect): Node's disconnectSockets().
func (b BroadcastOperator) DisconnectSockets(ctx context.Context) error {
	return b.disconnect(ctx, false)
}

// CloseConnections closes the whole connection of every selected socket,
// on every node (see Socket.CloseConnection): Node's
// disconnectSockets(true).
func (b BroadcastOperator) CloseConnections(ctx context.Context) error {
	return b.disconnect(ctx, true)
}

func (b BroadcastOperator) disconnect(ctx context.Context, close bool) error {
	return b.eachNamespace(func(_ *Namespace, a Adapter) error {
		return a.DisconnectSockets(ctx, b.opts, close)
	})
}

// eachNamespace runs f on the operator's namespace and its adapter or, for
// the parent of dynamic namespaces, on each of its live children. A child
// that is not live has no adapter: there is nobody to reach.
func (b BroadcastOperator) eachNamespace(f func(nsp *Namespace, a Adapter) error) error {
	if b.nsp.match == nil {
		if a := b.nsp.Adapter(); a != nil {
			return f(b.nsp, a)
		}
		return nil
	}
	var errs []error
	for _, child := range b.nsp.children() {
		if a := child.Adapter(); a != nil {
			errs = append(errs, f(child, a))
		}
	}
	return errors.Join(errs...)
}
