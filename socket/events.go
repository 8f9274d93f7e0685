package socket

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/envivo/socketio/internal/parser"
)

// Handler handles one event from a client: args are the event's arguments,
// and ack answers the client's acknowledgement request (nil when the client
// asked for none). See Socket for when handlers run.
type Handler func(s *Socket, args Args, ack AckFunc)

// AnyHandler sees every event from a client, before its own handler.
type AnyHandler func(s *Socket, event string, args Args)

// AckFunc sends the acknowledgement of an event with args. Only the first
// call sends anything; later calls do nothing and return nil.
type AckFunc func(args ...any) error

// OnEvent registers h for event, replacing any handler registered before.
// Events without a handler are dropped; so are their ack requests.
func (s *Socket) OnEvent(event string, h Handler) {
	s.mu.Lock()
	s.handlers.set(event, h)
	s.mu.Unlock()
}

// eventHandlers holds a socket's handlers by event name. A socket has a
// handful, for which a slice searched in order is smaller than a map and
// as quick.
type eventHandlers []namedHandler

type namedHandler struct {
	event string
	h     Handler
}

func (hs eventHandlers) get(event string) Handler {
	for _, nh := range hs {
		if nh.event == event {
			return nh.h
		}
	}
	return nil
}

// del removes the handler of event, leaving the slice it was read from
// unchanged for readers that hold it.
func (hs *eventHandlers) del(event string) {
	*hs = slices.DeleteFunc(slices.Clone(*hs), func(nh namedHandler) bool { return nh.event == event })
}

func (hs *eventHandlers) set(event string, h Handler) {
	for i := range *hs {
		if (*hs)[i].event == event {
			(*hs)[i].h = h
			return
		}
	}
	*hs = append(*hs, namedHandler{event, h})
}

// On registers a typed handler for event: the event's first argument is
// decoded from JSON into an In. When it does not decode, or h returns an
// error, the error goes to Options.OnError and h's event is done; any ack
// request is left unanswered (use OnAck for events with replies).
func On[In any](s *Socket, event string, h func(s *Socket, in In) error) {
	s.OnEvent(event, func(s *Socket, args Args, _ AckFunc) {
		var in In
		if err := args.Decode(0, &in); err != nil {
			s.reportError(event, err)
			return
		}
		if err := h(s, in); err != nil {
			s.reportError(event, err)
		}
	})
}

// OnAck registers a typed handler for an event the client emits with an
// acknowledgement: the first argument is decoded into an In, and h's result
// is the acknowledgement's one argument. When h returns an error, it goes
// to Options.OnError and the client is answered {"error": err.Error()}, so
// return errors whose text is fit for clients. When the argument does not
// decode, the decoding error (which names Go types) goes to OnError and the
// client is answered {"error": "invalid arguments for <event>"}. ctx is the
// socket's context, cancelled on disconnect.
func OnAck[In, Out any](s *Socket, event string, h func(ctx context.Context, s *Socket, in In) (Out, error)) {
	s.OnEvent(event, func(s *Socket, args Args, ack AckFunc) {
		var in In
		if err := args.Decode(0, &in); err != nil {
			s.reportError(event, err)
			if ack != nil {
				_ = ack(ackError{Error: "invalid arguments for " + event})
			}
			return
		}
		out, err := h(s.Context(), s, in)
		if err != nil {
			s.reportError(event, err)
			if ack != nil {
				_ = ack(ackError{Error: err.Error()})
			}
			return
		}
		if ack != nil {
			_ = ack(out)
		}
	})
}

// ackError is the acknowledgement OnAck sends for an error.
type ackError struct {
	Error string `json:"error"`
}

// Event is a typed event name: the Go form of one entry of the TypeScript
// ServerToClientEvents or ClientToServerEvents maps. Declare each event once
// and the compiler checks every emit and handler against T:
//
//	var ChatMessage = socket.Event[Message]{Name: "chat:message"}
//	ChatMessage.Emit(io.To(roomID), msg)
type Event[T any] struct {
	Name string
}

// Emitter is anything events can be emitted to: a Socket, a Namespace, a
// Server, a BroadcastOperator.
type Emitter interface {
	Emit(event string, args ...any) error
}

// Emit emits the event with v as its one argument.
func (e Event[T]) Emit(to Emitter, v T) error { return to.Emit(e.Name, v) }

// On registers h for the event on s; see On.
func (e Event[T]) On(s *Socket, h func(s *Socket, in T) error) { On(s, e.Name, h) }

// AckEvent is a typed event that expects an acknowledgement: In travels with
// the event, Out with the reply.
type AckEvent[In, Out any] struct {
	Name string
}

// On registers h for the event on s; see OnAck.
func (e AckEvent[In, Out]) On(s *Socket, h func(ctx context.Context, s *Socket, in In) (Out, error)) {
	OnAck(s, e.Name, h)
}

// EmitWithAck emits the event to s's client and decodes its reply into an
// Out. Errors are those of Socket.EmitWithAck, or of decoding the reply.
func (e AckEvent[In, Out]) EmitWithAck(ctx context.Context, s *Socket, in In) (Out, error) {
	var out Out
	args, err := s.EmitWithAck(ctx, e.Name, in)
	if err != nil {
		return out, err
	}
	return out, args.Decode(0, &out)
}

// dispatch runs the handlers of one event, on the socket's queue: the
// OnAny handlers, then, if the packet middleware accepts the event, its
// own handler, in Node's order.
func (s *Socket) dispatch(event string, args Args, ack AckFunc) {
	if !s.Connected() {
		return
	}
	more := s.listenersOf()
	for _, a := range more.any {
		s.safely(event, func() { a.h(s, event, args) })
	}
	if !s.runPacketMiddleware(more.packetMiddleware, event, args, ack) {
		return
	}
	s.mu.Lock()
	h := s.handlers.get(event)
	s.mu.Unlock()
	if h != nil && s.Connected() {
		s.safely(event, func() { h(s, args, ack) })
	}
}

func (s *Socket) reportError(event string, err error) {
	if f := s.nsp.server.opts.OnError; f != nil {
		s.safely("OnError", func() { f(s, event, err) })
		return
	}
	s.logger().Warn("socket: handler error", "nsp", s.nsp.name, "id", s.id, "event", event, "err", err)
}

// eventName reads the event name from the first element of an EVENT
// packet, which the parser has checked to be a string or a number.
func eventName(raw json.RawMessage) string {
	if len(raw) >= 2 && raw[0] == '"' {
		if bytes.IndexByte(raw, '\\') < 0 {
			return string(raw[1 : len(raw)-1])
		}
		var name string
		if json.Unmarshal(raw, &name) == nil {
			return name
		}
	}
	return string(raw)
}

// onEvent queues an EVENT packet from the client for its handlers. It runs
// on the read loop, and waits while the socket's queue is full; an error
// closes the connection.
func (s *Socket) onEvent(p *parser.Packet) error {
	args, err := newArgs(p)
	if err != nil {
		return err
	}
	if args.Len() == 0 {
		return protocolError("EVENT without a name")
	}
	var ack AckFunc
	if p.ID != parser.NoID {
		ack = s.ackFunc(p.ID)
	}
	event := eventName(args.elems[0])
	args.elems = args.elems[1:]
	s.queueEvent(func() { s.dispatch(event, args, ack) })
	return nil
}

// queueEvent queues the handling of an event from the client. While the
// socket's queue is full (Options.MaxPendingEvents) it waits for room,
// which holds up the connection's reads and so pushes back on the client.
// It gives up, dropping the event, once the connection or the socket
// closes: the event would not be handled then anyway.
func (s *Socket) queueEvent(run func()) {
	limit := s.nsp.server.opts.MaxPendingEvents
	for paused := false; ; paused = true {
		room := s.queue.pushEvent(run, limit)
		if room == nil {
			return
		}
		if !paused {
			s.nsp.server.observeInboundFull(s)
		}
		select {
		case <-room:
		case <-s.conn.Done():
			return
		case <-s.Context().Done():
			return
		}
	}
}
