package parser

import (
	"math"
	"strconv"
)

// Placeholder recognizes an attachment placeholder, the JSON object that
// stands for the i-th binary attachment of a packet:
// {"_placeholder":true,"num":i}. It is the only statement of the rule in
// this module: the packet Decoder, ResolvePlaceholders, DecodeValue and the
// Redis adapter's MessagePack transcoder all ask it. The rule is that of
// Node's socket.io-parser (reconstructPacket in binary.ts):
//
//   - an object is a placeholder when its "_placeholder" member is the
//     literal true, whatever its other members;
//   - its "num" must be a non-negative integral number (1.0 and 1e0 are 1)
//     below the number of attachments, or the payload is invalid (Node
//     throws "illegal attachments"). Node also lets a fractional num
//     through, as undefined; Go has no undefined, so it is invalid here;
//   - when a member appears twice the last one counts, as with JSON.parse;
//   - a placeholder inside a placeholder is part of it: the outer object is
//     replaced whole, and the inner one is not checked.
//
// As in Node, placeholders are looked for only in a packet that has
// attachments; without any, such an object is plain data.
//
// Give Member the members of one object in order, then ask Is and Num. The
// zero value has seen no member. A Placeholder is not safe for concurrent
// use.
type Placeholder struct {
	flag bool   // the last "_placeholder" member is true
	num  []byte // the JSON text of the last "num" member, nil if none
}

// Member notes the member "key": value of the object. key is the quoted
// JSON string as it appears in the text (escapes allowed) and value the
// JSON text of the member's value; value is retained until the next
// Member.
func (p *Placeholder) Member(key, value []byte) {
	switch {
	case keyIs(key, "_placeholder"):
		p.flag = string(value) == "true"
	case keyIs(key, "num"):
		p.num = value
	}
}

// Is reports whether the object is a placeholder.
func (p *Placeholder) Is() bool { return p.flag }

// Num returns the index of the attachment the placeholder names among n
// attachments, or an ErrInvalid error when it names none.
func (p *Placeholder) Num(n int) (int, error) {
	i := p.index()
	return i, checkNum(i, n)
}

// index returns the attachment index named by num, or -1 when num is
// missing or not a non-negative integral number. As in JavaScript, 1.0 and
// 1e0 name attachment 1.
func (p *Placeholder) index() int {
	tok := p.num
	if len(tok) == 0 || tok[0] != '-' && !isDigit(tok[0]) {
		return -1
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return -1
	}
	return int(f)
}

// checkNum reports an attachment index, as returned by index, that names
// no attachment among n.
func checkNum(i, n int) error {
	switch {
	case i < 0:
		return invalidf("placeholder without a valid num")
	case i >= n:
		return invalidf("placeholder num %d out of range (%d attachments)", i, n)
	}
	return nil
}
