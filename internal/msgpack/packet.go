package msgpack

import (
	"fmt"
	"math"

	"github.com/envivo/socketio/internal/parser"
)

// The Socket.IO packet in the wire form of socket.io-msgpack-parser 3.x:
// one MessagePack map per packet, {type, data, id, nsp}, sent as one binary
// Engine.IO message. Binary data sits inline as bin; there are no
// attachments and no BINARY_EVENT or BINARY_ACK types.

// AppendPacket appends the msgpack-parser form of p to dst: a map of type,
// data (when p.Data is not nil), id (when p.ID is not negative) and nsp, in
// that order, as Node's socket.io writes an emitted event. BINARY_EVENT and
// BINARY_ACK are written as EVENT and ACK; p.Data's placeholders become
// bin holding p.Attachments (see AppendJSON).
//
// On error (p.Data is not JSON, or a placeholder names no attachment), it
// returns dst unchanged and an error wrapping ErrInvalid.
func AppendPacket(dst []byte, p *parser.Packet) ([]byte, error) {
	n := 2
	if p.Data != nil {
		n++
	}
	if p.ID >= 0 {
		n++
	}
	b := AppendMapHeader(dst, n)
	b = AppendUint(AppendString(b, "type"), uint64(wireType(p.Type)))
	if p.Data != nil {
		var err error
		if b, err = AppendJSON(AppendString(b, "data"), p.Data, p.Attachments); err != nil {
			return dst, err
		}
	}
	if p.ID >= 0 {
		b = AppendInt(AppendString(b, "id"), p.ID)
	}
	nsp := p.Namespace
	if nsp == "" {
		nsp = "/"
	}
	return AppendString(AppendString(b, "nsp"), nsp), nil
}

// wireType maps the binary packet types onto the ones msgpack-parser knows.
func wireType(t parser.Type) parser.Type {
	switch t {
	case parser.BinaryEvent:
		return parser.Event
	case parser.BinaryAck:
		return parser.Ack
	}
	return t
}

// DecodePacket decodes one packet in the msgpack-parser form, as received
// in one binary Engine.IO message. It accepts what Node's
// socket.io-msgpack-parser accepts, with the payload rules of
// parser.Decoder on top (an EVENT names a non-reserved event, ...):
//
//   - the message is exactly one map with string keys;
//   - type is an integer from 0 (CONNECT) to 4 (CONNECT_ERROR);
//   - nsp is a string that starts with '/';
//   - id, when present, is a non-negative integer;
//   - data is absent (or notepack's undefined) or valid for the type;
//   - other keys (socket.io-client sends "options") are read and ignored;
//     a key given twice is an error.
//
// Binary data in data becomes placeholders in the packet's JSON Data and
// the packet's Attachments, which alias msg; an EVENT or ACK that has any
// comes back as BINARY_EVENT or BINARY_ACK. More than maxAttachments
// binary values (when positive) is an error, found before any more is
// allocated: each costs a placeholder and a slice header, far more than
// its two bytes on the wire. Every error wraps ErrInvalid; DecodePacket
// never panics, and it allocates a small multiple of len(msg) at most.
func DecodePacket(msg []byte, maxAttachments int) (*parser.Packet, error) {
	r := mpReader{in: msg, form: Placeholders, maxAtt: maxAttachments}
	f, err := r.packetFields()
	if err == nil && r.pos != len(r.in) {
		err = r.errorf("%d trailing bytes", len(r.in)-r.pos)
	}
	if err != nil {
		return nil, err
	}
	return f.packet(r.att)
}

// packetFields are the keys of a packet map, as read.
type packetFields struct {
	seen [4]bool // by key: see packetKey
	typ  int64
	nsp  []byte
	id   int64
	data []byte // JSON; nil when absent or undefined
}

// packetKey numbers the keys of a packet map, -1 for the others.
func packetKey(key []byte) int {
	switch string(key) {
	case "type":
		return 0
	case "nsp":
		return 1
	case "id":
		return 2
	case "data":
		return 3
	}
	return -1
}

// packetFields reads the packet map.
func (r *mpReader) packetFields() (*packetFields, error) {
	n, err := r.mapHeader()
	if err != nil {
		return nil, err
	}
	if err := r.enter(2 * n); err != nil {
		return nil, err
	}
	f := &packetFields{id: parser.NoID}
	for i := uint64(0); i < n; i++ {
		key, err := r.rawString()
		if err != nil {
			return nil, err
		}
		k := packetKey(key)
		switch {
		case k < 0:
			err = r.skip()
		case f.seen[k]:
			err = r.errorf("key %q given twice", key)
		default:
			f.seen[k] = true
			err = r.packetField(f, k)
		}
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// packetField reads the value of key k (see packetKey).
func (r *mpReader) packetField(f *packetFields, k int) error {
	var err error
	switch k {
	case 0:
		f.typ, err = r.integer()
	case 1:
		f.nsp, err = r.rawString()
	case 2:
		f.id, err = r.integer()
	default:
		var undefined bool
		f.data, undefined, err = r.value(nil)
		if undefined {
			f.data = nil
		}
	}
	return err
}

// packet checks the fields and builds the packet.
func (f *packetFields) packet(att [][]byte) (*parser.Packet, error) {
	switch {
	case !f.seen[0] || f.typ < int64(parser.Connect) || f.typ > int64(parser.ConnectError):
		return nil, fmt.Errorf("%w: invalid packet type", ErrInvalid)
	case len(f.nsp) == 0 || f.nsp[0] != '/':
		return nil, fmt.Errorf("%w: invalid namespace", ErrInvalid)
	case f.seen[2] && f.id < 0:
		return nil, fmt.Errorf("%w: invalid packet id", ErrInvalid)
	}
	p := &parser.Packet{Type: parser.Type(f.typ), Namespace: string(f.nsp), ID: f.id, Data: f.data}
	if len(att) > 0 {
		switch p.Type {
		case parser.Event:
			p.Type = parser.BinaryEvent
		case parser.Ack:
			p.Type = parser.BinaryAck
		default:
			return nil, fmt.Errorf("%w: binary data in a %v packet", ErrInvalid, p.Type)
		}
		p.Attachments = att
	}
	if err := parser.CheckPayload(p.Type, p.Data, len(att)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return p, nil
}

// mapHeader reads the header of a map and returns its length.
func (r *mpReader) mapHeader() (uint64, error) {
	if r.pos >= len(r.in) {
		return 0, r.errorf("truncated")
	}
	c := r.in[r.pos]
	r.pos++
	switch {
	case c >= fixMap && c < fixArray:
		return uint64(c & 0x0f), nil
	case c == map16:
		return r.uint(2)
	case c == map32:
		return r.uint(4)
	}
	return 0, r.errorf("packet is not a map (format 0x%02x)", c)
}

// rawString reads a string and returns its bytes, which alias the input.
func (r *mpReader) rawString() ([]byte, error) {
	if r.pos >= len(r.in) {
		return nil, r.errorf("truncated")
	}
	c := r.in[r.pos]
	r.pos++
	var n uint64
	var err error
	switch {
	case c >= fixStr && c < 0xc0:
		n = uint64(c & 0x1f)
	case c == str8, c == str16, c == str32:
		n, err = r.uint(prefixSize[c])
	default:
		return nil, r.errorf("expected a string, found format 0x%02x", c)
	}
	if err != nil {
		return nil, err
	}
	return r.take(n)
}

// integer reads a number that is an integer, in any integer or float form,
// as JavaScript's Number.isInteger accepts it. Integral floats beyond
// int64 are an error.
func (r *mpReader) integer() (int64, error) {
	if r.pos >= len(r.in) {
		return 0, r.errorf("truncated")
	}
	c := r.in[r.pos]
	r.pos++
	switch {
	case c < 0x80:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c >= uint8b && c <= uint64b:
		v, err := r.uint(1 << (c - uint8b))
		if err == nil && v > math.MaxInt64 {
			err = r.errorf("integer out of range")
		}
		return int64(v), err
	case c >= int8b && c <= int64b:
		return r.int(1 << (c - int8b))
	case c == float32b:
		v, err := r.uint(4)
		return r.integral(float64(math.Float32frombits(uint32(v))), err)
	case c == float64b:
		v, err := r.uint(8)
		return r.integral(math.Float64frombits(v), err)
	}
	return 0, r.errorf("expected an integer, found format 0x%02x", c)
}

func (r *mpReader) integral(f float64, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, r.errorf("number %v is not an integer", f)
	}
	return int64(f), nil
}

// skip reads a value of a key the packet does not use. Its binary data
// does not count among the attachments.
func (r *mpReader) skip() error {
	n := len(r.att)
	_, _, err := r.value(nil)
	clear(r.att[n:])
	r.att = r.att[:n]
	return err
}
