package parser

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// DecodeValue decodes the JSON value data into an any, as encoding/json
// does (objects as map[string]any, arrays as []any, numbers as json.Number
// when useNumber is set and as float64 otherwise), except that each
// attachment placeholder becomes its attachment: a []byte that aliases
// attachments. Placeholders are recognized as Placeholder says, and only
// when there are attachments. binary reports whether data held a
// placeholder.
//
// Data that is not one JSON value, a placeholder that names no attachment,
// or (without useNumber) a number beyond float64 is an ErrInvalid error.
func DecodeValue(data json.RawMessage, attachments [][]byte, useNumber bool) (v any, binary bool, err error) {
	holes, err := scanJSON(data, len(attachments) > 0, nil)
	if err != nil {
		return nil, false, err
	}
	if err := checkHoles(holes, len(attachments)); err != nil {
		return nil, false, err
	}
	if len(holes) == 0 {
		v, err = decodeJSON(data, useNumber)
		return v, false, err
	}
	r := valueReader{data: data, holes: holes, atts: attachments, useNumber: useNumber, s: scanner{data: data}}
	v, _, err = r.value(skipSpace(data, 0))
	return v, true, err
}

// decodeJSON decodes data with encoding/json.
func decodeJSON(data []byte, useNumber bool) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if useNumber {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidf("%v", err)
	}
	return v, nil
}

// valueReader builds the value of JSON text that the scanner validated and
// whose placeholders it found, in the order they appear.
type valueReader struct {
	data      []byte
	holes     []hole // the placeholders not reached yet
	atts      [][]byte
	useNumber bool
	s         scanner // finds where strings and numbers end
}

// value returns the value starting at i and the offset after it.
func (r *valueReader) value(i int) (any, int, error) {
	if len(r.holes) > 0 && r.holes[0].start == i {
		h := r.holes[0]
		r.holes = r.holes[1:]
		return r.atts[h.num], h.end, nil
	}
	d := r.data
	switch d[i] {
	case '[':
		return r.array(i)
	case '{':
		return r.object(i)
	case '"':
		end, _ := r.s.str(i) // valid: the data was scanned
		s, err := unquote(d[i:end])
		return s, end, err
	case 't':
		return true, i + len("true"), nil
	case 'f':
		return false, i + len("false"), nil
	case 'n':
		return nil, i + len("null"), nil
	}
	end, _ := r.s.number(i)
	if r.useNumber {
		return json.Number(d[i:end]), end, nil
	}
	f, err := strconv.ParseFloat(string(d[i:end]), 64)
	if err != nil {
		return nil, 0, invalidf("number %s: %v", d[i:end], err)
	}
	return f, end, nil
}

func (r *valueReader) array(i int) (any, int, error) {
	d := r.data
	a := []any{}
	j := skipSpace(d, i+1)
	if d[j] == ']' {
		return a, j + 1, nil
	}
	for {
		v, end, err := r.value(j)
		if err != nil {
			return nil, 0, err
		}
		a = append(a, v)
		j = skipSpace(d, end)
		if d[j] == ']' {
			return a, j + 1, nil
		}
		j = skipSpace(d, j+1) // after the comma
	}
}

func (r *valueReader) object(i int) (any, int, error) {
	d := r.data
	m := map[string]any{}
	j := skipSpace(d, i+1)
	if d[j] == '}' {
		return m, j + 1, nil
	}
	for {
		keyEnd, _ := r.s.str(j)
		k, err := unquote(d[j:keyEnd])
		if err != nil {
			return nil, 0, err
		}
		v, end, err := r.value(skipSpace(d, skipSpace(d, keyEnd)+1)) // after the colon
		if err != nil {
			return nil, 0, err
		}
		m[k] = v // the last of duplicate keys wins, as in encoding/json
		j = skipSpace(d, end)
		if d[j] == '}' {
			return m, j + 1, nil
		}
		j = skipSpace(d, j+1) // after the comma
	}
}

// unquote returns the string the valid JSON string q holds, as
// encoding/json decodes it (invalid UTF-8 becomes U+FFFD).
func unquote(q []byte) (string, error) {
	inner := q[1 : len(q)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", invalidf("%v", err)
	}
	return s, nil
}
