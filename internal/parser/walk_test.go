package parser

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Types exercising the encoding/json rules AppendArgs follows when it walks
// a value.

type file struct {
	Name    string `json:"name"`
	Data    []byte `json:"data,omitempty"`
	Skip    []byte `json:"-"`
	Dash    []byte `json:"-,"`
	hidden  []byte
	Ptr     *[]byte         `json:"ptr,omitempty"`
	Any     any             `json:"any,omitempty"`
	Count   int             `json:"count,string"`
	Title   string          `json:"title,string,omitempty"`
	PCount  *int            `json:",string"`
	Meta    map[string]any  `json:"meta,omitempty"`
	Parts   [][]byte        `json:"parts,omitempty"`
	Raw     json.RawMessage `json:"raw,omitempty"`
	Created time.Time       `json:"created,omitzero"`
	Period  period          `json:"period,omitzero"`
}

// period has an IsZero method with a pointer receiver for omitzero.
type period struct{ From, To int }

func (p *period) IsZero() bool { return p.From == p.To }

// blob is a named byte slice: still an attachment.
type blob []byte

// sealed marshals itself, so its bytes are not attachments.
type sealed struct{ B []byte }

func (s sealed) MarshalJSON() ([]byte, error) {
	return []byte(`{"sealed":` + strconv.Itoa(len(s.B)) + `}`), nil
}

// ptrSealed marshals itself through a pointer receiver, used only when
// addressable.
type ptrSealed struct{ B []byte }

func (s *ptrSealed) MarshalJSON() ([]byte, error) { return []byte(`"ptr-sealed"`), nil }

// textKey is a map key marshaled by MarshalText.
type textKey struct{ a, b int }

func (k textKey) MarshalText() ([]byte, error) {
	return []byte(strconv.Itoa(k.a) + "-" + strconv.Itoa(k.b)), nil
}

type Inner struct {
	A     []byte
	Shade string `json:"shade"`
	Deep
}

type Deep struct {
	Shade string
	Z     []byte
}

type inner struct {
	Lower  []byte
	Number int
}

type outer struct {
	Inner
	*inner
	Own   []byte
	Shade int // hides Inner.Shade? no: Inner.Shade is tagged but deeper
}

type tagged struct {
	inner `json:"in"`
	X     any
}

type conflict struct {
	Left
	Right
	Y any
}

type Left struct{ Same, OnlyLeft []byte }
type Right struct{ Same []byte }

type node struct {
	Val  []byte
	Next *node
}

type cyclic struct {
	Self any
	B    []byte
}

func TestAppendArgsErrors(t *testing.T) {
	t.Parallel()
	loop := &cyclic{}
	loop.Self = loop
	tests := []struct {
		name string
		arg  any
		want string
	}{
		{"channel", make(chan int), "unsupported type"},
		{"func in any", []any{func() {}}, "unsupported type"},
		{"NaN", math.NaN(), "unsupported value"},
		{"NaN walked", []any{b(), math.Inf(1)}, "unsupported value"},
		{"cycle", loop, "nested too deeply"},
		{"any cycle", anyLoop(), "nested too deeply"},
		{"bad map key", map[[2]int]any{{1, 2}: 1}, "unsupported type"},
		{"nil bad map", map[[2]int]any(nil), "unsupported type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dst := []byte("keep")
			out, atts, err := AppendArgs(dst, []any{"ok", tt.arg})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "parser: argument 1") {
				t.Fatalf("AppendArgs error = %v, want one about argument 1 containing %q", err, tt.want)
			}
			if string(out) != "keep" || atts != nil {
				t.Errorf("AppendArgs on error = %q, %v; want dst unchanged and no attachments", out, atts)
			}
		})
	}
}

func b() []byte { return []byte{9} }

func anyLoop() any {
	a := []any{nil}
	a[0] = map[string]any{"a": a}
	return a
}

// TestAppendArgsMatchesEncodingJSON checks that, once the placeholders are
// resolved, AppendArgs writes what encoding/json writes (without HTML
// escaping) for the same values.
func TestAppendArgsMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	n := 7
	f := 2.5
	values := []any{
		file{Name: "x", Data: []byte("data"), Any: []any{[]byte{1, 2}, map[string]any{"k": []byte("v")}}, PCount: &n, Title: "a\"b<"},
		&file{Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Period: period{1, 2}, Parts: [][]byte{{1}, {}}},
		outer{Inner: Inner{A: []byte{7}}, inner: &inner{Lower: []byte{8}}},
		tagged{inner: inner{Number: 3, Lower: []byte("x")}, X: []byte("y")},
		conflict{Left: Left{OnlyLeft: []byte{1}}},
		&node{Val: []byte{1}, Next: &node{}},
		map[string]any{"b": []byte{1}, "a": &f, "c": []any{nil, true, "s", 1.25e300}},
		map[textKey][]byte{{1, 2}: {3}, {0, 9}: nil},
		[]blob{{1}, nil},
		[]any{json.RawMessage(" [1, 2] "), map[string]any{"r": json.RawMessage(`{ "a" : [] }`), "b": []byte{}}},
		struct {
			Q  *float64 `json:"q,string"`
			S  string   `json:",string"`
			B  bool     `json:"b,string"`
			U  uint16   `json:"u,string"`
			F  float32  `json:"f,string"`
			Bs []byte   `json:"bs,string"`
			X  any      `json:"x,string"`
		}{Q: &f, S: "s\"", B: true, U: 8, F: 0.1, Bs: []byte{1}, X: "str"},
		struct {
			M  map[int8]any
			A  [2]any
			E  struct{}
			P  **[]byte
			I  interface{ IsZero() bool } `json:",omitzero"`
			T  time.Time                  `json:",omitempty"`
			Rw json.RawMessage
		}{M: map[int8]any{-1: []byte{1}, 2: nil}, A: [2]any{[]byte{2}, 3}, Rw: json.RawMessage(`{"r":1}`)},
	}
	for i, v := range values {
		out, atts, err := AppendArgs(nil, []any{v})
		if err != nil {
			t.Errorf("value %d: AppendArgs: %v", i, err)
			continue
		}
		got, err := ResolvePlaceholders(out, atts)
		if err != nil {
			t.Errorf("value %d: ResolvePlaceholders(%s): %v", i, out, err)
			continue
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode([]any{v}); err != nil {
			t.Fatal(err)
		}
		if string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("value %d (%T):\nAppendArgs    %s\nencoding/json %s", i, v, got, want.String())
		}
	}
}
