package socket

import (
	"context"
	"sync"
)

// ServerEventHandler handles an event that another node of the cluster
// emitted with ServerSideEmit: args are its arguments, and reply answers
// the emitting node (nil when it asked for no answer; at most once).
type ServerEventHandler func(args Args, reply AckFunc)

// serverEvents holds a namespace's handlers for events from other nodes.
type serverEvents struct {
	mu       sync.RWMutex
	handlers map[string]ServerEventHandler
}

// OnServerEvent registers h for event when another node of the cluster
// emits it with ServerSideEmit. h runs on the adapter's goroutine: hand
// long work to a goroutine of your own.
func (n *Namespace) OnServerEvent(event string, h ServerEventHandler) {
	n.serverEvents.mu.Lock()
	if n.serverEvents.handlers == nil {
		n.serverEvents.handlers = make(map[string]ServerEventHandler)
	}
	n.serverEvents.handlers[event] = h
	n.serverEvents.mu.Unlock()
}

// dispatchServerEvent hands an event that another node emitted with
// ServerSideEmit to the handler registered with OnServerEvent; reply, if
// not nil, carries the handler's answer back. Cluster adapters call it
// through adapter.DispatchServerEvent.
func (n *Namespace) dispatchServerEvent(p *Packet, reply func(Args)) error {
	args, err := argsOf(p.data, p.attachments)
	if err != nil || args.Len() == 0 {
		return err
	}
	event := eventName(args.elems[0])
	args.elems = args.elems[1:]
	n.serverEvents.mu.RLock()
	h := n.serverEvents.handlers[event]
	n.serverEvents.mu.RUnlock()
	if h == nil {
		return nil
	}
	var ack AckFunc
	if reply != nil {
		ack = func(args ...any) error {
			data, attachments, err := encodeArgs(args)
			if err != nil {
				return err
			}
			a, err := argsOf(data, attachments)
			if err == nil {
				reply(a)
			}
			return err
		}
	}
	h(args, ack)
	return nil
}

// ServerSideEmit sends an event to the other nodes of the cluster, to the
// handlers they registered with OnServerEvent on this namespace. With the
// in-memory adapter there are no other nodes and it does nothing.
func (n *Namespace) ServerSideEmit(ctx context.Context, event string, args ...any) error {
	p, err := newEventPacket(n.name, event, args...)
	if err != nil {
		return err
	}
	if a := n.Adapter(); a != nil {
		return a.ServerSideEmit(ctx, p, nil)
	}
	return nil
}

// ServerSideEmitWithAck is ServerSideEmit that waits for one answer from
// each other node, until ctx ends; see BroadcastOperator.EmitWithAck for the
// result.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	p, err := newEventPacket(n.name, event, args...)
	if err != nil {
		return nil, err
	}
	a := n.Adapter()
	if a == nil {
		return nil, nil
	}
	acks := newAckCollector()
	if err := a.ServerSideEmit(ctx, p, acks); err != nil {
		return nil, err
	}
	return acks.wait(ctx)
}
