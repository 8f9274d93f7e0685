package parser

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// argWriter builds the JSON of event arguments, turning byte slices into
// attachment placeholders. Values that cannot hold a byte slice are handed
// to encoding/json, without HTML escaping, as Node's JSON.stringify does not
// escape either.
type argWriter struct {
	buf   []byte
	atts  [][]byte
	enc   *json.Encoder // writes into buf
	keys  []string      // keys of the map[string]any being written
	depth int
}

var writerPool = sync.Pool{New: func() any {
	w := new(argWriter)
	w.enc = json.NewEncoder(w)
	w.enc.SetEscapeHTML(false)
	return w
}}

// Write appends p to the buffer, for w.enc.
func (w *argWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// marshal appends the encoding/json form of v.
func (w *argWriter) marshal(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	w.buf = w.buf[:len(w.buf)-1] // Encode ends with a newline
	return nil
}

// str appends s as a JSON string.
func (w *argWriter) str(s string) error {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return w.marshal(s)
		}
	}
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '"')
	return nil
}

// bytes appends the placeholder of attachment b, or null for a nil slice as
// encoding/json writes.
func (w *argWriter) bytes(b []byte) {
	if b == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = append(w.buf, `{"_placeholder":true,"num":`...)
	w.buf = strconv.AppendInt(w.buf, int64(len(w.atts)), 10)
	w.buf = append(w.buf, '}')
	w.atts = append(w.atts, b)
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	zeroerType        = reflect.TypeFor[interface{ IsZero() bool }]()
)

// opaque reports whether values of type t are marshaled by their own
// MarshalJSON or MarshalText method, and so never walked.
func opaque(t reflect.Type) bool {
	if t.Implements(marshalerType) || t.Implements(textMarshalerType) {
		return true
	}
	if t.Kind() == reflect.Pointer || t.Kind() == reflect.Interface {
		return false
	}
	p := reflect.PointerTo(t)
	return p.Implements(marshalerType) || p.Implements(textMarshalerType)
}

// isByteSlice reports whether encoding/json writes t, a type that is not
// opaque, as base64: the type AppendArgs turns into an attachment.
func isByteSlice(t reflect.Type) bool {
	if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8 {
		return false
	}
	p := reflect.PointerTo(t.Elem())
	return !p.Implements(marshalerType) && !p.Implements(textMarshalerType)
}

var holdsCache sync.Map // reflect.Type -> bool

// mayHoldBytes reports whether a value of type t may contain a byte slice
// that AppendArgs must turn into an attachment: only such values are
// walked.
func mayHoldBytes(t reflect.Type) bool {
	if h, ok := holdsCache.Load(t); ok {
		return h.(bool)
	}
	h := reaches(t, map[reflect.Type]bool{})
	holdsCache.Store(t, h)
	return h
}

// reaches reports whether a byte slice or an interface is reachable from t
// through types that are not opaque. Types already in seen are not visited
// again, which ends recursive types.
func reaches(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] || opaque(t) {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Slice:
		return isByteSlice(t) || reaches(t.Elem(), seen)
	case reflect.Array, reflect.Pointer, reflect.Map:
		return reaches(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if (f.IsExported() || f.Anonymous) && f.Tag.Get("json") != "-" && reaches(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

var errTooDeep = errors.New("value nested too deeply, or cyclic")

// walk appends the JSON of v, with placeholders for its byte slices.
func (w *argWriter) walk(v reflect.Value) error {
	if !v.IsValid() {
		w.buf = append(w.buf, "null"...)
		return nil
	}
	t := v.Type()
	if v.CanInterface() && !mayHoldBytes(t) {
		return w.delegate(v)
	}
	if opaque(t) {
		return fmt.Errorf("cannot marshal %v reached through an unexported field", t)
	}
	if w.depth++; w.depth > maxDepth {
		return errTooDeep
	}
	defer func() { w.depth-- }()
	switch v.Kind() {
	case reflect.Interface:
		if v.CanInterface() {
			return w.any(v.Interface())
		}
		fallthrough
	case reflect.Pointer:
		if v.IsNil() {
			w.buf = append(w.buf, "null"...)
			return nil
		}
		return w.walk(v.Elem())
	case reflect.Slice:
		if isByteSlice(t) {
			w.bytes(v.Bytes())
			return nil
		}
		if v.IsNil() {
			w.buf = append(w.buf, "null"...)
			return nil
		}
		return w.list(v)
	case reflect.Array:
		return w.list(v)
	case reflect.Map:
		return w.mapValue(v)
	case reflect.Struct:
		return w.structValue(v)
	}
	// Only structs and pointers to structs are reached through unexported
	// fields, and no other kind holds a byte slice.
	return &json.UnsupportedTypeError{Type: t}
}

// delegate appends the encoding/json form of v. An addressable v is passed
// by address so that encoding/json calls the MarshalJSON and MarshalText
// methods with pointer receivers in it, as it does for addressable values.
func (w *argWriter) delegate(v reflect.Value) error {
	if v.CanAddr() {
		return w.marshal(v.Addr().Interface())
	}
	return w.marshal(v.Interface())
}

// list appends the elements of a slice or an array.
func (w *argWriter) list(v reflect.Value) error {
	w.buf = append(w.buf, '[')
	for i := range v.Len() {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if err := w.walk(v.Index(i)); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, ']')
	return nil
}

// mapValue appends a map with its keys sorted, as encoding/json does.
func (w *argWriter) mapValue(v reflect.Value) error {
	if !validMapKey(v.Type().Key()) {
		return &json.UnsupportedTypeError{Type: v.Type()}
	}
	if v.IsNil() {
		w.buf = append(w.buf, "null"...)
		return nil
	}
	type member struct {
		key string
		val reflect.Value
	}
	members := make([]member, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		key, err := mapKey(it.Key())
		if err != nil {
			return err
		}
		members = append(members, member{key, it.Value()})
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	w.buf = append(w.buf, '{')
	for i, m := range members {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if err := w.str(m.key); err != nil {
			return err
		}
		w.buf = append(w.buf, ':')
		if err := w.walk(m.val); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, '}')
	return nil
}

func validMapKey(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return t.Implements(textMarshalerType)
}

// mapKey returns the member name of map key k, as encoding/json does.
func mapKey(k reflect.Value) (string, error) {
	if k.Kind() == reflect.String {
		return k.String(), nil
	}
	if k.Type().Implements(textMarshalerType) {
		if k.Kind() == reflect.Pointer && k.IsNil() {
			return "", nil
		}
		if !k.CanInterface() {
			return "", fmt.Errorf("cannot marshal map key %v reached through an unexported field", k.Type())
		}
		b, err := k.Interface().(encoding.TextMarshaler).MarshalText()
		return string(b), err
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(k.Int(), 10), nil
	}
	return strconv.FormatUint(k.Uint(), 10), nil
}

// structValue appends a struct with the members encoding/json would write.
func (w *argWriter) structValue(v reflect.Value) error {
	w.buf = append(w.buf, '{')
	first := true
	for _, f := range structFields(v.Type()) {
		fv, ok := fieldByIndex(v, f.index)
		if !ok || f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZeroValue(fv) {
			continue
		}
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.buf = append(w.buf, f.key...)
		var err error
		if f.quoted {
			err = w.quoted(fv)
		} else {
			err = w.walk(fv)
		}
		if err != nil {
			return err
		}
	}
	w.buf = append(w.buf, '}')
	return nil
}

// fieldByIndex follows index through embedded structs; ok is false when it
// meets a nil embedded pointer.
func fieldByIndex(v reflect.Value, index []int) (_ reflect.Value, ok bool) {
	for _, i := range index {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// quoted appends a field with the string option: its bool, number or
// string value inside a JSON string.
func (w *argWriter) quoted(v reflect.Value) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			w.buf = append(w.buf, "null"...)
			return nil
		}
		v = v.Elem()
	}
	if opaque(v.Type()) {
		return w.walk(v)
	}
	if v.Kind() != reflect.String {
		w.buf = append(w.buf, '"')
		if err := w.walk(v); err != nil {
			return err
		}
		w.buf = append(w.buf, '"')
		return nil
	}
	start := len(w.buf)
	if err := w.walk(v); err != nil {
		return err
	}
	inner := string(w.buf[start:])
	w.buf = w.buf[:start]
	return w.str(inner)
}
