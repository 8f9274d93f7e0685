package parser

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
)

// AppendArgs appends the JSON array of args to dst and returns the extended
// buffer and the binary attachments.
//
// Every byte slice found in args (at top level, or inside interfaces,
// pointers, slices, arrays, maps and structs) is written as the placeholder
// {"_placeholder":true,"num":i} and returned as attachment i, in the order
// of the output; the attachments alias the arguments, not copies. A nil
// byte slice is null, as in encoding/json.
//
// A json.RawMessage argument is copied verbatim (an empty one is null): it
// must be valid JSON, which is not checked. A value whose type cannot hold
// a byte slice is marshaled by encoding/json; so is a value whose type
// implements json.Marshaler or encoding.TextMarshaler, by its method, and it
// is not searched for byte slices. Other values are walked with reflection
// (whether a type may hold a byte slice is computed once per type), with
// the rules of encoding/json: `json` struct tags (name, omitempty,
// omitzero, string, "-"), promoted fields of embedded structs, map keys
// sorted. Unlike encoding/json.Marshal, <, > and & are not escaped, as in
// Node's JSON.stringify.
//
// On error, AppendArgs returns dst unchanged, no attachments, and the error
// of encoding/json or of a value nested more than 10000 levels deep (a
// cyclic one). AppendArgs is safe for concurrent use.
func AppendArgs(dst []byte, args []any) ([]byte, [][]byte, error) {
	w := writerPool.Get().(*argWriter)
	w.buf, w.atts, w.keys, w.depth = dst, nil, w.keys[:0], 0
	err := w.array(args)
	out, atts := w.buf, w.atts
	w.buf, w.atts = nil, nil
	clear(w.keys[:cap(w.keys)]) // drop the references to the caller's strings
	writerPool.Put(w)
	if err != nil {
		return dst, nil, err
	}
	return out, atts, nil
}

func (w *argWriter) array(args []any) error {
	w.buf = append(w.buf, '[')
	for i, a := range args {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if err := w.arg(a); err != nil {
			return fmt.Errorf("parser: argument %d: %w", i, err)
		}
	}
	w.buf = append(w.buf, ']')
	return nil
}

// arg appends one argument: a json.RawMessage verbatim, anything else as
// any does.
func (w *argWriter) arg(a any) error {
	if v, ok := a.(json.RawMessage); ok {
		if len(v) == 0 {
			w.buf = append(w.buf, "null"...)
			return nil
		}
		w.buf = append(w.buf, v...)
		return nil
	}
	return w.any(a)
}

// any appends a dynamic value, sparing the common types, []any and
// map[string]any included, a reflection walk.
func (w *argWriter) any(a any) error {
	switch v := a.(type) {
	case nil:
		w.buf = append(w.buf, "null"...)
	case []byte:
		w.bytes(v)
	case string:
		return w.str(v)
	case bool:
		w.buf = strconv.AppendBool(w.buf, v)
	case int:
		w.buf = strconv.AppendInt(w.buf, int64(v), 10)
	case int64:
		w.buf = strconv.AppendInt(w.buf, v, 10)
	case []any:
		return w.anySlice(v)
	case map[string]any:
		return w.anyMap(v)
	default:
		if mayHoldBytes(reflect.TypeOf(a)) {
			return w.walk(reflect.ValueOf(a))
		}
		return w.marshal(a)
	}
	return nil
}

func (w *argWriter) anySlice(v []any) error {
	if v == nil {
		w.buf = append(w.buf, "null"...)
		return nil
	}
	if w.depth++; w.depth > maxDepth {
		return errTooDeep
	}
	w.buf = append(w.buf, '[')
	for i, e := range v {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if err := w.any(e); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, ']')
	w.depth--
	return nil
}

// anyMap appends a map with its keys sorted, as encoding/json does.
func (w *argWriter) anyMap(m map[string]any) error {
	if m == nil {
		w.buf = append(w.buf, "null"...)
		return nil
	}
	if w.depth++; w.depth > maxDepth {
		return errTooDeep
	}
	// The keys go on w.keys as on a stack, which nested maps extend and
	// shrink back, so they are re-read by index.
	start := len(w.keys)
	for k := range m {
		w.keys = append(w.keys, k)
	}
	slices.Sort(w.keys[start:])
	w.buf = append(w.buf, '{')
	for i := start; i < start+len(m); i++ {
		k := w.keys[i]
		if i > start {
			w.buf = append(w.buf, ',')
		}
		if err := w.str(k); err != nil {
			return err
		}
		w.buf = append(w.buf, ':')
		if err := w.any(m[k]); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, '}')
	w.keys = w.keys[:start]
	w.depth--
	return nil
}

// ResolvePlaceholders returns data with every attachment placeholder, an
// object {"_placeholder":true,"num":i}, replaced by the JSON string of the
// standard base64 encoding of attachments[i], so that encoding/json decodes
// it into a []byte.
//
// Placeholders are recognized as Placeholder says. A placeholder that
// names no attachment, or data that is not JSON, is an ErrInvalid error.
// With no attachments, data is returned unchanged without being scanned;
// otherwise the result is a new slice, or data itself when it holds no
// placeholder.
func ResolvePlaceholders(data json.RawMessage, attachments [][]byte) (json.RawMessage, error) {
	if len(attachments) == 0 {
		return data, nil
	}
	holes, err := scanJSON(data, true, nil)
	if err != nil {
		return nil, err
	}
	if err := checkHoles(holes, len(attachments)); err != nil {
		return nil, err
	}
	if len(holes) == 0 {
		return data, nil
	}
	size := len(data)
	for _, h := range holes {
		size += base64.StdEncoding.EncodedLen(len(attachments[h.num])) + 2 - (h.end - h.start)
	}
	out := make([]byte, 0, size)
	last := 0
	for _, h := range holes {
		out = append(out, data[last:h.start]...)
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, attachments[h.num])
		out = append(out, '"')
		last = h.end
	}
	return append(out, data[last:]...), nil
}

// SplitArray splits the JSON array data into its elements without decoding
// them: each element is the exact JSON text of the value, without the
// surrounding whitespace, and aliases data. An empty array gives no
// element. Data that is not one valid JSON array, optionally surrounded by
// whitespace, is an ErrInvalid error.
func SplitArray(data json.RawMessage) ([]json.RawMessage, error) {
	if i := skipSpace(data, 0); i >= len(data) || data[i] != '[' {
		return nil, invalidf("not a JSON array")
	}
	s := scanner{data: data, split: true, elems: make([]json.RawMessage, 0, 4)}
	if err := s.scan(); err != nil {
		return nil, err
	}
	if len(s.elems) == 0 {
		return nil, nil
	}
	return s.elems, nil
}
