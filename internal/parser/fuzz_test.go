package parser

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// FuzzDecode feeds a Decoder a text message and binary messages in an
// order chosen by ops, and checks that it never panics and that every
// packet it returns is valid and survives AppendText and decoding again.
//
// ops: bits 0-3 the number of binary messages (bin cut into that many),
// bit 4 a binary message first, bit 5 the text again at the end, bits 6-7
// MaxAttachments (0, 1, 3, 20).
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`0`, `0{"token":"123"}`, `0/custom,`, `0/custom`, `1`, `1/chat,`, `2["hello",1]`, `2/admin,13["a"]`,
		`3/chat,7[]`, `4{"message":"Invalid namespace"}`, `4"x"`, `51-["up",{"_placeholder":true,"num":0}]`,
		`62-/a,5[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`, `2["connect"]`, `2[]`, `2abc["a"]`,
		`299999999999999999999["a"]`, `511-["a"]`, `50-["a"]`, `5-["a"]`, `2["a"]x`, `2["\u0063onnect"]`, `7`, ``,
		`51-["a",{"_placeholder":true,"num":1}]`, `2[1,{"a":[true,false,null,-1.5e3]}]`, "2 [\"a\"] ",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i%3+0x20*(i%2)), []byte("attachment"))
	}
	f.Fuzz(func(t *testing.T, text string, ops uint8, bin []byte) {
		d := Decoder{MaxAttachments: [...]int{0, 1, 3, 20}[ops>>6]}
		n := int(ops & 0x0f)
		check := func(p *Packet, err error) {
			if err != nil {
				if !errors.Is(err, ErrInvalid) || p != nil {
					t.Fatalf("got %v, %v; want a nil packet and an ErrInvalid error", p, err)
				}
				return
			}
			if p != nil {
				checkDecoded(t, p, d.MaxAttachments)
			}
		}
		if ops&0x10 != 0 {
			check(d.DecodeBinary(bin))
		}
		check(d.DecodeText([]byte(text)))
		for i := range n {
			check(d.DecodeBinary(bin[i*len(bin)/n : (i+1)*len(bin)/n]))
		}
		if ops&0x20 != 0 {
			check(d.DecodeText([]byte(text)))
		}
	})
}

// checkDecoded checks the invariants of a decoded packet and that it
// encodes to text that decodes to the same packet.
func checkDecoded(t *testing.T, p *Packet, maxAttachments int) {
	t.Helper()
	if p.Type > BinaryAck || !strings.HasPrefix(p.Namespace, "/") || strings.Contains(p.Namespace, ",") || p.ID < NoID {
		t.Fatalf("invalid packet header %+v", *p)
	}
	if p.Type.IsBinary() != (len(p.Attachments) > 0) {
		t.Fatalf("%v packet with %d attachments", p.Type, len(p.Attachments))
	}
	if p.Data != nil && !json.Valid(p.Data) {
		t.Fatalf("invalid JSON data %q", p.Data)
	}
	if _, err := ResolvePlaceholders(p.Data, p.Attachments); err != nil && p.Data != nil {
		t.Fatalf("ResolvePlaceholders of a decoded packet: %v", err)
	}
	if _, _, err := DecodeValue(p.Data, p.Attachments, true); err != nil && p.Data != nil {
		t.Fatalf("DecodeValue of a decoded packet: %v", err)
	}
	text := p.AppendText(nil)
	d := Decoder{MaxAttachments: maxAttachments}
	q, err := d.DecodeText(text)
	for i := 0; err == nil && q == nil && i < len(p.Attachments); i++ {
		q, err = d.DecodeBinary(p.Attachments[i])
	}
	if err != nil || q == nil {
		t.Fatalf("re-decoding %q: %v, %v", text, q, err)
	}
	if !samePacket(p, q) {
		t.Fatalf("re-decoding %q\n got %+v\nwant %+v", text, *q, *p)
	}
}

// FuzzResolvePlaceholders checks ResolvePlaceholders and DecodeValue, the
// two readers of placeholders in this package, against a reference built
// on encoding/json that follows Node's reconstructPacket: the same
// documents are accepted, and they decode to the same values.
func FuzzResolvePlaceholders(f *testing.F) {
	seeds := []string{
		`["up",{"_placeholder":true,"num":0}]`, `[{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]`,
		`{"_placeholder":true,"num":0}`, `[{"_placeholder":true,"num":2}]`, `[{"_placeholder":true}]`,
		`[{"_placeholder":true,"num":"0"}]`, `[{"_placeholder":true,"num":1.0}]`, `[{"num":0,"_placeholder":true,"x":[]}]`,
		`[{"_placeholder":true,"_placeholder":false,"num":0}]`, `[{"\u005fplaceholder":true,"num":0}]`, `[1,"a",null]`, `[`, ``,
		`[{"_placeholder":true,"num":0,"y":{"_placeholder":true,"num":9}}]`,
	}
	for i, s := range seeds {
		f.Add(s, uint8(i%4))
	}
	f.Fuzz(func(t *testing.T, data string, n uint8) {
		atts := make([][]byte, n%4)
		for i := range atts {
			atts[i] = bytes.Repeat([]byte{byte(i + 1)}, i)
		}
		got, err := ResolvePlaceholders(raw(data), atts)
		checkDecodeValue(t, data, atts, got, err)
		if len(atts) == 0 {
			if err != nil || string(got) != data {
				t.Fatalf("without attachments: %q, %v; want the data unchanged", got, err)
			}
			return
		}
		want, werr := refResolve(data, atts)
		if (err == nil) != (werr == nil) {
			t.Fatalf("ResolvePlaceholders(%q) error %v, reference %v", data, err, werr)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(got))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("ResolvePlaceholders(%q) = %q: %v", data, got, err)
		}
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("ResolvePlaceholders(%q) = %q, reference %#v", data, got, want)
		}
	})
}

// checkDecodeValue checks that DecodeValue reads data as
// ResolvePlaceholders did (resolved, err): the same refusals, and the same
// values with binary data as base64.
func checkDecodeValue(t *testing.T, data string, atts [][]byte, resolved json.RawMessage, err error) {
	t.Helper()
	v, binary, verr := DecodeValue(raw(data), atts, true)
	if err == nil && len(atts) == 0 && !json.Valid(raw(data)) {
		err = errReference // ResolvePlaceholders does not look without attachments
	}
	if (verr == nil) != (err == nil) {
		t.Fatalf("DecodeValue(%q) error %v, ResolvePlaceholders %v", data, verr, err)
	}
	if verr != nil {
		if !errors.Is(verr, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", verr)
		}
		return
	}
	if binary != (string(resolved) != data) {
		t.Fatalf("DecodeValue(%q) binary = %v, ResolvePlaceholders gave %q", data, binary, resolved)
	}
	dec := json.NewDecoder(bytes.NewReader(resolved))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	if got := withBase64(v); !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeValue(%q) = %#v, ResolvePlaceholders %#v", data, got, want)
	}
}

// withBase64 returns v with every []byte replaced by its base64 string.
func withBase64(v any) any {
	switch x := v.(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case map[string]any:
		for k, e := range x {
			x[k] = withBase64(e)
		}
	case []any:
		for i, e := range x {
			x[i] = withBase64(e)
		}
	}
	return v
}

// FuzzDecodeValue checks the reader DecodeValue uses for data with
// placeholders against encoding/json on any JSON: the same values, and the
// same refusals of numbers beyond float64.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add(s, false)
	}
	f.Add(`{"a":[1,{"b":"\u00e9\ud800"}],"a":-0.5e3}`, true)
	f.Fuzz(func(t *testing.T, s string, useNumber bool) {
		data := []byte(s)
		if !json.Valid(data) {
			return
		}
		r := valueReader{data: data, useNumber: useNumber, s: scanner{data: data}}
		got, end, err := r.value(skipSpace(data, 0))
		want, werr := decodeJSON(data, useNumber)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: error %v, encoding/json %v", s, err, werr)
		}
		if err == nil && (!reflect.DeepEqual(got, want) || skipSpace(data, end) != len(data)) {
			t.Fatalf("%q: %#v up to %d, encoding/json %#v", s, got, end, want)
		}
	})
}

var errReference = errors.New("invalid")

func refResolve(data string, atts [][]byte) (any, error) {
	if !json.Valid([]byte(data)) {
		return nil, errReference
	}
	dec := json.NewDecoder(strings.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return refWalk(v, atts)
}

func refWalk(v any, atts [][]byte) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if x["_placeholder"] == true {
			num, ok := x["num"].(json.Number)
			if !ok {
				return nil, errReference
			}
			f, err := num.Float64()
			if err != nil || f < 0 || f != math.Trunc(f) || f >= float64(len(atts)) {
				return nil, errReference
			}
			return base64.StdEncoding.EncodeToString(atts[int(f)]), nil
		}
		for k, e := range x {
			r, err := refWalk(e, atts)
			if err != nil {
				return nil, err
			}
			x[k] = r
		}
	case []any:
		for i, e := range x {
			r, err := refWalk(e, atts)
			if err != nil {
				return nil, err
			}
			x[i] = r
		}
	}
	return v, nil
}

// FuzzScanJSON checks the scanner against encoding/json: it accepts the
// same documents, and SplitArray finds the elements json.Unmarshal finds.
func FuzzScanJSON(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add(s)
	}
	f.Add(`[{"_placeholder":true,"num":0}, "x", [1, {"y": null}]]`)
	f.Fuzz(func(t *testing.T, s string) {
		data := []byte(s)
		_, err := scanJSON(data, true, nil)
		if valid := json.Valid(data); (err == nil) != valid {
			t.Fatalf("scanJSON(%q) error %v, json.Valid = %v", s, err, valid)
		}
		elems, serr := SplitArray(data)
		if i := skipSpace(data, 0); err != nil || i == len(data) || data[i] != '[' {
			if serr == nil {
				t.Fatalf("SplitArray(%q) = %q, want an error", s, elems)
			}
			return
		}
		if serr != nil {
			t.Fatalf("SplitArray(%q): %v", s, serr)
		}
		var want []json.RawMessage
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("json.Unmarshal(%q): %v", s, err)
		}
		if len(elems) != len(want) {
			t.Fatalf("SplitArray(%q) = %q, json.Unmarshal %q", s, elems, want)
		}
		for i := range elems {
			if !bytes.Equal(elems[i], want[i]) {
				t.Fatalf("SplitArray(%q)[%d] = %q, json.Unmarshal %q", s, i, elems[i], want[i])
			}
		}
	})
}
