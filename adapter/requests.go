package adapter

import (
	"sync"

	"github.com/envivo/socketio/socket"
)

// RequestKind says what a request of this node waits for, and so which
// answers it takes.
type RequestKind int

// The kinds of requests.
const (
	FetchRequest     RequestKind = iota // sockets from each node
	RoomsRequest                        // rooms from each node
	EmitRequest                         // one server-side emit answer from each node
	BroadcastRequest                    // a client count from each node, then acks
)

// String returns the operation's name, such as "fetch sockets".
func (k RequestKind) String() string {
	return [...]string{"fetch sockets", "all rooms", "server-side emit", "broadcast with ack"}[k]
}

// request is a question this node asked the others, waiting for their
// answers. Its fields are guarded by the registry's lock.
type request struct {
	kind     RequestKind
	expected int           // answers expected, one per other node
	answered int           // answers received
	done     chan struct{} // closed once answered == expected

	sockets []*socket.RemoteSocket // FetchRequest
	rooms   []string               // RoomsRequest
	acks    socket.AckReceiver     // EmitRequest, BroadcastRequest
	clients int                    // BroadcastRequest: sum of the client counts
	acked   int                    // BroadcastRequest: acks received

	release func() // stops the timers that would remove the request
}

func newRequest(kind RequestKind, expected int) *request {
	return &request{kind: kind, expected: expected, done: make(chan struct{})}
}

// complete reports whether every answer and, for a broadcast, every
// client's ack has arrived.
func (r *request) complete() bool {
	if r.answered < r.expected {
		return false
	}
	return r.kind != BroadcastRequest || r.acked >= r.clients
}

// registry holds the open requests of an adapter by request id. It is
// safe for concurrent use.
type registry struct {
	mu   sync.Mutex
	open map[string]*request
}

// add registers r under id.
func (g *registry) add(id string, r *request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.addLocked(id, r)
}

func (g *registry) addLocked(id string, r *request) {
	if g.open == nil {
		g.open = make(map[string]*request)
	}
	g.open[id] = r
}

// remove forgets the request id and stops its timers; it reports whether
// the request was still open.
func (g *registry) remove(id string) bool {
	g.mu.Lock()
	r := g.open[id]
	delete(g.open, id)
	g.mu.Unlock()
	if r != nil && r.release != nil {
		r.release()
	}
	return r != nil
}

// progress returns the answers r received and expects.
func (g *registry) progress(r *request) (answered, expected int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return r.answered, r.expected
}

// update applies f to the open request id of the given kind, counting an
// answer when answer is set. It closes the request's done channel when
// the last answer arrives, and forgets the request once nothing more can
// arrive for it unless keep is set. It returns the request, or nil if
// there is no such request.
func (g *registry) update(id string, kind RequestKind, answer bool, f func(r *request)) *request {
	g.mu.Lock()
	r := g.open[id]
	if r == nil || r.kind != kind {
		g.mu.Unlock()
		return nil
	}
	if f != nil {
		f(r)
	}
	if answer {
		r.answered++
		if r.answered == r.expected {
			close(r.done)
		}
	}
	finished := r.complete() && r.kind != FetchRequest && r.kind != RoomsRequest
	if finished {
		delete(g.open, id)
	}
	g.mu.Unlock()
	if finished && r.release != nil {
		r.release()
	}
	return r
}

// kindOf returns the kind of the open request id.
func (g *registry) kindOf(id string) (RequestKind, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.open[id]
	if r == nil {
		return 0, false
	}
	return r.kind, true
}

// closeAll forgets every request, as the adapter closes.
func (g *registry) closeAll() {
	g.mu.Lock()
	open := g.open
	g.open = nil
	g.mu.Unlock()
	for _, r := range open {
		if r.release != nil {
			r.release()
		}
	}
}
