package socket

import (
	"slices"
	"sync"

	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/parser"
)

// client is one Engine.IO connection and the sockets it holds, one per
// namespace. It decodes packets on the connection's read path and hands
// them to the sockets' queues, so that it never runs user code there; it
// waits only while a socket's queue of client events is full, which is how
// a client that sends faster than its handlers is held back.
type client struct {
	server  *Server
	conn    *engine.Conn
	decoder parser.Decoder // used only on the read loop
	legacy  bool           // a Socket.IO v2 client (Engine.IO v3): see legacy.go

	mu      sync.Mutex
	sockets []*Socket // connecting or connected, one per namespace
	closed  bool
}

func newClient(srv *Server, conn *engine.Conn) *client {
	c := &client{
		server:  srv,
		conn:    conn,
		decoder: parser.Decoder{MaxAttachments: srv.opts.MaxAttachments},
		legacy:  conn.Protocol() == 3,
	}
	srv.connecting.add(c, srv.opts.ConnectTimeout)
	if c.legacy {
		// A Socket.IO v2 client sends no CONNECT for "/": Node joins it.
		_ = c.connect(&parser.Packet{Type: parser.Connect, Namespace: "/", ID: parser.NoID})
	}
	return c
}

// HandleMessage implements engine.Handler. It blocks while the socket an
// event is for has Options.MaxPendingEvents waiting (see
// Socket.queueEvent), and returns once the connection or that socket
// closes.
func (c *client) HandleMessage(data []byte, binary bool) {
	var p *parser.Packet
	var err error
	switch {
	case c.server.opts.Parser == MsgpackParser:
		p, err = decodeMsgpack(data, binary, c.server.opts.MaxAttachments)
	case binary:
		p, err = c.decoder.DecodeBinary(data)
	default:
		p, err = c.decoder.DecodeText(data)
	}
	if err == nil && p != nil {
		err = c.route(p)
	}
	if err != nil {
		c.server.logger.Debug("socket: closing connection on bad packet", "sid", c.conn.ID(), "err", err)
		c.close(ReasonParseError)
	}
}

// HandleClose implements engine.Handler.
func (c *client) HandleClose(reason string) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	for _, s := range c.socketList() {
		s.close(DisconnectReason(reason))
	}
	if c.server.debugging() {
		c.server.logger.Debug("socket: connection closed", "sid", c.conn.ID(), "reason", reason)
	}
}

// route hands a decoded packet to its socket. An error closes the
// connection, as Node does for every packet that breaks the protocol.
func (c *client) route(p *parser.Packet) error {
	if c.legacy {
		splitNamespace(p)
	}
	if p.Type == parser.Connect {
		return c.connect(p)
	}
	s := c.connectedSocket(p.Namespace)
	if s == nil {
		return errNotJoined
	}
	switch p.Type {
	case parser.Event, parser.BinaryEvent:
		return s.onEvent(p)
	case parser.Ack, parser.BinaryAck:
		return s.onAck(p)
	case parser.Disconnect:
		s.close(ReasonClientNamespaceDisconnect)
		return nil
	default: // CONNECT_ERROR is for clients only
		return errUnexpected
	}
}

var (
	errNotJoined  = protocolError("packet for a namespace the client has not joined")
	errDuplicate  = protocolError("second CONNECT to the same namespace")
	errUnexpected = protocolError("CONNECT_ERROR from a client")
)

type protocolError string

func (e protocolError) Error() string { return "socket: " + string(e) }

// connect starts joining the namespace a CONNECT names. A socket of that
// namespace that is leaving does not make it a duplicate: the client may
// join again as soon as it has left or been disconnected, as with Node,
// and the leaving socket is forgotten at once.
func (c *client) connect(p *parser.Packet) error {
	nsp := c.server.lookup(p.Namespace, p.Data)
	if nsp == nil {
		c.server.observeRefused(nil, p.Namespace, RefusedNamespace, errInvalidNamespace.Message)
		c.refuse(p.Namespace, errInvalidNamespace)
		return nil
	}
	c.mu.Lock()
	old := c.socketLocked(p.Namespace)
	if c.closed || (old != nil && !old.leaving()) {
		c.mu.Unlock()
		return errDuplicate
	}
	if old != nil {
		c.sockets = slices.DeleteFunc(c.sockets, func(s *Socket) bool { return s == old })
	}
	s := newSocket(nsp, c)
	c.sockets = append(c.sockets, s)
	c.mu.Unlock()
	// The id and handshake are made on the queue's goroutine too: their
	// stack (crypto/rand, URL parsing) would otherwise grow the read loop's
	// stack for the life of the connection.
	auth := p.Data
	s.queue.push(func() {
		s.id, s.handshake = c.socketID(p.Namespace), newHandshake(c.conn.Request(), auth)
		nsp.connect(s)
	})
	return nil
}

// connectedSocket returns the connected socket of namespace name, or nil.
func (c *client) connectedSocket(name string) *Socket {
	c.mu.Lock()
	s := c.socketLocked(name)
	c.mu.Unlock()
	if s == nil || socketState(s.state.Load()) == connecting {
		return nil
	}
	return s
}

// socketLocked returns the socket of namespace name, or nil.
func (c *client) socketLocked(name string) *Socket {
	for _, s := range c.sockets {
		if s.nsp.name == name {
			return s
		}
	}
	return nil
}

// refuse sends CONNECT_ERROR for namespace name.
func (c *client) refuse(name string, ce *ConnectError) {
	msgs, err := c.server.opts.Parser.encode(&parser.Packet{
		Type: parser.ConnectError, Namespace: name, ID: parser.NoID, Data: c.refusal(ce),
	})
	if err == nil {
		_ = c.conn.Send(msgs...)
	}
}

// connectTimeout closes a connection that joined no namespace in time.
func (c *client) connectTimeout() {
	c.mu.Lock()
	joined := c.closed
	for _, s := range c.sockets {
		joined = joined || socketState(s.state.Load()) != connecting
	}
	c.mu.Unlock()
	if !joined {
		c.close(ReasonForcedClose)
	}
}

// move makes s, still connecting, a socket of nsp: the live child that
// its middleware admitted it to, when that is not the namespace s was made
// for (see Server.admit).
func (c *client) move(s *Socket, nsp *Namespace) {
	c.mu.Lock()
	s.nsp = nsp
	c.mu.Unlock()
}

// remove forgets s, once it has left its namespace.
func (c *client) remove(s *Socket) {
	c.mu.Lock()
	if i := slices.Index(c.sockets, s); i >= 0 {
		c.sockets = slices.Delete(c.sockets, i, i+1)
	}
	c.mu.Unlock()
}

// disconnectAll disconnects every socket, then closes the connection.
func (c *client) disconnectAll() {
	for _, s := range c.socketList() {
		s.Disconnect()
	}
	c.conn.Close(string(ReasonForcedServerClose))
}

// socketList returns the client's sockets, connecting or connected.
func (c *client) socketList() []*Socket {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sockets)
}

// close closes the connection for reason; its sockets close with the same
// reason.
func (c *client) close(reason DisconnectReason) {
	c.conn.Close(string(reason))
}
