package engine

import (
	"crypto/tls"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/envivo/socketio/internal/header"
)

// Close reasons given to Handler.HandleClose, Node's names.
const (
	ReasonTransportClose = "transport close"      // the client closed the connection
	ReasonTransportError = "transport error"      // a network or protocol failure, or a full write queue
	ReasonPingTimeout    = "ping timeout"         // no pong within PingTimeout
	ReasonParseError     = "parse error"          // a packet that does not decode
	ReasonForcedClose    = "forced close"         // Conn.Close without a reason
	ReasonServerShutdown = "server shutting down" // Server.Shutdown
)

// Errors returned by Conn.Send.
var (
	ErrClosed    = errors.New("engine: connection closed")
	ErrQueueFull = errors.New("engine: write queue full")
)

// Handler receives what happens on one connection.
type Handler interface {
	// HandleMessage is called for each message packet received, in order
	// and never concurrently for one connection: for a WebSocket, on the
	// worker its read loop hands the received bytes to (one at a time),
	// or on the goroutine of the polling POST that carried it (the POSTs of
	// a session are serialized: an overlapping one closes the session, as
	// in Node). data is owned by the callee.
	//
	// HandleMessage may block to push back on the sender: while it runs,
	// nothing more is read from the connection (TCP then holds a WebSocket
	// client back), and a polling POST is not answered. The client's pong
	// is not read either: a wait longer than PingTimeout after a ping ends
	// the session with "ping timeout". HandleMessage must return once
	// Conn.Done is closed: HandleClose waits for it.
	HandleMessage(data []byte, binary bool)
	// HandleClose is called exactly once, when the session stops: no
	// HandleMessage follows it or runs concurrently with it, and Send
	// returns ErrClosed from then on. reason is one of the Reason*
	// constants or what was given to Conn.Close. When the close comes from
	// Conn.Close, Conn.Send or Server.Shutdown, HandleClose runs on a new
	// goroutine, never inside that call.
	HandleClose(reason string)
}

type nopHandler struct{}

func (nopHandler) HandleMessage([]byte, bool) {}
func (nopHandler) HandleClose(string)         {}

type connState uint8

const (
	stateOpen    connState = iota
	stateClosing           // Close: flushing the queue, then the close packet or frame
	stateClosed            // nothing more is sent; the transport is torn down
)

// Conn is one Engine.IO session: what is common to every transport (the
// id, the state, the heartbeat, the outgoing queue and the dispatch of
// received messages to the Handler). How messages reach the client is the
// business of its transport (see transport), one value of which the
// session holds at a time; an upgrade hands the session over from one to
// the other (upgrade.go). Its methods are safe for concurrent use.
//
// Lock order: dispatchMu, then mu, then the locks of the server's timer
// queues and session map. A WebSocket's write lock (wsConn.wmu) is never
// taken with mu held. A transport's own state is guarded by its session's
// mu unless its file says otherwise.
type Conn struct {
	srv *Server

	// mu guards the fields from here to the next blank line. Those a send
	// reads come first: with srv they fill the first cache line, the one
	// line of each recipient's Conn that a broadcast to a large room
	// touches.
	mu           sync.Mutex
	tr           transport  // the current transport
	queue        []*Message // what waits to be sent, in order
	state        connState
	dispatching  bool              // HandleMessage (or accept) is running: HandleClose waits for it
	notified     bool              // HandleClose was called or is due
	finished     bool              // removed from the server
	awaitingPong bool              // the next heartbeat is a timeout: a ping is out (v4), or the client's is due (v3)
	overflowed   bool              // the write queue overflowed: the failure that follows is a slow client's
	upg          *upgrade          // a WebSocket taking over from polling, if any
	spare        []*Message        // a drained queue kept for reuse
	heartbeat    timerEntry[*Conn] // in srv.heartbeats: the next ping, the pong's deadline, or a close's
	end          *sessionEnd       // made by Done, or when the session stops being open

	id      string
	req     Request
	proto   protocol // the Engine.IO revision the client speaks
	handler Handler
	stripe  *trafficStripe // where the session counts its traffic (stats.go)

	dispatchMu sync.Mutex // held while HandleMessage runs
}

// newConn returns a session speaking proto for the handshake request r.
// The caller sets its transport before registering it.
func newConn(s *Server, r *http.Request, proto protocol) *Conn {
	uri := r.RequestURI
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	req := Request{Header: header.Compact(r.Header, r.Host), RemoteAddr: r.RemoteAddr, RequestURI: uri, TLS: r.TLS}
	c := &Conn{srv: s, req: req, proto: proto, stripe: s.nextStripe()}
	c.heartbeat = newTimerEntry(c)
	return c
}

// ID returns the Engine.IO session id (sid): 20 characters of base64url
// from 15 bytes of crypto/rand, or the id Options.Router minted.
func (c *Conn) ID() string { return c.id }

// Done returns a channel that is closed once the session is no longer
// open: Close, a failure or Shutdown began to end it. A Handler whose
// HandleMessage waits (to push back on a sender) must stop waiting then.
func (c *Conn) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateOpen {
		return closedChan
	}
	if c.end == nil {
		c.end = new(sessionEnd)
	}
	if c.end.done == nil {
		c.end.done = make(chan struct{})
	}
	return c.end.done
}

// sessionEnd holds what only a session that ended, or whose Handler waits
// on Done, needs: an open session does not carry it.
type sessionEnd struct {
	done   chan struct{} // returned by Done, closed when the session stops being open
	reason string        // why it stopped: HandleClose's argument
}

// closedChan is the Done of every session that has ended.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Request is what a session keeps of its handshake request (a GET): not
// its context, whose chain net/http made for one request, nor the Request
// and URL structs or the header map, all of which a session would hold for
// its whole life.
type Request struct {
	// Header holds the request's headers, its Host among them.
	Header header.Block
	// RemoteAddr is the request's RemoteAddr, host and port.
	RemoteAddr string
	// RequestURI is the request URI as the client sent it, query included.
	RequestURI string
	// TLS is the request's TLS state; nil for plain HTTP.
	TLS *tls.ConnectionState
}

// Request returns what the session kept of its handshake request. The
// result is shared and must not be modified.
func (c *Conn) Request() *Request { return &c.req }

// Transport returns the current transport: "polling", "websocket" or
// "webtransport".
func (c *Conn) Transport() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tr.name()
}

// Writable reports whether a message sent now would go out at once rather
// than wait behind others: the session is open, nothing is queued or being
// written, and a polling session has a GET pending. Volatile broadcasts skip
// sessions that are not writable, as Node does.
func (c *Conn) Writable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateOpen && len(c.queue) == 0 && c.tr.writableLocked()
}

// Send queues msgs to be sent in order, with nothing else between them. It
// never waits for the network. It returns ErrClosed once the session is
// closing. If the queue would hold more than WriteQueueSize messages, the
// session is closed with reason "transport error" and Send returns
// ErrQueueFull.
func (c *Conn) Send(msgs ...*Message) error {
	return c.send(msgs, false)
}

// SendBatched is Send for messages that may wait up to
// Options.BatchInterval to share a write with those that follow: on a
// WebSocket that wrote less than BatchInterval ago, they are written with
// the next write, no later than BatchInterval after the previous one. A
// broadcast to many connections at a high rate then costs far fewer system
// calls than messages. Send writes at once, whatever is waiting.
func (c *Conn) SendBatched(msgs ...*Message) error {
	return c.send(msgs, true)
}

func (c *Conn) send(msgs []*Message, batched bool) error {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return ErrClosed
	}
	if !c.queueLocked(msgs...) {
		c.mu.Unlock()
		c.fail(ReasonTransportError, failOpts{async: true, noFrame: true})
		return ErrQueueFull
	}
	c.tr.sendLocked(batched)
	return nil
}

// queueLocked appends msgs to the queue, unless that would make it longer
// than WriteQueueSize.
func (c *Conn) queueLocked(msgs ...*Message) bool {
	if len(c.queue)+len(msgs) > c.srv.opts.WriteQueueSize {
		c.overflowed = true
		return false
	}
	c.queue = append(c.queue, msgs...)
	return true
}

// takeQueueLocked returns what is queued for a transport to write, leaving
// an empty queue.
func (c *Conn) takeQueueLocked() []*Message {
	batch := c.queue
	c.queue, c.spare = c.spare, nil
	c.countOutLocked(batch)
	return batch
}

// recycleLocked keeps a written batch's array as the next spare queue.
func (c *Conn) recycleLocked(batch []*Message) {
	clear(batch)
	if c.spare == nil && cap(batch) <= 64 {
		c.spare = batch[:0]
	}
}

// Close closes the session from the server side: Send fails from now on,
// what is queued is still sent, then the close packet (polling) or close
// frame (WebSocket), bounded by PingTimeout. HandleClose receives reason
// ("forced close" if empty). Calls after the first do nothing.
func (c *Conn) Close(reason string) {
	if reason == "" {
		reason = ReasonForcedClose
	}
	c.close(reason, c.srv.opts.PingTimeout, false)
}

// close starts a graceful close that grace bounds. With discard, a
// transport that cannot deliver what is queued without the client asking
// (polling with no GET pending) is closed at once instead (Node's
// close(discard) on server close).
func (c *Conn) close(reason string, grace time.Duration, discard bool) {
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		return
	}
	if discard && !c.tr.drainsLocked() {
		c.mu.Unlock()
		c.fail(reason, failOpts{async: true})
		return
	}
	if c.endLocked(reason, stateClosing) {
		// Started before the kick may finish the session: Shutdown waits
		// for the server's goroutines once no session is left.
		c.notify(true)
	}
	c.awaitingPong = false
	c.armLocked(grace)
	upg := c.dropUpgradeLocked()
	c.tr.kickLocked()
	c.mu.Unlock()
	upg.abandon()
}

// start runs accept, queues the open packet and starts the heartbeat.
func (c *Conn) start() {
	c.dispatchMu.Lock()
	c.mu.Lock()
	c.dispatching = true
	c.queue = append(c.queue, c.srv.openMessage(c.id, c.tr.name()))
	c.mu.Unlock()

	h := c.callAccept()

	c.mu.Lock()
	c.handler = h
	c.dispatching = false
	notify := c.state != stateOpen && !c.notified
	c.notified = c.notified || notify
	if c.state == stateOpen {
		c.proto.startHeartbeatLocked(c)
	}
	c.tr.kickLocked()
	c.mu.Unlock()
	c.dispatchMu.Unlock()
	if notify {
		c.callClose()
	}
}

func (c *Conn) callAccept() (h Handler) {
	defer func() {
		if p := recover(); p != nil {
			c.srv.opts.Logger.Error("engine: panic in accept", "sid", c.id, "panic", p)
			h = nil
			c.fail(ReasonTransportError, failOpts{})
		}
		if h == nil {
			h = nopHandler{}
		}
	}()
	if c.srv.accept == nil {
		return nil
	}
	return c.srv.accept(c)
}

// dispatch hands one received message to the Handler, unless the session
// is closing.
func (c *Conn) dispatch(data []byte, binary bool) {
	c.dispatchMu.Lock()
	c.mu.Lock()
	if c.state != stateOpen {
		c.mu.Unlock()
		c.dispatchMu.Unlock()
		return
	}
	c.dispatching = true
	c.mu.Unlock()

	c.handleMessage(data, binary)

	c.mu.Lock()
	c.dispatching = false
	notify := c.state != stateOpen && !c.notified
	c.notified = c.notified || notify
	c.mu.Unlock()
	c.dispatchMu.Unlock()
	if notify {
		c.callClose()
	}
}

func (c *Conn) handleMessage(data []byte, binary bool) {
	defer func() {
		if p := recover(); p != nil {
			c.srv.opts.Logger.Error("engine: panic in HandleMessage", "sid", c.id, "panic", p)
			c.fail(ReasonTransportError, failOpts{})
		}
	}()
	c.handler.HandleMessage(data, binary)
}

// onPacket acts on a packet received on the current transport, a
// WebSocket or polling (whose close packet is handled by the POST).
func (c *Conn) onPacket(p packet, websocket bool) {
	switch p.typ {
	case typeMessage:
		c.countIn(websocket, len(p.data))
		c.dispatch(p.data, p.binary)
	case typePing, typePong:
		c.mu.Lock()
		ok := c.proto.heartbeatLocked(c, p.typ)
		c.mu.Unlock()
		if !ok {
			// Node: "invalid heartbeat direction"; or, in v3, a full queue.
			c.fail(ReasonTransportError, failOpts{})
		}
	}
}

// armLocked sets the heartbeat to fire after d.
func (c *Conn) armLocked(d time.Duration) { c.srv.heartbeats.arm(&c.heartbeat, d) }

// onHeartbeat sends a ping, or closes a session whose pong (v4), ping (v3)
// or graceful close is late. It runs on the heartbeat queue's goroutine.
func (c *Conn) onHeartbeat() {
	c.mu.Lock()
	if c.state == stateClosed || !c.srv.heartbeats.take(&c.heartbeat) {
		c.mu.Unlock() // stopped, or armed again since it fired
		return
	}
	if c.state == stateClosing || c.awaitingPong {
		c.mu.Unlock()
		c.srv.opts.Logger.Debug("engine: timed out", "sid", c.id)
		c.fail(ReasonPingTimeout, failOpts{})
		return
	}
	c.awaitingPong = true
	c.queue = append(c.queue, pingMessage)
	c.armLocked(c.srv.opts.PingTimeout)
	// As an ack is: written here when the socket buffer takes it at once,
	// which saves waking a worker for each ping of an idle connection.
	c.tr.sendLocked(false)
}

// endLocked moves the session to state st (never backwards). The first
// call records reason and reports whether the caller must call HandleClose
// now: not if HandleMessage runs, whose end will.
func (c *Conn) endLocked(reason string, st connState) bool {
	wasOpen := c.state == stateOpen
	if st > c.state {
		c.state = st
	}
	if !wasOpen {
		return false
	}
	if c.end == nil {
		c.end = new(sessionEnd)
	} else if c.end.done != nil {
		close(c.end.done)
	}
	c.end.reason = reason
	if c.dispatching {
		return false
	}
	c.notified = true
	return true
}

// notify calls HandleClose, on a new goroutine if async.
func (c *Conn) notify(async bool) {
	if !async {
		c.callClose()
		return
	}
	c.srv.goroutines.Go(c.callClose)
}

func (c *Conn) callClose() {
	defer func() {
		if p := recover(); p != nil {
			c.srv.opts.Logger.Error("engine: panic in HandleClose", "sid", c.id, "panic", p)
		}
	}()
	c.mu.Lock()
	var reason string
	if c.end != nil { // set when the session stopped being open
		reason = c.end.reason
	}
	c.mu.Unlock()
	c.handler.HandleClose(reason)
}

// failOpts tunes how fail tears a session down.
type failOpts struct {
	noop      bool   // polling: the pending GET answers noop, not close (the client closed)
	noFrame   bool   // WebSocket: write no close frame (the peer is gone)
	closeBody []byte // WebSocket: payload of the close frame
	async     bool   // call HandleClose on a new goroutine
}

// fail closes the session at once for reason, dropping what is queued.
func (c *Conn) fail(reason string, o failOpts) {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	notify := c.endLocked(reason, stateClosed)
	slow := c.overflowed // reported once
	c.overflowed = false
	c.queue, c.spare = nil, nil
	c.srv.heartbeats.cancel(&c.heartbeat)
	upg := c.dropUpgradeLocked()
	t := c.tr
	t.stopLocked(o)
	c.mu.Unlock()

	if slow {
		c.srv.observeQueueFull(c)
	}
	if notify && o.async {
		// Started before stop may finish the session: Shutdown waits for
		// the server's goroutines once no session is left.
		c.notify(true)
	}
	upg.abandon()
	t.stop(o)
	if notify && !o.async {
		c.notify(false)
	}
}

// finish removes the session from the server once its transport is gone.
func (c *Conn) finish() {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished = true
	c.state = stateClosed
	c.srv.heartbeats.cancel(&c.heartbeat)
	c.mu.Unlock()
	c.srv.sessions.remove(c)
}
