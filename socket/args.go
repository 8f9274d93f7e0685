package socket

import (
	"encoding/json"
	"fmt"

	"github.com/envivo/socketio/internal/parser"
)

// Args are the arguments of an event or an acknowledgement as the peer sent
// them: JSON, plus the binary attachments the JSON refers to. Decode an
// argument into the type you expect; binary data decodes into []byte. Pass
// Values to Emit to forward the arguments unchanged, binary included. The
// zero value holds no arguments.
type Args struct {
	elems       []json.RawMessage // with placeholders for attachments
	attachments [][]byte
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a.elems) }

// Decode decodes argument i into v, as encoding/json does; binary data
// decodes into []byte. A missing argument is ErrMissingArgument.
func (a Args) Decode(i int, v any) error {
	if i < 0 || i >= len(a.elems) {
		return fmt.Errorf("%w: argument %d of %d", ErrMissingArgument, i, len(a.elems))
	}
	raw := a.elems[i]
	if len(a.attachments) > 0 {
		var err error
		if raw, err = parser.ResolvePlaceholders(raw, a.attachments); err != nil {
			return err
		}
	}
	return json.Unmarshal(raw, v)
}

// String returns argument i as a string, or "" when it is missing or not a
// JSON string.
func (a Args) String(i int) string {
	var s string
	if a.Decode(i, &s) != nil {
		return ""
	}
	return s
}

// Value returns argument i in a form Emit sends as it came: the JSON
// verbatim, or, for an argument holding binary data, its decoded value (as
// encoding/json decodes into an any, numbers as json.Number) in which the
// data is a []byte again. It returns nil when the argument is missing.
func (a Args) Value(i int) any {
	if i < 0 || i >= len(a.elems) {
		return nil
	}
	raw := a.elems[i]
	if len(a.attachments) == 0 {
		return raw
	}
	v, binary, err := parser.DecodeValue(raw, a.attachments, true)
	if err != nil || !binary { // err: unreachable, newArgs checked the placeholders
		return raw
	}
	return v
}

// Values returns every argument as Value does.
func (a Args) Values() []any {
	vs := make([]any, len(a.elems))
	for i := range a.elems {
		vs[i] = a.Value(i)
	}
	return vs
}

// newArgs splits the payload of an EVENT or ACK packet.
func newArgs(p *parser.Packet) (Args, error) {
	if len(p.Attachments) > 0 { // reject placeholders that name no attachment now, as Node does
		if _, err := parser.ResolvePlaceholders(p.Data, p.Attachments); err != nil {
			return Args{}, err
		}
	}
	elems, err := parser.SplitArray(p.Data)
	if err != nil {
		return Args{}, err
	}
	return Args{elems: elems, attachments: p.Attachments}, nil
}

// argsOf returns the arguments held by data, a JSON array in which the
// i-th binary attachment stands as {"_placeholder":true,"num":i}.
func argsOf(data json.RawMessage, attachments [][]byte) (Args, error) {
	return newArgs(&parser.Packet{Data: data, Attachments: attachments})
}

// Encode returns the arguments as adapter.NewArgs takes them: a JSON array with
// placeholders, and the attachments.
func (a Args) Encode() (json.RawMessage, [][]byte) {
	data := []byte{'['}
	for i, e := range a.elems {
		if i > 0 {
			data = append(data, ',')
		}
		data = append(data, e...)
	}
	return append(data, ']'), a.attachments
}
