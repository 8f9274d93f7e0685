package msgpack

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// BinaryForm says how ToJSON writes binary data.
type BinaryForm int

const (
	// Placeholders writes the Socket.IO placeholder
	// {"_placeholder":true,"num":i} and returns the data as attachment i.
	Placeholders BinaryForm = iota
	// NodeBuffers writes what JSON.stringify makes of a Node Buffer,
	// {"type":"Buffer","data":[bytes...]}, and returns no attachment.
	NodeBuffers
)

// ToJSON decodes data, exactly one MessagePack value, and appends its JSON
// form to dst, as JSON.stringify would write what notepack.io decodes:
// maps become objects (integer, boolean and nil keys become their string
// form; other keys are an error), notepack's undefined becomes null in
// arrays and drops the member in objects, timestamps become ISO 8601
// strings, NaN and infinities become null, other extension types become
// [type, binary]. Binary data is written in the given form.
//
// It never panics and never allocates more than a small multiple of
// len(data): every length prefix is checked against the bytes that remain.
// The attachments alias data. On error, it returns dst unchanged, no
// attachments, and an error wrapping ErrInvalid.
func ToJSON(dst, data []byte, form BinaryForm) ([]byte, [][]byte, error) {
	r := mpReader{in: data, form: form}
	out, _, err := r.value(dst)
	if err == nil && r.pos != len(r.in) {
		err = r.errorf("%d trailing bytes", len(r.in)-r.pos)
	}
	if err != nil {
		return dst, nil, err
	}
	return out, r.att, nil
}

// mpReader reads MessagePack and writes JSON.
type mpReader struct {
	in     []byte
	pos    int
	form   BinaryForm
	att    [][]byte
	maxAtt int // caps len(att) when positive
	depth  int
}

func (r *mpReader) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: msgpack at offset %d: %s", ErrInvalid, r.pos, fmt.Sprintf(format, args...))
}

// take consumes n bytes.
func (r *mpReader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.in)-r.pos) {
		return nil, r.errorf("truncated")
	}
	b := r.in[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, nil
}

// uint reads a big-endian unsigned integer of size bytes.
func (r *mpReader) uint(size int) (uint64, error) {
	b, err := r.take(uint64(size))
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	default:
		return binary.BigEndian.Uint64(b), nil
	}
}

// value writes one value. It reports undefined (notepack's fixext 1 of
// type 0), for which it writes null.
func (r *mpReader) value(b []byte) (_ []byte, undefined bool, err error) {
	if r.pos >= len(r.in) {
		return b, false, r.errorf("truncated")
	}
	c := r.in[r.pos]
	r.pos++
	switch {
	case c < 0x80:
		return strconv.AppendUint(b, uint64(c), 10), false, nil
	case c < 0x90:
		b, err = r.object(b, uint64(c&0x0f))
		return b, false, err
	case c < 0xa0:
		b, err = r.array(b, uint64(c&0x0f))
		return b, false, err
	case c < 0xc0:
		b, err = r.str(b, uint64(c&0x1f))
		return b, false, err
	case c >= 0xe0:
		return strconv.AppendInt(b, int64(int8(c)), 10), false, nil
	}
	return r.typed(b, c)
}

// sizes of the length prefix of each sized format.
var prefixSize = map[byte]int{
	bin8: 1, bin16: 2, bin32: 4, str8: 1, str16: 2, str32: 4,
	array16: 2, array32: 4, map16: 2, map32: 4, ext8: 1, ext16: 2, ext32: 4,
}

// typed writes a value whose format byte c is not a fixed one.
func (r *mpReader) typed(b []byte, c byte) ([]byte, bool, error) {
	var err error
	switch c {
	case mpNil:
		return append(b, "null"...), false, nil
	case mpFalse:
		return append(b, "false"...), false, nil
	case mpTrue:
		return append(b, "true"...), false, nil
	case uint8b, uint16b, uint32b, uint64b:
		v, err := r.uint(1 << (c - uint8b))
		return strconv.AppendUint(b, v, 10), false, err
	case int8b, int16b, int32b, int64b:
		v, err := r.int(1 << (c - int8b))
		return strconv.AppendInt(b, v, 10), false, err
	case float32b:
		v, err := r.uint(4)
		return appendNumber(b, float64(math.Float32frombits(uint32(v)))), false, err
	case float64b:
		v, err := r.uint(8)
		return appendNumber(b, math.Float64frombits(v)), false, err
	case fixExt1, fixExt2, fixExt4, fixExt8, fixExt16:
		return r.ext(b, uint64(1)<<(c-fixExt1), c)
	}
	size, ok := prefixSize[c]
	if !ok {
		return b, false, r.errorf("invalid format byte 0x%02x", c)
	}
	n, err := r.uint(size)
	if err != nil {
		return b, false, err
	}
	switch c {
	case bin8, bin16, bin32:
		data, err := r.take(n)
		if err != nil {
			return b, false, err
		}
		b, err = r.binary(b, data)
		return b, false, err
	case str8, str16, str32:
		b, err = r.str(b, n)
	case array16, array32:
		b, err = r.array(b, n)
	case map16, map32:
		b, err = r.object(b, n)
	default:
		return r.ext(b, n, c)
	}
	return b, false, err
}

func (r *mpReader) int(size int) (int64, error) {
	v, err := r.uint(size)
	switch size {
	case 1:
		return int64(int8(v)), err
	case 2:
		return int64(int16(v)), err
	case 4:
		return int64(int32(v)), err
	default:
		return int64(v), err
	}
}

// binary writes data in the reader's binary form. With placeholders, it
// fails once maxAtt attachments are taken, if maxAtt is positive.
func (r *mpReader) binary(b, data []byte) ([]byte, error) {
	if r.form == NodeBuffers {
		b = append(b, `{"type":"Buffer","data":[`...)
		for i, x := range data {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(x), 10)
		}
		return append(b, "]}"...), nil
	}
	if r.maxAtt > 0 && len(r.att) >= r.maxAtt {
		return b, r.errorf("more than %d binary values", r.maxAtt)
	}
	b = append(b, `{"_placeholder":true,"num":`...)
	b = strconv.AppendInt(b, int64(len(r.att)), 10)
	r.att = append(r.att, data)
	return append(b, '}'), nil
}

func (r *mpReader) str(b []byte, n uint64) ([]byte, error) {
	s, err := r.take(n)
	if err != nil {
		return b, err
	}
	return appendString(b, s), nil
}

func (r *mpReader) enter(n uint64) error {
	if n > uint64(len(r.in)-r.pos) { // every element takes a byte at least
		return r.errorf("truncated")
	}
	r.depth++
	if r.depth > MaxDepth {
		return r.errorf("nested too deep")
	}
	return nil
}

func (r *mpReader) array(b []byte, n uint64) ([]byte, error) {
	if err := r.enter(n); err != nil {
		return b, err
	}
	defer func() { r.depth-- }()
	b = append(b, '[')
	for i := uint64(0); i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, _, err = r.value(b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func (r *mpReader) object(b []byte, n uint64) ([]byte, error) {
	if err := r.enter(2 * n); err != nil {
		return b, err
	}
	defer func() { r.depth-- }()
	b = append(b, '{')
	first := true
	for i := uint64(0); i < n; i++ {
		mark := len(b)
		if !first {
			b = append(b, ',')
		}
		var err error
		if b, err = r.key(b); err != nil {
			return b, err
		}
		b = append(b, ':')
		var undefined bool
		if b, undefined, err = r.value(b); err != nil {
			return b, err
		}
		if undefined { // JSON.stringify drops the member
			b = b[:mark]
			continue
		}
		first = false
	}
	return append(b, '}'), nil
}

// key writes a map key as the JSON string JavaScript would make of it.
func (r *mpReader) key(b []byte) ([]byte, error) {
	if r.pos >= len(r.in) {
		return b, r.errorf("truncated")
	}
	c := r.in[r.pos]
	if (c >= fixStr && c < 0xc0) || c == str8 || c == str16 || c == str32 {
		out, _, err := r.value(b)
		return out, err
	}
	switch {
	case c < 0x80 || c >= 0xe0, c >= uint8b && c <= int64b, c == mpNil, c == mpTrue, c == mpFalse:
		b = append(b, '"')
		out, _, err := r.value(b)
		if err != nil {
			return b, err
		}
		return append(out, '"'), nil
	}
	return b, r.errorf("unsupported map key format 0x%02x", c)
}

// ext writes an extension value of n data bytes, whose type byte is next,
// as notepack.io decodes the format c.
func (r *mpReader) ext(b []byte, n uint64, c byte) ([]byte, bool, error) {
	t, err := r.uint(1)
	if err != nil {
		return b, false, err
	}
	data, err := r.take(n)
	if err != nil {
		return b, false, err
	}
	typ := int8(t)
	switch {
	case typ == 0 && c == fixExt1:
		return append(b, "null"...), true, nil // notepack's undefined
	case typ == 0 && c == fixExt8:
		ms := int64(binary.BigEndian.Uint64(data)) // notepack's legacy Date
		return appendDate(b, float64(ms)), false, nil
	case typ == 0 && (c == ext8 || c == ext16 || c == ext32):
		b, err = r.binary(b, data) // notepack's legacy ArrayBuffer
		return b, false, err
	case typ == -1 && (n == 4 && c == fixExt4 || n == 8 && c == fixExt8 || n == 12 && c == ext8):
		return appendDate(b, timestampMillis(data)), false, nil
	}
	b = strconv.AppendInt(append(b, '['), int64(typ), 10)
	if b, err = r.binary(append(b, ','), data); err != nil {
		return b, false, err
	}
	return append(b, ']'), false, nil
}

// timestampMillis decodes the MessagePack timestamp extension.
func timestampMillis(d []byte) float64 {
	switch len(d) {
	case 4:
		return float64(binary.BigEndian.Uint32(d)) * 1e3
	case 8:
		hi, lo := binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:])
		s := float64(hi&3)*(1<<32) + float64(lo)
		return s*1e3 + float64(hi>>2)/1e6
	default:
		ns := binary.BigEndian.Uint32(d)
		s := int64(binary.BigEndian.Uint64(d[4:]))
		return float64(s)*1e3 + float64(ns)/1e6
	}
}

// appendDate writes what JSON.stringify makes of a Date: its ISO string,
// or null when it is out of JavaScript's range.
func appendDate(b []byte, ms float64) []byte {
	ms = math.Trunc(ms)
	if math.IsNaN(ms) || math.Abs(ms) > 8.64e15 {
		return append(b, "null"...)
	}
	t := time.UnixMilli(int64(ms)).UTC()
	b = append(b, '"')
	switch y := t.Year(); {
	case y >= 0 && y <= 9999:
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	default:
		sign := byte('+')
		if y < 0 {
			sign, y = '-', -y
		}
		b = fmt.Appendf(b, "%c%06d", sign, y)
		b = t.AppendFormat(b, "-01-02T15:04:05.000Z")
	}
	return append(b, '"')
}

// appendNumber writes a float as JSON.stringify does: the shortest form
// that reads back the same, exponent notation below 1e-6 and from 1e21,
// null for NaN and infinities.
func appendNumber(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return append(b, "null"...)
	case f == 0:
		return append(b, '0') // JSON.stringify(-0) is "0"
	}
	format := byte('f')
	if abs := math.Abs(f); abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-07 -> e-7, as JavaScript writes it
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString writes s as a JSON string, escaped as JSON.stringify does.
// Invalid UTF-8 becomes U+FFFD, once per maximal subpart, as Node's
// Buffer.toString decodes it.
func appendString(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c >= 0x20:
				b = append(b, c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
			size = maximalSubpart(s[i:])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// AppendJSONString appends s as a JSON string, escaped as JSON.stringify
// does.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return appendString(b, []byte(s))
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// maximalSubpart returns the length of the invalid UTF-8 sequence at the
// start of s that the WHATWG decoder replaces by a single U+FFFD: the
// lead byte and the continuation bytes that could still have completed it.
func maximalSubpart(s []byte) int {
	lo, hi, need := byte(0x80), byte(0xbf), 0
	switch c := s[0]; {
	case c >= 0xc2 && c <= 0xdf:
		need = 1
	case c == 0xe0:
		lo, need = 0xa0, 2
	case c == 0xed:
		hi, need = 0x9f, 2
	case c >= 0xe1 && c <= 0xef:
		need = 2
	case c == 0xf0:
		lo, need = 0x90, 3
	case c == 0xf4:
		hi, need = 0x8f, 3
	case c >= 0xf1 && c <= 0xf3:
		need = 3
	}
	n := 1
	for ; n <= need && n < len(s); n++ {
		if s[n] < lo || s[n] > hi {
			break
		}
		lo, hi = 0x80, 0xbf
	}
	return n
}
