package msgpack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/envivo/socketio/internal/parser"
)

// AppendJSON appends the MessagePack form of the JSON value js to b, as
// Node would encode the value that JSON.parse returns: object members in
// order, integral numbers as integers (1.0 and 1e2 included), other numbers
// as float 64. A placeholder (as parser.Placeholder recognizes it) stands
// for binary data, attachments[num], and becomes bin, as socket.io-parser
// reconstructs it; a placeholder that names no attachment is an error.
// Without attachments, no object is a placeholder.
// Integers beyond 2^53, which Node would round, are kept exact.
//
// On error, it returns b unchanged and an error wrapping ErrInvalid.
func AppendJSON(b []byte, js []byte, attachments [][]byte) ([]byte, error) {
	e := jsonReader{in: js, att: attachments}
	out, err := e.value(b)
	if err == nil {
		e.skipSpace()
		if e.pos != len(e.in) {
			err = e.errorf("trailing data")
		} else if e.illegal > 0 {
			err = fmt.Errorf("%w: %d placeholder(s) name no attachment", ErrInvalid, e.illegal)
		}
	}
	if err != nil {
		return b, err
	}
	return out, nil
}

// jsonReader reads JSON text and writes MessagePack.
type jsonReader struct {
	in      []byte
	pos     int
	att     [][]byte
	depth   int
	illegal int // placeholders that name no attachment, outside any other placeholder
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

func (r *jsonReader) object(b []byte) ([]byte, error) {
	if err := r.enter(); err != nil {
		return b, err
	}
	defer func() { r.depth-- }()
	r.pos++ // {
	hdr := len(b)
	b = append(b, 0)
	n := 0
	inner := r.illegal
	var ph parser.Placeholder
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
	if !ph.Is() || len(r.att) == 0 { // without attachments, no placeholders: plain data, as in Node
		return patchHeader(b, hdr, n, fixMap, map16, map32), nil
	}
	r.illegal = inner // the placeholders inside this one are part of it
	i, err := ph.Num(len(r.att))
	if err != nil {
		r.illegal++
		return b, nil // reported at the end, unless an enclosing placeholder takes this one in
	}
	return AppendBin(b[:hdr], r.att[i]), nil
}

// member transcodes one "key": value pair of an object and shows it to ph.
func (r *jsonReader) member(b []byte, ph *parser.Placeholder) ([]byte, error) {
	r.skipSpace()
	if r.pos >= len(r.in) || r.in[r.pos] != '"' {
		return b, r.errorf("expected a member name")
	}
	keyStart := r.pos
	key, err := r.str()
	if err != nil {
		return b, err
	}
	rawKey := r.in[keyStart:r.pos]
	r.skipSpace()
	if r.pos >= len(r.in) || r.in[r.pos] != ':' {
		return b, r.errorf("expected ':'")
	}
	r.pos++
	b = appendStrHeader(b, len(key))
	b = append(b, key...)
	r.skipSpace()
	valStart := r.pos
	if b, err = r.value(b); err != nil {
		return b, err
	}
	ph.Member(rawKey, r.in[valStart:r.pos])
	return b, nil
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
