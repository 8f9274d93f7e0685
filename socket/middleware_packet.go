package socket

import "slices"

// PacketMiddleware runs for every event the client sends on one socket,
// before the event's handler: Node's socket.use. It sees the event's name
// and arguments, and ack, the event's acknowledgement (nil when the client
// asked for none), with which it may answer the client itself, as a Node
// middleware may call the callback at the end of the packet; once it has,
// the handler's ack sends nothing. Returning an error drops the event.
// Apps use it to authorize or validate events in one place.
type PacketMiddleware func(s *Socket, event string, args Args, ack AckFunc) error

// Use appends packet middleware, which runs in order, on the socket's
// handler goroutine, for every event the client sends from now on, after
// the OnAny handlers, as in Node. The first error stops the chain: the
// event's handler does not run, its acknowledgement request stays
// unanswered unless the middleware answered it, and the error goes to the
// OnError handlers of the socket (Node's "error" event on the server-side
// socket). The client is told nothing else, as with Node; an OnError
// handler may emit to it or disconnect it. A panic in middleware is recovered and disconnects the socket, as a
// panic in a handler does.
func (s *Socket) Use(m ...PacketMiddleware) {
	s.mu.Lock()
	more := s.moreLocked()
	more.packetMiddleware = append(slices.Clip(more.packetMiddleware), m...)
	s.mu.Unlock()
}

// OnError registers h to receive the errors of the socket's packet
// middleware (see Use). h runs on the socket's handler goroutine. Without
// any OnError handler, the errors go to Options.OnError, with the event's
// name, or to the logger at debug level.
func (s *Socket) OnError(h func(s *Socket, err error)) {
	s.mu.Lock()
	more := s.moreLocked()
	more.onError = append(slices.Clip(more.onError), h)
	s.mu.Unlock()
}

// runPacketMiddleware runs middleware for an event and reports whether
// they all accepted it.
func (s *Socket) runPacketMiddleware(middleware []PacketMiddleware, event string, args Args, ack AckFunc) bool {
	for _, m := range middleware {
		var err error
		if !s.safely("packet middleware", func() { err = m(s, event, args, ack) }) {
			return false
		}
		if err != nil {
			s.packetError(event, err)
			return false
		}
	}
	return true
}

// packetError hands the error of a packet middleware to the socket's
// OnError handlers, or else to Options.OnError.
func (s *Socket) packetError(event string, err error) {
	handlers := s.listenersOf().onError
	if len(handlers) == 0 {
		s.reportError(event, err)
		return
	}
	for _, h := range handlers {
		s.safely("error", func() { h(s, err) })
	}
}
