package msgpack

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// AppendJSON appends the MessagePack form of the JSON value js to b, as
// Node would encode the value that JSON.parse returns: object members in
// order, integral numbers as integers (1.0 and 1e2 included), other numbers
// as float 64. An object whose "_placeholder" member is true stands for
// binary data, attachments[num], and becomes bin, as socket.io-parser
// reconstructs it; a placeholder whose "num" does not name an attachment is
// an error. Integers beyond 2^53, which Node would round, are kept exact.
//
// On error, it returns b unchanged and an error wrapping ErrInvalid.
func AppendJSON(b []byte, js []byte, attachments [][]byte) ([]byte, error) {
	e := jsonReader{in: js, att: attachments}
	out, err := e.value(b)
	if err == nil {
		e.skipSpace()
		if e.pos != len(e.in) {
			err = e.errorf("trailing data")
		}
	}
	if err != nil {
		return b, err
	}
	return out, nil
}

// jsonReader reads JSON text and writes MessagePack.
type jsonReader struct {
	in    []byte
	pos   int
	att   [][]byte
	depth int
}

func (r *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: JSON at offset %d: %s", ErrInvalid, r.pos, fmt.Sprintf(format, args...))
}

func (r *jsonReader) skipSpace() {
	for r.pos < len(r.in) {
		switch r.in[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *jsonReader) value(b []byte) ([]byte, error) {
	r.skipSpace()
	if r.pos >= len(r.in) {
		return b, r.errorf("unexpected end")
	}
	switch c := r.in[r.pos]; {
	case c == '{':
		return r.object(b)
	case c == '[':
		return r.array(b)
	case c == '"':
		s, err := r.str()
		if err != nil {
			return b, err
		}
		b = appendStrHeader(b, len(s))
		return append(b, s...), nil
	case c == 't':
		return AppendBool(b, true), r.literal("true")
	case c == 'f':
		return AppendBool(b, false), r.literal("false")
	case c == 'n':
		return AppendNil(b), r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number(b)
	default:
		return b, r.errorf("unexpected byte %q", c)
	}
}

func (r *jsonReader) literal(word string) error {
	if !bytes.HasPrefix(r.in[r.pos:], []byte(word)) {
		return r.errorf("invalid literal")
	}
	r.pos += len(word)
	return nil
}

// enter and leave track the nesting depth.
func (r *jsonReader) enter() error {
	r.depth++
	if r.depth > MaxDepth {
		return r.errorf("nested too deep")
	}
	return nil
}

func (r *jsonReader) array(b []byte) ([]byte, error) {
	if err := r.enter(); err != nil {
		return b, err
	}
	defer func() { r.depth-- }()
	r.pos++ // [
	hdr := len(b)
	b = append(b, 0)
	n := 0
	r.skipSpace()
	if r.pos < len(r.in) && r.in[r.pos] == ']' {
		r.pos++
		return patchHeader(b, hdr, 0, fixArray, array16, array32), nil
	}
	for {
		var err error
		if b, err = r.value(b); err != nil {
			return b, err
		}
		n++
		more, err := r.next(']')
		if err != nil {
			return b, err
		}
		if !more {
			return patchHeader(b, hdr, n, fixArray, array16, array32), nil
		}
	}
}

// next consumes the separator after a member: it reports true after a
// comma, false after the closing byte.
func (r *jsonReader) next(closing byte) (bool, error) {
	r.skipSpace()
	if r.pos >= len(r.in) {
		return false, r.errorf("unexpected end")
	}
	switch r.in[r.pos] {
	case ',':
		r.pos++
		return true, nil
	case closing:
		r.pos++
		return false, nil
	default:
		return false, r.errorf("unexpected byte %q", r.in[r.pos])
	}
}

// placeholder tracks the members of an object that make it a placeholder.
type placeholder struct {
	flag  bool // "_placeholder": true
	num   int64
	numOK bool // "num" is an integer
}

func (r *jsonReader) object(b []byte) ([]byte, error) {
	if err := r.enter(); err != nil {
		return b, err
	}
	defer func() { r.depth-- }()
	r.pos++ // {
	hdr := len(b)
	b = append(b, 0)
	n := 0
	var ph placeholder
	r.skipSpace()
	if r.pos < len(r.in) && r.in[r.pos] == '}' {
		r.pos++
		return patchHeader(b, hdr, 0, fixMap, map16, map32), nil
	}
	for {
		var err error
		if b, err = r.member(b, &ph); err != nil {
			return b, err
		}
		n++
		more, err := r.next('}')
		if err != nil {
			return b, err
		}
		if !more {
			break
		}
	}
	if !ph.flag {
		return patchHeader(b, hdr, n, fixMap, map16, map32), nil
	}
	if !ph.numOK || ph.num < 0 || ph.num >= int64(len(r.att)) {
		return b, r.errorf("placeholder names no attachment")
	}
	return AppendBin(b[:hdr], r.att[ph.num]), nil
}

// member transcodes one "key": value pair of an object.
func (r *jsonReader) member(b []byte, ph *placeholder) ([]byte, error) {
	r.skipSpace()
	if r.pos >= len(r.in) || r.in[r.pos] != '"' {
		return b, r.errorf("expected a member name")
	}
	key, err := r.str()
	if err != nil {
		return b, err
	}
	r.skipSpace()
	if r.pos >= len(r.in) || r.in[r.pos] != ':' {
		return b, r.errorf("expected ':'")
	}
	r.pos++
	b = appendStrHeader(b, len(key))
	b = append(b, key...)
	start := len(b)
	if b, err = r.value(b); err != nil {
		return b, err
	}
	switch string(key) {
	case "_placeholder":
		ph.flag = len(b)-start == 1 && b[start] == mpTrue
	case "num":
		ph.num, ph.numOK = readInt(b[start:])
	}
	return b, nil
}

// readInt decodes v, one MessagePack value, if it is an integer.
func readInt(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	c := v[0]
	switch {
	case c < 0x80:
		return int64(c), true
	case c >= 0xe0:
		return int64(int8(c)), true
	}
	switch {
	case c == uint8b && len(v) == 2:
		return int64(v[1]), true
	case c == uint16b && len(v) == 3:
		return int64(binary.BigEndian.Uint16(v[1:])), true
	case c == uint32b && len(v) == 5:
		return int64(binary.BigEndian.Uint32(v[1:])), true
	}
	return 0, false // larger or negative numbers name no attachment anyway
}

// patchHeader writes the header of a container of n elements at b[hdr],
// where one byte was reserved, moving the elements if a longer header is
// needed.
func patchHeader(b []byte, hdr, n int, fix, b16, b32 byte) []byte {
	if n < 16 {
		b[hdr] = fix | byte(n)
		return b
	}
	head := appendHeader(make([]byte, 0, 5), n, fix, b16, b32)
	extra := len(head) - 1
	b = append(b, head[1:]...) // grow by extra bytes
	copy(b[hdr+1+extra:], b[hdr+1:len(b)-extra])
	copy(b[hdr:], head)
	return b
}

// str reads a JSON string and returns its content, which aliases the input
// when it has no escape sequence.
func (r *jsonReader) str() ([]byte, error) {
	start := r.pos
	r.pos++ // "
	escaped := false
	for r.pos < len(r.in) {
		c := r.in[r.pos]
		switch {
		case c == '"':
			r.pos++
			if !escaped {
				return r.in[start+1 : r.pos-1], nil
			}
			var s string
			if err := json.Unmarshal(r.in[start:r.pos], &s); err != nil {
				return nil, r.errorf("invalid string: %v", err)
			}
			return []byte(s), nil
		case c == '\\':
			escaped = true
			r.pos += 2
		case c < 0x20:
			return nil, r.errorf("control character in string")
		default:
			r.pos++
		}
	}
	return nil, r.errorf("unterminated string")
}

// number transcodes a JSON number: an integer literal that fits 64 bits
// exactly, anything else through float64 as JavaScript would.
func (r *jsonReader) number(b []byte) ([]byte, error) {
	start := r.pos
	integral, err := r.scanNumber()
	if err != nil {
		return b, err
	}
	lit := string(r.in[start:r.pos])
	if integral {
		if v, err := strconv.ParseInt(lit, 10, 64); err == nil {
			return AppendInt(b, v), nil
		}
		if v, err := strconv.ParseUint(lit, 10, 64); err == nil {
			return AppendUint(b, v), nil
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !math.IsInf(f, 0) {
		return b, r.errorf("invalid number %q", lit)
	}
	return AppendFloat(b, f), nil
}

// scanNumber moves past a number of the JSON grammar and reports whether
// it has neither fraction nor exponent.
func (r *jsonReader) scanNumber() (integral bool, err error) {
	if r.in[r.pos] == '-' {
		r.pos++
	}
	if !r.digits() {
		return false, r.errorf("invalid number")
	}
	integral = true
	if r.pos < len(r.in) && r.in[r.pos] == '.' {
		r.pos++
		integral = false
		if !r.digits() {
			return false, r.errorf("invalid number")
		}
	}
	if r.pos < len(r.in) && (r.in[r.pos] == 'e' || r.in[r.pos] == 'E') {
		r.pos++
		integral = false
		if r.pos < len(r.in) && (r.in[r.pos] == '+' || r.in[r.pos] == '-') {
			r.pos++
		}
		if !r.digits() {
			return false, r.errorf("invalid number")
		}
	}
	return integral, nil
}

// digits moves past one or more decimal digits and reports whether there
// was one.
func (r *jsonReader) digits() bool {
	start := r.pos
	for r.pos < len(r.in) && r.in[r.pos] >= '0' && r.in[r.pos] <= '9' {
		r.pos++
	}
	return r.pos > start
}
