package engine

import (
	"encoding/base64"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// rev3 is Engine.IO v3, the protocol of Socket.IO v2 clients: the client
// pings every PingInterval and the server answers with a pong; a client
// silent for PingInterval+PingTimeout is gone ("ping timeout").
type rev3 struct{}

func (rev3) revision() int { return 3 }

// codec reads the b64 parameter: a client that cannot take binary (a
// browser without XHR2, or forceBase64) gets binary packets as base64 text.
func (rev3) codec(q query) codec { return codec3{base64: q.b64} }

// startHeartbeatLocked waits for the client's first ping. The next
// heartbeat to fire is a timeout: awaitingPong stays set for the life of
// the session.
func (rev3) startHeartbeatLocked(c *Conn) {
	c.awaitingPong = true
	c.armLocked(c.srv.opts.PingInterval + c.srv.opts.PingTimeout)
}

// heartbeatLocked answers the client's ping with a pong and restarts the
// timeout; a pong from the client breaks protocol 3, and so does a ping
// whose pong would overflow WriteQueueSize (a client that pings without
// reading).
func (rev3) heartbeatLocked(c *Conn, typ byte) bool {
	if typ != typePing {
		return false
	}
	if c.state == stateOpen {
		if !c.queueLocked(pongMessage) {
			return false
		}
		c.tr.kickLocked()
		c.armLocked(c.srv.opts.PingInterval + c.srv.opts.PingTimeout)
	}
	return true
}

var pongMessage = &Message{typ: typePong}

// codec3 is the wire form of protocol 3. Binary packets keep their type:
// a binary WebSocket frame starts with the type byte (4 for a message),
// base64 text is "b4" + base64. Polling payloads prefix each packet with
// its length: "<length>:<packet>" in text, the length counted in UTF-16
// code units as JavaScript counts a string; a payload with binary packets,
// to a client that takes binary, is binary throughout (see
// appendBinaryPayload3).
type codec3 struct {
	base64 bool // the client asked for binary as base64 text (b64=1)
}

func (codec3) decodeText(b []byte) (packet, error) { return decodePacket3(b) }

// decodeBinary decodes a frame that starts with its packet type byte.
func (codec3) decodeBinary(b []byte) (packet, error) {
	if len(b) == 0 || b[0] > typeNoop-'0' {
		return packet{}, errParse
	}
	return packet{typ: '0' + b[0], binary: true, data: b[1:]}, nil
}

// frame returns the frame of m. Text frames are those of protocol 4. A
// binary message's frame, with its type byte, is built once and shared
// like the protocol 4 frame; as base64 text (b64=1, rare over WebSocket)
// it is built for each connection.
// deflates is false: compressed frames would carry protocol 4's packets.
func (codec3) deflates() bool { return false }

func (c codec3) frame(m *Message) []byte {
	if m.raw || !m.Binary {
		return m.wsFrame()
	}
	if c.base64 {
		n := 2 + base64.StdEncoding.EncodedLen(len(m.Data))
		f := appendFrameHeader(make([]byte, 0, frameHeaderSize(n)+n), ws.OpText, n)
		return base64.StdEncoding.AppendEncode(append(f, 'b', typeMessage), m.Data)
	}
	if f := m.frame3.Load(); f != nil {
		return *f
	}
	n := 1 + len(m.Data)
	f := appendFrameHeader(make([]byte, 0, frameHeaderSize(n)+n), ws.OpBinary, n)
	f = append(append(f, typeMessage-'0'), m.Data...)
	m.frame3.CompareAndSwap(nil, &f) // a concurrent builder's equal frame may win
	return *m.frame3.Load()
}

func (codec3) binaryPosts() bool { return true }

func (codec3) decodePayload(body []byte, binary bool) ([]packet, error) {
	if binary {
		return decodeBinaryPayload3(body)
	}
	return decodeTextPayload3(body)
}

func (c codec3) appendPayload(dst []byte, msgs []*Message, trailer byte) ([]byte, bool) {
	if !c.base64 && hasBinary(msgs) {
		return appendBinaryPayload3(dst, msgs, trailer), true
	}
	return appendTextPayload3(dst, msgs, trailer), false
}

func hasBinary(msgs []*Message) bool {
	for _, m := range msgs {
		if m.Binary && !m.raw {
			return true
		}
	}
	return false
}

// decodePacket3 decodes one packet in its text form: a type digit and
// data, or "b", a type digit and base64 data.
func decodePacket3(b []byte) (packet, error) {
	if len(b) == 0 {
		return packet{}, errParse
	}
	if b[0] == 'b' {
		if len(b) < 2 || b[1] < typeOpen || b[1] > typeNoop {
			return packet{}, errParse
		}
		data, err := decodeBase64(b[2:])
		if err != nil {
			return packet{}, errParse
		}
		return packet{typ: b[1], binary: true, data: data}, nil
	}
	if b[0] < typeOpen || b[0] > typeNoop {
		return packet{}, errParse
	}
	return packet{typ: b[0], data: b[1:]}, nil
}

// maxLengthDigits bounds the length field of a payload packet: nine digits
// cover any body up to a gigabyte, and fit an int of any size.
const maxLengthDigits = 9

// decodeTextPayload3 decodes "<length>:<packet>" repeated. A length of 0
// carries no packet. An empty body, a length that is not decimal digits or
// that runs past the body, or a packet that does not decode, is errParse.
func decodeTextPayload3(b []byte) ([]packet, error) {
	if len(b) == 0 {
		return nil, errParse
	}
	var pkts []packet
	for len(b) > 0 {
		n, rest, ok := cutLength(b, ':')
		if !ok {
			return pkts, errParse
		}
		msg, rest, ok := cutUTF16(rest, n)
		if !ok {
			return pkts, errParse
		}
		b = rest
		if len(msg) == 0 {
			continue
		}
		p, err := decodePacket3(msg)
		if err != nil {
			return pkts, err
		}
		pkts = append(pkts, p)
	}
	return pkts, nil
}

// cutLength reads decimal ASCII digits up to end and returns their value
// and what follows end.
func cutLength(b []byte, end byte) (n int, rest []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == end && i > 0:
			return n, b[i+1:], true
		case i == maxLengthDigits:
			return 0, nil, false
		case c >= '0' && c <= '9':
			n = n*10 + int(c-'0')
		default:
			return 0, nil, false
		}
	}
	return 0, nil, false
}

// cutUTF16 splits b after n UTF-16 code units of the UTF-8 text it starts
// with. A byte that is not UTF-8 counts as one unit, as the replacement
// character it decodes to. ok is false if b is shorter, or if the cut
// would split a surrogate pair.
func cutUTF16(b []byte, n int) (head, rest []byte, ok bool) {
	i, units := 0, 0
	for units < n && i < len(b) {
		if c := b[i]; c < utf8.RuneSelf {
			i++
			units++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		units++
		if r >= 0x10000 {
			units++
		}
	}
	if units != n {
		return nil, nil, false
	}
	return b[:i], b[i:], true
}

// utf16Len is the length of UTF-8 text b in UTF-16 code units.
func utf16Len(b []byte) int {
	n := len(b)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		i += size
		n -= size - 1 // one unit, not size bytes
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// appendTextPayload3 appends msgs, then trailer if not 0, each as
// "<length>:<packet>"; binary messages as "b4" + base64. An empty payload
// is "0:", as Node sends it.
func appendTextPayload3(dst []byte, msgs []*Message, trailer byte) []byte {
	start := len(dst)
	for _, m := range msgs {
		switch {
		case m.raw:
		case m.Binary:
			dst = appendLength(dst, 2+base64.StdEncoding.EncodedLen(len(m.Data)))
			dst = append(dst, ':', 'b', typeMessage)
			dst = base64.StdEncoding.AppendEncode(dst, m.Data)
		default:
			dst = appendLength(dst, 1+utf16Len(m.Data))
			dst = append(append(dst, ':', m.packetType()), m.Data...)
		}
	}
	if trailer != 0 {
		dst = append(dst, '1', ':', trailer)
	}
	if len(dst) == start {
		dst = append(dst, '0', ':')
	}
	return dst
}

// appendBinaryPayload3 appends msgs, then trailer if not 0, each as a kind
// byte (0 text, 1 binary), the length's decimal digits as byte values
// 0-9, the byte 0xFF, and the packet: text as its UTF-8 bytes, binary as
// its type byte and data.
func appendBinaryPayload3(dst []byte, msgs []*Message, trailer byte) []byte {
	for _, m := range msgs {
		switch {
		case m.raw:
		case m.Binary:
			dst = appendBinaryHeader3(dst, 1, 1+len(m.Data))
			dst = append(append(dst, typeMessage-'0'), m.Data...)
		default:
			dst = appendBinaryHeader3(dst, 0, 1+len(m.Data))
			dst = append(append(dst, m.packetType()), m.Data...)
		}
	}
	if trailer != 0 {
		dst = append(appendBinaryHeader3(dst, 0, 1), trailer)
	}
	return dst
}

func appendBinaryHeader3(dst []byte, kind byte, n int) []byte {
	dst = append(dst, kind)
	start := len(dst)
	dst = appendLength(dst, n)
	for i := start; i < len(dst); i++ {
		dst[i] -= '0'
	}
	return append(dst, 0xff)
}

// decodeBinaryPayload3 decodes what appendBinaryPayload3 writes. A kind
// byte other than 0 or 1, a length that is not digits ended by 0xFF or
// that runs past the body, or a packet that does not decode, is errParse.
func decodeBinaryPayload3(b []byte) ([]packet, error) {
	var pkts []packet
	for len(b) > 0 {
		kind := b[0]
		if kind > 1 {
			return pkts, errParse
		}
		n, rest, ok := cutBinaryLength(b[1:])
		if !ok || n > len(rest) {
			return pkts, errParse
		}
		msg := rest[:n]
		b = rest[n:]
		var p packet
		var err error
		if kind == 0 {
			p, err = decodePacket3(msg)
		} else {
			p, err = codec3{}.decodeBinary(msg)
		}
		if err != nil {
			return pkts, err
		}
		pkts = append(pkts, p)
	}
	return pkts, nil
}

// cutBinaryLength reads digits as byte values 0-9 up to 0xFF.
func cutBinaryLength(b []byte) (n int, rest []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == 0xff && i > 0:
			return n, b[i+1:], true
		case i == maxLengthDigits:
			return 0, nil, false
		case c <= 9:
			n = n*10 + int(c)
		default:
			return 0, nil, false
		}
	}
	return 0, nil, false
}
