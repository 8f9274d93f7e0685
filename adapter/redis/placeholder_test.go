package redisadapter

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/internal/msgpack"
	"github.com/envivo/socketio/internal/parser"
	"github.com/envivo/socketio/socket"
)

// placeholderPaths are every way an attachment placeholder is read in the
// module. Each returns the value of the JSON value js with attachments
// atts, normalized, or an error when it refuses the placeholders.
var placeholderPaths = []struct {
	name string
	read func(js string, atts [][]byte) (any, error)
}{
	{"parser.Decoder", func(js string, atts [][]byte) (any, error) {
		var d parser.Decoder
		text := `2["e",` + js + `]`
		if len(atts) > 0 {
			text = fmt.Sprintf(`5%d-["e",%s]`, len(atts), js)
		}
		p, err := d.DecodeText([]byte(text))
		for i := 0; err == nil && i < len(atts); i++ {
			p, err = d.DecodeBinary(atts[i])
		}
		if err != nil {
			return nil, err
		}
		args, err := adapter.NewArgs(p.Data, p.Attachments)
		if err != nil {
			return nil, err
		}
		return decodeArg(args)
	}},
	{"socket.Args.Decode", func(js string, atts [][]byte) (any, error) {
		args, err := adapter.NewArgs(json.RawMessage(`["e",`+js+`]`), atts)
		if err != nil {
			return nil, err
		}
		return decodeArg(args)
	}},
	{"socket.Args.Value", func(js string, atts [][]byte) (any, error) {
		args, err := adapter.NewArgs(json.RawMessage(`["e",`+js+`]`), atts)
		if err != nil {
			return nil, err
		}
		return normalize(args.Value(1))
	}},
	{"parser.DecodeValue", func(js string, atts [][]byte) (any, error) {
		v, _, err := parser.DecodeValue(json.RawMessage(js), atts, false)
		if err != nil {
			return nil, err
		}
		return normalize(v)
	}},
	{"msgpack.AppendJSON", func(js string, atts [][]byte) (any, error) {
		mp, err := msgpack.AppendJSON(nil, []byte(js), atts)
		if err != nil {
			return nil, err
		}
		out, bins, err := msgpack.ToJSON(nil, mp, msgpack.Placeholders)
		if err != nil {
			return nil, err
		}
		v, _, err := parser.DecodeValue(out, bins, false)
		if err != nil {
			return nil, err
		}
		return normalize(v)
	}},
	{"decodeSockets", func(js string, atts [][]byte) (any, error) {
		raw := `[{"id":"s1","rooms":[],"data":{"v":` + js + `}}]`
		sockets, err := decodeSockets(json.RawMessage(raw), atts, nil)
		if err != nil {
			return nil, err
		}
		return normalize(sockets[0].Data["v"])
	}},
}

func decodeArg(args socket.Args) (any, error) {
	var v any
	if err := args.Decode(1, &v); err != nil {
		return nil, err
	}
	return normalize(v)
}

// normalize returns v as encoding/json decodes it into an any, binary data
// as its base64 string, so that reflect.DeepEqual compares what the paths
// read: raw JSON is decoded, []byte becomes base64 and json.Number float64.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case json.RawMessage:
		var w any
		err := json.Unmarshal(x, &w)
		return w, err
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case json.Number:
		return strconv.ParseFloat(string(x), 64)
	case map[string]any:
		for k, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	}
	return v, nil
}

// TestPlaceholderRuleEverywhere checks that every path that reads
// attachment placeholders follows the same rule, Node's: the same JSON
// gives the same value, or the same refusal, through each.
func TestPlaceholderRuleEverywhere(t *testing.T) {
	t.Parallel()
	const bin0, bin1 = `"AAE="`, `"oA=="` // base64 of the attachments below
	atts := [][]byte{{0x00, 0x01}, {0xa0}}
	tests := []struct {
		name string
		js   string
		n    int    // attachments given
		want string // the value read, binary data as base64; "" for a refusal
	}{
		{"plain", `{"_placeholder":true,"num":0}`, 1, bin0},
		{"other members ignored", `{"_placeholder":true,"num":0,"x":1}`, 1, bin0},
		{"members in any order", `{"num":1,"x":[],"_placeholder":true}`, 2, bin1},
		{"integral float num", `{"_placeholder":true,"num":1.0}`, 2, bin1},
		{"exponent num", `{"_placeholder":true,"num":1e0}`, 2, bin1},
		{"negative zero num", `{"_placeholder":true,"num":-0}`, 1, bin0},
		{"escaped key", `{"\u005fplaceholder":true,"n\u0075m":0}`, 1, bin0},
		{"nested", `[{"a":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]`, 2,
			`[{"a":` + bin1 + `},` + bin0 + `]`},
		{"inner placeholder is part of the outer", `{"_placeholder":true,"num":0,"y":{"_placeholder":true}}`, 1, bin0},
		{"last duplicate wins: not a placeholder", `{"_placeholder":true,"_placeholder":false,"num":0}`, 1,
			`{"_placeholder":false,"num":0}`},
		{"last duplicate wins: num", `{"_placeholder":true,"num":5,"num":1}`, 2, bin1},
		{"false flag", `{"_placeholder":false,"num":0}`, 1, `{"_placeholder":false,"num":0}`},
		{"string flag", `{"_placeholder":"true","num":0}`, 1, `{"_placeholder":"true","num":0}`},
		{"number flag", `{"_placeholder":1,"num":0}`, 1, `{"_placeholder":1,"num":0}`},
		{"no attachments: plain data", `{"_placeholder":true,"num":0}`, 0, `{"_placeholder":true,"num":0}`},
		{"no num", `{"_placeholder":true}`, 1, ""},
		{"string num", `{"_placeholder":true,"num":"0"}`, 1, ""},
		{"null num", `{"_placeholder":true,"num":null}`, 1, ""},
		{"fractional num", `{"_placeholder":true,"num":0.5}`, 1, ""},
		{"negative num", `{"_placeholder":true,"num":-1}`, 1, ""},
		{"num out of range", `{"_placeholder":true,"num":1}`, 1, ""},
		{"huge num", `{"_placeholder":true,"num":1e400}`, 1, ""},
		{"bad placeholder deep inside", `[1,{"a":[{"_placeholder":true,"num":2}]}]`, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var want any
			if tt.want != "" {
				if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range placeholderPaths {
				got, err := p.read(tt.js, atts[:tt.n])
				switch {
				case tt.want == "" && err == nil:
					t.Errorf("%s accepted %s with %d attachment(s): %#v", p.name, tt.js, tt.n, got)
				case tt.want != "" && err != nil:
					t.Errorf("%s refused %s with %d attachment(s): %v", p.name, tt.js, tt.n, err)
				case tt.want != "" && !reflect.DeepEqual(got, want):
					t.Errorf("%s read %s with %d attachment(s) as %#v, want %s", p.name, tt.js, tt.n, got, tt.want)
				}
			}
		})
	}
}

// FuzzPlaceholderPaths feeds the same JSON and attachments to every path
// of placeholderPaths: they must accept the same documents and read the
// same values. Documents that some path refuses or reads differently for
// another reason than placeholders (not JSON, nested deeper than
// MessagePack allows, a number beyond float64, invalid UTF-8) are left out.
func FuzzPlaceholderPaths(f *testing.F) {
	for _, s := range []string{
		`{"_placeholder":true,"num":0,"x":1}`, `[{"a":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]`,
		`{"_placeholder":true,"num":0,"y":{"_placeholder":true}}`, `{"_placeholder":true,"_placeholder":false,"num":0}`,
		`{"\u005fplaceholder":true,"num":1e0}`, `{"_placeholder":true,"num":0.5}`, `[1,"a",null,{"b":[]}]`,
	} {
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, js string, n uint8) {
		if !json.Valid([]byte(js)) || len(js) > msgpackMaxDepth || !utf8.ValidString(js) {
			return // invalid UTF-8: MessagePack keeps the bytes, encoding/json replaces them
		}
		if _, _, err := parser.DecodeValue(json.RawMessage(js), nil, false); err != nil {
			return // a number beyond float64
		}
		atts := make([][]byte, n%4)
		for i := range atts {
			atts[i] = []byte{byte(i), 0xff}
		}
		first, firstErr := placeholderPaths[0].read(js, atts)
		for _, p := range placeholderPaths[1:] {
			got, err := p.read(js, atts)
			if (err == nil) != (firstErr == nil) {
				t.Fatalf("%s with %d attachment(s): %s says %v, %s says %v",
					js, len(atts), placeholderPaths[0].name, firstErr, p.name, err)
			}
			if err == nil && !reflect.DeepEqual(got, first) {
				t.Fatalf("%s with %d attachment(s): %s reads %#v, %s reads %#v",
					js, len(atts), placeholderPaths[0].name, first, p.name, got)
			}
		}
	})
}

// msgpackMaxDepth bounds the inputs of FuzzPlaceholderPaths, so that none
// nests deeper than MessagePack transcoding allows.
const msgpackMaxDepth = msgpack.MaxDepth
