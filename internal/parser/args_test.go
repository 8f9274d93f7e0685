package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAppendArgs(t *testing.T) {
	t.Parallel()
	b1, b2, b3 := []byte{1}, []byte("two"), []byte{}
	n := 5
	tests := []struct {
		name string
		args []any
		want string
		atts [][]byte
	}{
		{"none", nil, `[]`, nil},
		{"scalars", []any{"hello", 1, int64(-2), true, 1.5, nil, uint8(3)}, `["hello",1,-2,true,1.5,null,3]`, nil},
		{"html not escaped", []any{"<a href='x'>&</a>"}, `["<a href='x'>&</a>"]`, nil},
		{"escapes", []any{"q\"\\\n\u2028é"}, `["q\"\\\n\u2028é"]`, nil},
		{"raw verbatim", []any{json.RawMessage(` {"a" : 1} `), json.RawMessage(nil)}, `[ {"a" : 1} ,null]`, nil},
		{"bytes", []any{"up", b1, []byte(nil), b3}, `["up",{"_placeholder":true,"num":0},null,{"_placeholder":true,"num":1}]`, [][]byte{b1, b3}},
		{"named bytes", []any{blob(b2), &b1}, `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, [][]byte{b2, b1}},
		{"byte array", []any{[3]byte{1, 2, 3}}, `[[1,2,3]]`, nil},
		{"nested any", []any{[]any{b1, map[string]any{"z": b2, "a": []any{b3}}}}, `[[{"_placeholder":true,"num":0},{"a":[{"_placeholder":true,"num":1}],"z":{"_placeholder":true,"num":2}}]]`, [][]byte{b1, b3, b2}},
		{"map int keys", []any{map[int][]byte{10: b1, 9: b2}}, `[{"10":{"_placeholder":true,"num":0},"9":{"_placeholder":true,"num":1}}]`, [][]byte{b1, b2}},
		{"map text keys", []any{map[textKey]any{{1, 2}: b1}}, `[{"1-2":{"_placeholder":true,"num":0}}]`, [][]byte{b1}},
		{"nil map and slice", []any{map[string]any(nil), []any(nil), (*file)(nil)}, `[null,null,null]`, nil},
		{"struct", []any{file{Name: "f", Data: b1, Skip: b2, Dash: b2, hidden: b2, Count: 3, PCount: &n}}, `[{"name":"f","data":{"_placeholder":true,"num":0},"-":{"_placeholder":true,"num":1},"count":"3","PCount":"5"}]`, [][]byte{b1, b2}},
		{"struct omitempty", []any{&file{Ptr: &b2, Any: b1, Title: "t", Parts: [][]byte{b3, nil}, Meta: map[string]any{"k": b1}, Raw: json.RawMessage(`[1]`)}},
			`[{"name":"","-":null,"ptr":{"_placeholder":true,"num":0},"any":{"_placeholder":true,"num":1},"count":"0","title":"\"t\"","PCount":null,"meta":{"k":{"_placeholder":true,"num":2}},"parts":[{"_placeholder":true,"num":3},null],"raw":[1]}]`,
			[][]byte{b2, b1, b1, b3}},
		{"omitzero", []any{file{Created: time.Unix(0, 0).UTC(), Period: period{1, 1}}}, `[{"name":"","-":null,"count":"0","PCount":null,"created":"1970-01-01T00:00:00Z"}]`, nil},
		{"marshaler not walked", []any{sealed{B: b1}, []any{sealed{B: b2}}}, `[{"sealed":1},[{"sealed":3}]]`, nil},
		{"pointer marshaler when addressable", []any{&struct {
			P ptrSealed
			X any
		}{ptrSealed{b1}, nil}}, `[{"P":"ptr-sealed","X":null}]`, nil},
		{"embedded", []any{outer{Inner: Inner{A: b1, Shade: "s", Deep: Deep{Z: b2}}, inner: &inner{Lower: b3, Number: 4}, Own: b1, Shade: 7}},
			`[{"A":{"_placeholder":true,"num":0},"shade":"s","Z":{"_placeholder":true,"num":1},"Lower":{"_placeholder":true,"num":2},"Number":4,"Own":{"_placeholder":true,"num":3},"Shade":7}]`,
			[][]byte{b1, b2, b3, b1}},
		{"nil embedded pointer", []any{outer{}}, `[{"A":null,"shade":"","Z":null,"Own":null,"Shade":0}]`, nil},
		{"unexported embedded with tag", []any{tagged{inner: inner{Lower: b1, Number: 2}}}, `[{"in":{"Lower":{"_placeholder":true,"num":0},"Number":2},"X":null}]`, [][]byte{b1}},
		{"conflicting embedded names dropped", []any{conflict{Left: Left{Same: b1, OnlyLeft: b2}, Right: Right{Same: b3}}}, `[{"OnlyLeft":{"_placeholder":true,"num":0},"Y":null}]`, [][]byte{b2}},
		{"recursive type", []any{&node{Val: b1, Next: &node{Val: b2}}}, `[{"Val":{"_placeholder":true,"num":0},"Next":{"Val":{"_placeholder":true,"num":1},"Next":null}}]`, [][]byte{b1, b2}},
		{"plain struct", []any{struct {
			A int    `json:"a"`
			B string `json:"b,omitempty"`
		}{A: 1}}, `[{"a":1}]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, atts, err := AppendArgs([]byte("pre"), tt.args)
			if err != nil {
				t.Fatalf("AppendArgs: %v", err)
			}
			if string(out) != "pre"+tt.want {
				t.Errorf("AppendArgs JSON\n got %s\nwant pre%s", out, tt.want)
			}
			if len(atts) != len(tt.atts) {
				t.Fatalf("got %d attachments, want %d", len(atts), len(tt.atts))
			}
			for i := range atts {
				if !bytes.Equal(atts[i], tt.atts[i]) || cap(atts[i]) > 0 && &atts[i][:1][0] != &tt.atts[i][:1][0] {
					t.Errorf("attachment %d = %v, want the argument's slice %v", i, atts[i], tt.atts[i])
				}
			}
		})
	}
}

func TestResolvePlaceholders(t *testing.T) {
	t.Parallel()
	a0, a1 := []byte{0xff, 0x00, 0x10}, []byte("hi")
	tests := []struct {
		name string
		data string
		atts [][]byte
		want string
	}{
		{"no attachments, not scanned", `not json {"_placeholder":true}`, nil, `not json {"_placeholder":true}`},
		{"none", `["a",{"x":1}]`, [][]byte{a0}, `["a",{"x":1}]`},
		{"one", `["up",{"_placeholder":true,"num":0}]`, [][]byte{a0}, `["up","/wAQ"]`},
		{"order and nesting", ` [ {"a":{"_placeholder":true,"num":1}}, [{"_placeholder" : true , "num" : 0 }] ] `, [][]byte{a0, a1}, ` [ {"a":"aGk="}, ["/wAQ"] ] `},
		{"reused", `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`, [][]byte{a1}, `["aGk=","aGk="]`},
		{"empty attachment", `[{"_placeholder":true,"num":0}]`, [][]byte{{}}, `[""]`},
		{"extra members", `[{"num":1,"x":{"_placeholder":true},"_placeholder":true}]`, [][]byte{a0, a1}, `["aGk="]`},
		{"not true", `[{"_placeholder":"true","num":9},{"_placeholder":1},{"_placeholder":false,"num":0}]`, [][]byte{a0}, `[{"_placeholder":"true","num":9},{"_placeholder":1},{"_placeholder":false,"num":0}]`},
		{"last key wins", `[{"_placeholder":true,"_placeholder":false},{"_placeholder":false,"num":5,"_placeholder":true,"num":1}]`, [][]byte{a0, a1}, `[{"_placeholder":true,"_placeholder":false},"aGk="]`},
		{"escaped key", `[{"\u005fplaceholder":true,"n\u0075m":1}]`, [][]byte{a0, a1}, `["aGk="]`},
		{"number forms", `[{"_placeholder":true,"num":1.0},{"_placeholder":true,"num":1e0},{"_placeholder":true,"num":-0}]`, [][]byte{a0, a1}, `["aGk=","aGk=","/wAQ"]`},
		{"top level", `{"_placeholder":true,"num":0}`, [][]byte{a1}, `"aGk="`},
		{"string lookalike", `["{\"_placeholder\":true,\"num\":0}"]`, [][]byte{a1}, `["{\"_placeholder\":true,\"num\":0}"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ResolvePlaceholders(raw(tt.data), tt.atts)
			if err != nil {
				t.Fatalf("ResolvePlaceholders: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("ResolvePlaceholders(%s)\n got %s\nwant %s", tt.data, got, tt.want)
			}
		})
	}
}

func TestResolvePlaceholdersDecodes(t *testing.T) {
	t.Parallel()
	in := []byte{0, 1, 2, 250, 251, 252}
	data, atts, err := AppendArgs(nil, []any{"e", map[string]any{"file": in}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ResolvePlaceholders(data, atts)
	if err != nil {
		t.Fatal(err)
	}
	var out []struct {
		File []byte `json:"file"`
	}
	if err := json.Unmarshal(res[:0:0], &out); err == nil {
		t.Fatal("expected an error for empty input")
	}
	var args []json.RawMessage
	if err := json.Unmarshal(res, &args); err != nil {
		t.Fatal(err)
	}
	var v struct {
		File []byte `json:"file"`
	}
	if err := json.Unmarshal(args[1], &v); err != nil || !bytes.Equal(v.File, in) {
		t.Errorf("decoded %v, %v; want %v", v.File, err, in)
	}
}

func TestResolvePlaceholdersInvalid(t *testing.T) {
	t.Parallel()
	atts := [][]byte{{1}, {2}}
	tests := []struct {
		name, data, want string
	}{
		{"out of range", `[{"_placeholder":true,"num":2}]`, "placeholder num 2 out of range (2 attachments)"},
		{"negative", `[{"_placeholder":true,"num":-1}]`, "placeholder without a valid num"},
		{"fraction", `[{"_placeholder":true,"num":0.5}]`, "placeholder without a valid num"},
		{"string num", `[{"_placeholder":true,"num":"1"}]`, "placeholder without a valid num"},
		{"missing num", `[{"_placeholder":true}]`, "placeholder without a valid num"},
		{"null num", `[{"_placeholder":true,"num":null}]`, "placeholder without a valid num"},
		{"huge num", `[{"_placeholder":true,"num":1e300}]`, "placeholder without a valid num"},
		{"invalid JSON", `[{"_placeholder":true,"num":0}`, "invalid JSON"},
		{"trailing", `[] x`, "data after the JSON value"},
		{"empty", ``, "unexpected end of data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ResolvePlaceholders(raw(tt.data), atts)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ResolvePlaceholders(%s) = %s, %v; want an ErrInvalid error containing %q", tt.data, got, err, tt.want)
			}
		})
	}
}

func TestSplitArray(t *testing.T) {
	t.Parallel()
	tests := []struct {
		data string
		want []string
	}{
		{`[]`, nil},
		{` [ ] `, nil},
		{`["a"]`, []string{`"a"`}},
		{"[ \"a\" ,\n1.5e3, {\"k\": [1, 2]} ,[],null,true, false ,\"]\"]", []string{`"a"`, `1.5e3`, `{"k": [1, 2]}`, `[]`, `null`, `true`, `false`, `"]"`}},
	}
	for _, tt := range tests {
		got, err := SplitArray(raw(tt.data))
		if err != nil {
			t.Errorf("SplitArray(%s): %v", tt.data, err)
			continue
		}
		var gs []string
		for _, e := range got {
			gs = append(gs, string(e))
		}
		if !reflect.DeepEqual(gs, tt.want) {
			t.Errorf("SplitArray(%s) = %q, want %q", tt.data, gs, tt.want)
		}
	}
	for _, bad := range []string{``, ` `, `{}`, `"a"`, `1`, `[`, `[1,]`, `[1 2]`, `[1]]`, `[1] [2]`, `[{]`, `null`} {
		if got, err := SplitArray(raw(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("SplitArray(%q) = %q, %v; want an ErrInvalid error", bad, got, err)
		}
	}
}

func TestSplitArrayAliases(t *testing.T) {
	t.Parallel()
	data := raw(`["a",{"b":1}]`)
	got, err := SplitArray(data)
	if err != nil {
		t.Fatal(err)
	}
	if &got[0][0] != &data[1] || &got[1][0] != &data[5] {
		t.Error("elements do not alias data")
	}
}

// BenchmarkAppendArgsRaw appends arguments that are already JSON: no
// allocation beyond the reused output buffer.
func BenchmarkAppendArgsRaw(b *testing.B) {
	args := []any{"chat:message", json.RawMessage(`{"user":"bob","text":"hello world","ts":1700000000}`), json.RawMessage(`[1,2,3]`)}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, _, err = AppendArgs(out[:0], args); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(out)))
}

type benchMessage struct {
	User string   `json:"user"`
	Text string   `json:"text"`
	TS   int64    `json:"ts"`
	Tags []string `json:"tags,omitempty"`
}

// BenchmarkAppendArgsStruct appends a plain struct, marshaled by
// encoding/json without a reflection walk.
func BenchmarkAppendArgsStruct(b *testing.B) {
	args := []any{"chat:message", &benchMessage{User: "bob", Text: "hello world", TS: 1700000000, Tags: []string{"a", "b"}}}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, _, err = AppendArgs(out[:0], args); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(out)))
}

type benchUpload struct {
	Name string `json:"name"`
	Size int    `json:"size"`
	Data []byte `json:"data"`
}

// BenchmarkAppendArgsWalk appends a struct holding a byte slice, walked by
// reflection.
func BenchmarkAppendArgsWalk(b *testing.B) {
	args := []any{"upload", &benchUpload{Name: "a.bin", Size: 1024, Data: make([]byte, 1024)}}
	var out []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, _, err = AppendArgs(out[:0], args); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(out)))
}

func BenchmarkResolvePlaceholders(b *testing.B) {
	data := raw(`["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]`)
	atts := [][]byte{make([]byte, 1024)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ResolvePlaceholders(data, atts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitArray(b *testing.B) {
	data := raw(`["chat:message",{"user":"bob","text":"hello world","ts":1700000000},[1,2,3]]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SplitArray(data); err != nil {
			b.Fatal(err)
		}
	}
}
