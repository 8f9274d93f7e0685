package engine

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/gobwas/ws"
)

// Engine.IO packet types, as the digit that starts a text packet.
const (
	typeOpen    byte = '0'
	typeClose   byte = '1'
	typePing    byte = '2'
	typePong    byte = '3'
	typeMessage byte = '4'
	typeUpgrade byte = '5'
	typeNoop    byte = '6'
)

// separator joins the packets of a polling payload (ASCII record separator).
const separator byte = 0x1e

// errParse reports a packet or payload that does not decode.
var errParse = errors.New("engine: parse error")

// packet is one decoded Engine.IO packet. data aliases the decoded input
// except for base64 binary, which is decoded into fresh memory.
type packet struct {
	typ    byte
	binary bool
	data   []byte
}

// decodePacket decodes one packet in its text form: a type digit followed by
// data, or "b" followed by base64 for a binary message (polling).
func decodePacket(b []byte) (packet, error) {
	if len(b) == 0 {
		return packet{}, errParse
	}
	switch t := b[0]; {
	case t == 'b':
		data, err := decodeBase64(b[1:])
		if err != nil {
			return packet{}, errParse
		}
		return packet{typ: typeMessage, binary: true, data: data}, nil
	case t >= typeOpen && t <= typeNoop:
		return packet{typ: t, data: b[1:]}, nil
	default:
		return packet{}, errParse
	}
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(s []byte) ([]byte, error) {
	for i := 0; i < 2 && len(s) > 0 && s[len(s)-1] == '='; i++ {
		s = s[:len(s)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(s)))
	n, err := base64.RawStdEncoding.Decode(out, s)
	return out[:n], err
}

// decodePayload decodes a polling payload: packets joined by separator. Like
// Node it decodes up to the first packet that does not parse; the packets
// before it are returned together with errParse.
func decodePayload(b []byte) ([]packet, error) {
	pkts := make([]packet, 0, bytes.Count(b, []byte{separator})+1)
	for {
		seg := b
		i := bytes.IndexByte(b, separator)
		if i >= 0 {
			seg, b = b[:i], b[i+1:]
		}
		p, err := decodePacket(seg)
		if err != nil {
			return pkts, err
		}
		pkts = append(pkts, p)
		if i < 0 {
			return pkts, nil
		}
	}
}

// Message is one Engine.IO packet ready to be sent; made by NewTextMessage or
// NewBinaryMessage it is a "message" packet (type 4).
//
// A Message must not be changed once made, and its Data must not be changed
// either: it is safe to share between connections, and a broadcast builds one
// Message and sends it to every recipient. The WebSocket frame of a Message
// (header and payload) is built once, on first use, and the same bytes are
// written to every connection; so is its compressed frame, for the
// connections that negotiated permessage-deflate.
type Message struct {
	// Data is the payload: UTF-8 text, or bytes when Binary is set.
	Data []byte
	// Binary marks a binary message: a binary WebSocket frame, "b" + base64
	// on polling.
	Binary bool
	// NoCompress sends the message uncompressed whatever the connection
	// negotiated (Node's compress: false): a plain WebSocket frame, and no
	// compression of a polling answer that carries only such messages.
	NoCompress bool

	typ    byte // packet type; 0 means typeMessage
	raw    bool // frame is a prebuilt WebSocket control frame, not a packet
	once   sync.Once
	frame  []byte
	zonce  sync.Once // builds zframe
	zframe []byte    // the permessage-deflate frame (wsdeflate.go)

	frame3 atomic.Pointer[[]byte] // a binary message's frame for protocol 3, built on first use (protocol3.go)
}

// NewTextMessage returns a text message packet carrying data. The Message
// takes data over: the caller must not change it afterwards.
func NewTextMessage(data []byte) *Message {
	return &Message{Data: data}
}

// NewBinaryMessage returns a binary message packet carrying data. The
// Message takes data over: the caller must not change it afterwards.
func NewBinaryMessage(data []byte) *Message {
	return &Message{Data: data, Binary: true}
}

// Prebuilt packets the server sends.
var pingMessage = &Message{typ: typePing}

// packetType returns the Engine.IO type of m.
func (m *Message) packetType() byte {
	if m.typ == 0 {
		return typeMessage
	}
	return m.typ
}

// wsFrame returns the WebSocket frame carrying m, building it on first use.
// Server frames are not masked, so the frame is the same for every
// connection.
func (m *Message) wsFrame() []byte {
	m.once.Do(m.buildFrame)
	return m.frame
}

func (m *Message) buildFrame() {
	if m.raw {
		return
	}
	if m.Binary {
		f := appendFrameHeader(make([]byte, 0, frameHeaderSize(len(m.Data))+len(m.Data)), ws.OpBinary, len(m.Data))
		m.frame = append(f, m.Data...)
		return
	}
	n := 1 + len(m.Data)
	f := appendFrameHeader(make([]byte, 0, frameHeaderSize(n)+n), ws.OpText, n)
	f = append(f, m.packetType())
	m.frame = append(f, m.Data...)
}

// newControlFrame returns a Message that is a raw WebSocket control frame
// (close or pong) with the given payload (at most 125 bytes).
func newControlFrame(op ws.OpCode, payload []byte) *Message {
	f := appendFrameHeader(make([]byte, 0, 2+len(payload)), op, len(payload))
	return &Message{raw: true, frame: append(f, payload...)}
}

// frameHeaderSize is the size of an unmasked frame header for n payload
// bytes.
func frameHeaderSize(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	default:
		return 10
	}
}

// appendFrameHeader appends the header of a final, unmasked frame with
// opcode op and n payload bytes (RFC 6455 section 5.2).
func appendFrameHeader(dst []byte, op ws.OpCode, n int) []byte {
	b0 := 0x80 | byte(op)
	switch {
	case n < 126:
		return append(dst, b0, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, b0, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, b0, 127), uint64(n))
	}
}

// appendPacket appends the text form of m as polling sends it: the type digit
// and data, or "b" and base64 for binary.
func appendPacket(dst []byte, m *Message) []byte {
	if m.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, m.Data)
	}
	dst = append(dst, m.packetType())
	return append(dst, m.Data...)
}

// encodedLen is the length of m in a polling payload.
func encodedLen(m *Message) int {
	if m.Binary {
		return 1 + base64.StdEncoding.EncodedLen(len(m.Data))
	}
	return 1 + len(m.Data)
}

// encodePayload appends the polling payload of msgs (packets joined by
// separator) to dst. Raw WebSocket control frames are skipped.
func encodePayload(dst []byte, msgs []*Message) []byte {
	n := 0
	for _, m := range msgs {
		n += encodedLen(m) + 1
	}
	if free := cap(dst) - len(dst); free < n {
		dst = append(make([]byte, 0, len(dst)+n), dst...)
	}
	first := true
	for _, m := range msgs {
		if m.raw {
			continue
		}
		if !first {
			dst = append(dst, separator)
		}
		first = false
		dst = appendPacket(dst, m)
	}
	return dst
}
