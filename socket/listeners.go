package socket

import (
	"encoding/json"
	"slices"
)

// Catch-all listeners and the removal of listeners (Node's onAny,
// prependAny, offAny, onAnyOutgoing, prependAnyOutgoing, offAnyOutgoing,
// off, removeAllListeners).
//
// Go functions cannot be compared, so a listener cannot be removed by
// passing it again as in Node's offAny(listener): each registration
// returns a func that removes that registration, as context.AfterFunc
// returns its stop func. It may be called any number of times, from any
// goroutine. The lists are replaced, never changed in place, so that an
// event being delivered finishes with the listeners it started with.

// listeners are a socket's registrations that most sockets never make,
// kept out of Socket so that it fits a smaller size class: at a few
// hundred thousand sockets, that is megabytes. They are guarded by the
// socket's mu; the lists are replaced, never changed in place.
type listeners struct {
	any              []*anyListener
	outgoing         []*anyListener
	packetMiddleware []PacketMiddleware
	onError          []func(s *Socket, err error)
}

// moreLocked returns s's listeners, making them on first use.
func (s *Socket) moreLocked() *listeners {
	if s.more == nil {
		s.more = new(listeners)
	}
	return s.more
}

// listenersOf returns a copy of s's listeners, for a reader that must not
// hold mu while it calls them (the lists are never changed in place).
func (s *Socket) listenersOf() listeners {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.more == nil {
		return listeners{}
	}
	return *s.more
}

// anyList and outgoingList pick a list of catch-all listeners.
func anyList(l *listeners) *[]*anyListener      { return &l.any }
func outgoingList(l *listeners) *[]*anyListener { return &l.outgoing }

// anyListener is one registration of an AnyHandler; its address identifies
// it for removal.
type anyListener struct{ h AnyHandler }

// OnAny registers h to see every event the client sends, before the
// packet middleware and the event's own handler, after the handlers
// registered before it. It returns a func that removes h.
func (s *Socket) OnAny(h AnyHandler) (remove func()) {
	return s.addListener(anyList, h, false)
}

// PrependAny is OnAny that puts h before the handlers registered before.
func (s *Socket) PrependAny(h AnyHandler) (remove func()) {
	return s.addListener(anyList, h, true)
}

// OffAny removes every handler registered with OnAny and PrependAny.
func (s *Socket) OffAny() {
	s.mu.Lock()
	if s.more != nil {
		s.more.any = nil
	}
	s.mu.Unlock()
}

// OnAnyOutgoing registers h to see every event sent to the client from
// now on, by Emit and EmitWithAck on the socket and by broadcasts that
// reach it on this node, with the event's name and arguments. h runs on
// the goroutine that emits, before the event is queued, and may run
// concurrently with itself when several goroutines emit; it must not
// block. It returns a func that removes h.
func (s *Socket) OnAnyOutgoing(h AnyHandler) (remove func()) {
	return s.addListener(outgoingList, h, false)
}

// PrependAnyOutgoing is OnAnyOutgoing that puts h before the handlers
// registered before.
func (s *Socket) PrependAnyOutgoing(h AnyHandler) (remove func()) {
	return s.addListener(outgoingList, h, true)
}

// OffAnyOutgoing removes every handler registered with OnAnyOutgoing and
// PrependAnyOutgoing.
func (s *Socket) OffAnyOutgoing() {
	s.mu.Lock()
	if s.more != nil {
		s.more.outgoing = nil
	}
	s.hasOutgoing.Store(false)
	s.mu.Unlock()
}

// Off removes the handler of event registered with OnEvent, On or OnAck:
// later events of that name are dropped, as events without a handler are.
func (s *Socket) Off(event string) {
	s.mu.Lock()
	s.handlers.del(event)
	s.mu.Unlock()
}

// RemoveAllListeners removes the handlers of every event (OnEvent, On,
// OnAck), the catch-all handlers (OnAny, OnAnyOutgoing) and the error
// handlers (OnError). The OnDisconnecting and OnDisconnect hooks stay:
// packages such as auth rely on them.
func (s *Socket) RemoveAllListeners() {
	s.mu.Lock()
	s.handlers = nil
	if s.more != nil {
		s.more.any, s.more.outgoing, s.more.onError = nil, nil, nil
	}
	s.hasOutgoing.Store(false)
	s.mu.Unlock()
}

// addListener adds h to the list that pick chooses, at its end, or its
// start when first, and returns the func that removes it.
func (s *Socket) addListener(pick func(*listeners) *[]*anyListener, h AnyHandler, first bool) (remove func()) {
	l := &anyListener{h}
	s.mu.Lock()
	list := pick(s.moreLocked())
	if first {
		*list = append([]*anyListener{l}, *list...)
	} else {
		*list = append(slices.Clip(*list), l)
	}
	s.hasOutgoing.Store(len(s.more.outgoing) > 0)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		list := pick(s.more)
		*list = slices.DeleteFunc(slices.Clone(*list), func(x *anyListener) bool { return x == l })
		s.hasOutgoing.Store(len(s.more.outgoing) > 0)
		s.mu.Unlock()
	}
}

// notifyOutgoing hands an event on its way to the client, the JSON array
// [event, args...] with its attachments, to the OnAnyOutgoing handlers.
// Without handlers it costs one atomic load.
func (s *Socket) notifyOutgoing(data json.RawMessage, attachments [][]byte) {
	if !s.hasOutgoing.Load() {
		return
	}
	args, err := argsOf(data, attachments)
	if err != nil || args.Len() == 0 {
		return
	}
	event := eventName(args.elems[0])
	args.elems = args.elems[1:]
	for _, l := range s.listenersOf().outgoing {
		s.safely("outgoing", func() { l.h(s, event, args) })
	}
}
