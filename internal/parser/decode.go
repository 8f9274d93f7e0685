package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// ErrInvalid wraps every decode error: errors.Is(err, ErrInvalid) reports
// whether a peer sent something that is not a valid Socket.IO packet, which
// closes its connection. The message says what was wrong, e.g.
// "parser: invalid packet: unknown type '9'".
var ErrInvalid = errors.New("parser: invalid packet")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// DefaultMaxAttachments is the attachment cap of a Decoder whose
// MaxAttachments is not positive, as in Node.
const DefaultMaxAttachments = 10

// maxAttachmentsLimit keeps the attachment count arithmetic far from
// overflow whatever MaxAttachments says.
const maxAttachmentsLimit = math.MaxInt32

// Decoder turns the Engine.IO messages of one connection into packets,
// joining binary packets with the attachments that follow them.
//
// A packet is accepted when Node's socket.io-parser accepts it, except for
// inputs no client sends: an empty message (Node reads a CONNECT to "/"),
// a type, attachment count or ack id that is not plain ASCII digits (Node's
// Number() also takes " 1", "1.0", "1e0" or "0x1"), an ack id beyond int64,
// and an EVENT, ACK or CONNECT_ERROR without payload. As in Node, any packet
// type may carry an ack id, and a namespace is read only when it starts
// with '/'. The payload rules are:
//
//   - CONNECT: an object, or nothing;
//   - DISCONNECT: nothing;
//   - CONNECT_ERROR: an object or a string;
//   - EVENT, BINARY_EVENT: a non-empty array whose first element is a
//     number or a string other than a reserved name (see IsReserved);
//   - ACK, BINARY_ACK: an array.
//
// The payload must be one JSON value, optionally surrounded by whitespace.
// A binary packet announces between 1 and MaxAttachments attachments, and
// every placeholder in its payload must name one of them.
//
// The zero value is ready to use. A Decoder is not safe for concurrent use;
// use one per connection. After an error it holds no pending packet.
type Decoder struct {
	// MaxAttachments caps the attachments of one binary packet.
	// default: 10 (DefaultMaxAttachments) when not positive.
	MaxAttachments int

	pending *Packet // binary packet waiting for its attachments
	want    int     // attachments announced by pending
	nsp     string  // last namespace decoded, reused to spare an allocation
	holes   []hole  // placeholders buffer, reused
}

// DecodeText decodes a text message. It returns the packet, or (nil, nil)
// when the packet is binary and waits for its attachments. A text message
// while attachments are awaited is an error.
//
// The Decoder takes ownership of msg: the packet's Data aliases it.
func (d *Decoder) DecodeText(msg []byte) (*Packet, error) {
	if d.pending != nil {
		missing := d.want - len(d.pending.Attachments)
		d.Reset()
		return nil, invalidf("text message while %d attachment(s) are awaited", missing)
	}
	p, err := d.parse(msg)
	if err != nil {
		return nil, err
	}
	if p.Type.IsBinary() {
		d.pending = p
		return nil, nil
	}
	return p, nil
}

// DecodeBinary takes the next attachment of the pending binary packet and
// returns that packet once its last attachment has arrived, (nil, nil)
// before. A binary message when no attachment is awaited is an error.
//
// The Decoder takes ownership of msg: it becomes one of the packet's
// Attachments without a copy.
func (d *Decoder) DecodeBinary(msg []byte) (*Packet, error) {
	p := d.pending
	if p == nil {
		return nil, invalidf("binary message while no attachment is awaited")
	}
	p.Attachments = append(p.Attachments, msg)
	if len(p.Attachments) < d.want {
		return nil, nil
	}
	d.Reset()
	return p, nil
}

// Reset drops the binary packet waiting for attachments, if any.
func (d *Decoder) Reset() {
	d.pending, d.want = nil, 0
}

func (d *Decoder) limit() int {
	if d.MaxAttachments <= 0 {
		return DefaultMaxAttachments
	}
	return min(d.MaxAttachments, maxAttachmentsLimit)
}

// parse decodes the text form of a packet. A binary packet comes back with
// an empty Attachments slice of the announced capacity, and d.want set.
func (d *Decoder) parse(msg []byte) (*Packet, error) {
	if len(msg) == 0 {
		return nil, invalidf("empty packet")
	}
	if msg[0] < '0' || msg[0] > '6' {
		return nil, invalidf("unknown type %q", msg[0])
	}
	p := &Packet{Type: Type(msg[0] - '0'), Namespace: "/", ID: NoID}
	i, n := 1, 0
	if p.Type.IsBinary() {
		var err error
		if n, i, err = parseCount(msg, i, d.limit()); err != nil {
			return nil, err
		}
	}
	i = d.parseNamespace(p, msg, i)
	i, err := parseID(p, msg, i)
	if err != nil {
		return nil, err
	}
	if i < len(msg) {
		p.Data = msg[i:]
	}
	if err := d.checkPayload(p.Type, p.Data, n); err != nil {
		return nil, err
	}
	if n > 0 {
		p.Attachments = make([][]byte, 0, n)
		d.want = n
	}
	return p, nil
}

// parseCount reads the "<n>-" attachment count of a binary packet at i and
// returns n and the offset after the dash.
func parseCount(msg []byte, i, limit int) (n, next int, err error) {
	start := i
	for ; i < len(msg) && isDigit(msg[i]); i++ {
		n = n*10 + int(msg[i]-'0')
		if n > limit {
			return 0, 0, invalidf("more than %d attachments", limit)
		}
	}
	switch {
	case i == start:
		return 0, 0, invalidf("missing attachment count")
	case i == len(msg) || msg[i] != '-':
		return 0, 0, invalidf("attachment count not followed by '-'")
	case n < 1:
		return 0, 0, invalidf("binary packet without attachments")
	}
	return n, i + 1, nil
}

// parseNamespace reads the namespace at i, if any: it starts with '/' and
// runs to the first ',' (consumed) or the end of the message.
func (d *Decoder) parseNamespace(p *Packet, msg []byte, i int) int {
	if i >= len(msg) || msg[i] != '/' {
		return i
	}
	end := bytes.IndexByte(msg[i:], ',')
	next := i + end + 1
	if end < 0 {
		end, next = len(msg)-i, len(msg)
	}
	if name := msg[i : i+end]; string(name) != d.nsp {
		d.nsp = string(name)
	}
	p.Namespace = d.nsp
	return next
}

// parseID reads the ack id at i, if any: the digits that follow.
func parseID(p *Packet, msg []byte, i int) (int, error) {
	if i >= len(msg) || !isDigit(msg[i]) {
		return i, nil
	}
	var id int64
	for ; i < len(msg) && isDigit(msg[i]); i++ {
		digit := int64(msg[i] - '0')
		if id > (math.MaxInt64-digit)/10 {
			return 0, invalidf("ack id overflows int64")
		}
		id = id*10 + digit
	}
	p.ID = id
	return i, nil
}

// checkPayload validates the payload of a packet of type t with n
// attachments: JSON, shape, and placeholders for binary types.
func (d *Decoder) checkPayload(t Type, data []byte, n int) error {
	if data == nil {
		if t == Connect || t == Disconnect {
			return nil
		}
		return invalidf("%v packet without payload", t)
	}
	if t == Disconnect {
		return invalidf("DISCONNECT packet with a payload")
	}
	holes, err := scanJSON(data, t.IsBinary(), d.holes[:0])
	if err != nil {
		return err
	}
	d.holes = holes
	if err := checkHoles(holes, n); err != nil {
		return err
	}
	i := skipSpace(data, 0)
	switch c := data[i]; t {
	case Connect:
		if c != '{' {
			return invalidf("CONNECT payload is not an object")
		}
	case ConnectError:
		if c != '{' && c != '"' {
			return invalidf("CONNECT_ERROR payload is neither an object nor a string")
		}
	case Event, BinaryEvent:
		return checkEventName(t, data, i)
	case Ack, BinaryAck:
		if c != '[' {
			return invalidf("%v payload is not an array", t)
		}
	}
	return nil
}

// checkHoles reports a placeholder that names no attachment among n.
func checkHoles(holes []hole, n int) error {
	for _, h := range holes {
		if err := checkNum(h.num, n); err != nil {
			return err
		}
	}
	return nil
}

// checkEventName checks that the valid JSON value at data[i:] is an array
// whose first element is a number or an unreserved string.
func checkEventName(t Type, data []byte, i int) error {
	if data[i] != '[' {
		return invalidf("%v payload is not an array", t)
	}
	j := skipSpace(data, i+1)
	switch c := data[j]; {
	case c == ']':
		return invalidf("%v payload is an empty array", t)
	case c == '-' || isDigit(c):
		return nil
	case c != '"':
		return invalidf("%v name is neither a string nor a number", t)
	}
	s := scanner{data: data}
	end, err := s.str(j)
	if err != nil {
		return err // unreachable: data was validated
	}
	if name := data[j:end]; isReservedName(name) {
		return invalidf("reserved event name %s", name)
	}
	return nil
}

// isReservedName reports whether the quoted JSON string name decodes to a
// reserved event name.
func isReservedName(name []byte) bool {
	if bytes.IndexByte(name, '\\') >= 0 {
		var s string
		return json.Unmarshal(name, &s) == nil && IsReserved(s)
	}
	raw := name[1 : len(name)-1]
	for _, r := range reservedEvents {
		if string(raw) == r {
			return true
		}
	}
	return false
}

// CheckPayload applies the payload rules of Decoder to a packet of type t
// that another codec decoded: data is its JSON payload (nil when absent)
// and n the number of attachments its placeholders may name. Every error
// wraps ErrInvalid.
func CheckPayload(t Type, data []byte, n int) error {
	var d Decoder
	return d.checkPayload(t, data, n)
}
