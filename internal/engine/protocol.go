package engine

import (
	"slices"
	"strconv"
)

// protocol is one revision of Engine.IO as a session speaks it: which side
// pings, and (through the codecs it makes) how packets are written on each
// transport. A session holds one for its whole life, chosen by the EIO
// query parameter of its handshake: rev4 (this file), or rev3
// (protocol3.go) when Options.AllowEIO3 lets Socket.IO v2 clients in.
type protocol interface {
	// revision is the EIO number: 3 or 4.
	revision() int
	// codec returns the encoding of a transport opened by a request with
	// query q.
	codec(q query) codec
	// startHeartbeatLocked arms the heartbeat of a session that just
	// opened.
	startHeartbeatLocked(c *Conn)
	// heartbeatLocked acts on a ping or pong (typ) from the client (in an
	// open session; in another, it only checks it); false means the client
	// broke the protocol.
	heartbeatLocked(c *Conn, typ byte) bool
}

// codec is the wire form of packets on one transport of a session. Its
// methods keep no state and are safe for concurrent use.
type codec interface {
	// decodeText decodes a WebSocket text frame.
	decodeText(b []byte) (packet, error)
	// decodeBinary decodes a WebSocket binary frame.
	decodeBinary(b []byte) (packet, error)
	// frame returns the WebSocket frame of m; for most messages the one
	// frame m builds once and shares between connections.
	frame(m *Message) []byte
	// deflates reports whether a WebSocket of this codec may negotiate
	// permessage-deflate, whose frames are built from protocol 4's.
	deflates() bool
	// binaryPosts reports whether a polling POST may carry a binary payload
	// (Content-Type application/octet-stream).
	binaryPosts() bool
	// decodePayload decodes the body of a polling POST; binary means it came
	// as application/octet-stream. Like Node, it returns the packets before
	// the first that does not decode, with errParse.
	decodePayload(body []byte, binary bool) ([]packet, error)
	// appendPayload appends to dst the answer to a polling GET: msgs, then
	// the packet trailer when it is not 0. binary reports a binary body
	// (application/octet-stream) rather than text.
	appendPayload(dst []byte, msgs []*Message, trailer byte) (body []byte, binary bool)
}

// rev4 is Engine.IO v4: the server pings every PingInterval and the client
// answers with a pong within PingTimeout.
type rev4 struct{}

func (rev4) revision() int { return 4 }

func (rev4) codec(query) codec { return codec4{} }

func (rev4) startHeartbeatLocked(c *Conn) { c.armLocked(c.srv.opts.PingInterval) }

// heartbeatLocked takes the client's pong; a ping from the client breaks
// protocol 4 (Node: "invalid heartbeat direction").
func (rev4) heartbeatLocked(c *Conn, typ byte) bool {
	if typ != typePong {
		return false
	}
	if c.state == stateOpen {
		c.awaitingPong = false
		c.armLocked(c.srv.opts.PingInterval)
	}
	return true
}

// codec4 is the wire form of protocol 4: binary messages are bare binary
// WebSocket frames, and "b" + base64 in polling payloads, whose packets are
// joined by the record separator.
type codec4 struct{}

func (codec4) decodeText(b []byte) (packet, error) { return decodePacket(b) }

func (codec4) decodeBinary(b []byte) (packet, error) {
	return packet{typ: typeMessage, binary: true, data: b}, nil
}

func (codec4) frame(m *Message) []byte { return m.wsFrame() }

func (codec4) deflates() bool { return true }

func (codec4) binaryPosts() bool { return false }

func (codec4) decodePayload(body []byte, _ bool) ([]packet, error) { return decodePayload(body) }

func (codec4) appendPayload(dst []byte, msgs []*Message, trailer byte) ([]byte, bool) {
	n := 2
	for _, m := range msgs {
		n += encodedLen(m) + 1
	}
	body := encodePayload(slices.Grow(dst, n), msgs)
	if trailer != 0 {
		if len(msgs) > 0 {
			body = append(body, separator)
		}
		body = append(body, trailer)
	}
	return body, false
}

// protocolOf returns the protocol of a handshake whose EIO parameter is
// eio, or nil if the server does not speak it.
func (s *Server) protocolOf(eio string) protocol {
	switch {
	case eio == "4":
		return rev4{}
	case eio == "3" && s.opts.AllowEIO3:
		return rev3{}
	}
	return nil
}

// Protocol returns the Engine.IO protocol revision the session speaks: 4,
// or 3 for a Socket.IO v2 client (see Options.AllowEIO3).
func (c *Conn) Protocol() int { return c.proto.revision() }

// appendLength appends the decimal form of n.
func appendLength(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }
