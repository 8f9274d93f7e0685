package parser

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestPlaceholder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		object string // members of one object, as "key":value pairs
		is     bool
		num    int // -1: names no attachment among 3
	}{
		{`"_placeholder":true,"num":0`, true, 0},
		{`"num":2,"_placeholder":true,"x":[1]`, true, 2},
		{`"\u005fplaceholder":true,"nu\u006d":1`, true, 1},
		{`"_placeholder":true,"num":1.0`, true, 1},
		{`"_placeholder":true,"num":1e0`, true, 1},
		{`"_placeholder":true,"num":-0`, true, 0},
		{`"_placeholder":true,"num":3`, true, -1},
		{`"_placeholder":true,"num":-1`, true, -1},
		{`"_placeholder":true,"num":0.5`, true, -1},
		{`"_placeholder":true,"num":"0"`, true, -1},
		{`"_placeholder":true,"num":1e400`, true, -1},
		{`"_placeholder":true`, true, -1},
		{`"_placeholder":true,"num":0,"num":9`, true, -1},
		{`"_placeholder":true,"num":9,"num":0`, true, 0},
		{`"_placeholder":false,"num":0`, false, 0},
		{`"_placeholder":true,"_placeholder":false,"num":0`, false, 0},
		{`"_placeholder":"true","num":0`, false, 0},
		{`"_placeholder":1,"num":0`, false, 0},
		{`"_Placeholder":true,"num":0`, false, 0},
		{`"num":0`, false, 0},
	}
	for _, tt := range tests {
		var p Placeholder
		for _, m := range splitMembers(t, tt.object) {
			p.Member(m[0], m[1])
		}
		if p.Is() != tt.is {
			t.Errorf("{%s}: Is = %v, want %v", tt.object, p.Is(), tt.is)
			continue
		}
		if !tt.is {
			continue
		}
		n, err := p.Num(3)
		switch {
		case tt.num < 0 && !errors.Is(err, ErrInvalid):
			t.Errorf("{%s}: Num(3) = %d, %v; want an ErrInvalid error", tt.object, n, err)
		case tt.num >= 0 && (err != nil || n != tt.num):
			t.Errorf("{%s}: Num(3) = %d, %v; want %d", tt.object, n, err, tt.num)
		}
	}
}

// splitMembers returns the key and value texts of the members of an
// object, in order, with the scanner.
func splitMembers(t *testing.T, object string) [][2][]byte {
	t.Helper()
	data := []byte("{" + object + "}")
	s := scanner{data: data}
	var out [][2][]byte
	for j := 1; j < len(data)-1; {
		key, val, end, err := s.member(j)
		if err != nil {
			t.Fatalf("{%s}: %v", object, err)
		}
		out = append(out, [2][]byte{key, val})
		j = end + 1
	}
	return out
}

func TestDecodeValue(t *testing.T) {
	t.Parallel()
	a0, a1 := []byte{1, 2}, []byte{}
	atts := [][]byte{a0, a1}
	tests := []struct {
		data      string
		n         int // attachments given
		useNumber bool
		want      any
		binary    bool
	}{
		{`{"_placeholder":true,"num":0}`, 2, false, a0, true},
		{` [1, {"a": {"_placeholder":true,"num":1,"x":0}}, "\u00e9"] `, 2, false,
			[]any{1.0, map[string]any{"a": a1}, "é"}, true},
		{`[1.5,{"_placeholder":true,"num":0}]`, 1, true, []any{json.Number("1.5"), a0}, true},
		{`{"k":[],"k":{},"e":{},"t":true,"f":false,"z":null,"b":{"_placeholder":true,"num":0}}`, 1, false,
			map[string]any{"k": map[string]any{}, "e": map[string]any{}, "t": true, "f": false, "z": nil, "b": a0}, true},
		{"[\"\xff\",{\"_placeholder\":true,\"num\":0}]", 1, false, []any{"\ufffd", a0}, true},
		{`{"_placeholder":true,"num":0}`, 0, false, map[string]any{"_placeholder": true, "num": 0.0}, false},
		{`[1,{"a":2}]`, 2, true, []any{json.Number("1"), map[string]any{"a": json.Number("2")}}, false},
	}
	for _, tt := range tests {
		v, binary, err := DecodeValue(raw(tt.data), atts[:tt.n], tt.useNumber)
		if err != nil || binary != tt.binary || !reflect.DeepEqual(v, tt.want) {
			t.Errorf("DecodeValue(%s, %d attachments) = %#v, %v, %v; want %#v, %v",
				tt.data, tt.n, v, binary, err, tt.want, tt.binary)
		}
	}
	if v, _, _ := DecodeValue(raw(`{"_placeholder":true,"num":0}`), atts, false); &v.([]byte)[0] != &a0[0] {
		t.Error("the attachment was copied, not aliased")
	}
	for _, bad := range []struct {
		data      string
		useNumber bool
	}{
		{`[{"_placeholder":true,"num":2}]`, false},
		{`[{"_placeholder":true}]`, true},
		{`[1e400,{"_placeholder":true,"num":0}]`, false},
		{`[1e400]`, false},
		{`[1,`, true},
		{``, true},
		{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), true},
	} {
		if v, _, err := DecodeValue(raw(bad.data), atts, bad.useNumber); !errors.Is(err, ErrInvalid) {
			t.Errorf("DecodeValue(%.40s) = %#v, %v; want an ErrInvalid error", bad.data, v, err)
		}
	}
	if v, _, err := DecodeValue(raw(`[1e400]`), atts, true); err != nil || !reflect.DeepEqual(v, []any{json.Number("1e400")}) {
		t.Errorf("DecodeValue with numbers = %#v, %v", v, err)
	}
}
