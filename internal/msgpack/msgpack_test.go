package msgpack

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestAppendNumbers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"fixint", AppendInt(nil, 127), "7f"},
		{"uint8", AppendInt(nil, 128), "cc80"},
		{"uint16", AppendInt(nil, 300), "cd012c"},
		{"uint32", AppendInt(nil, 1<<16), "ce00010000"},
		{"uint64", AppendInt(nil, 1<<32), "cf0000000100000000"},
		{"negative fixint", AppendInt(nil, -32), "e0"},
		{"int8", AppendInt(nil, -33), "d0df"},
		{"int16", AppendInt(nil, -129), "d1ff7f"},
		{"int32", AppendInt(nil, -32769), "d2ffff7fff"},
		{"int64", AppendInt(nil, math.MinInt64), "d38000000000000000"},
		{"max uint64", AppendUint(nil, math.MaxUint64), "cfffffffffffffffff"},
		{"integral float", AppendFloat(nil, 2), "02"},
		{"negative zero", AppendFloat(nil, math.Copysign(0, -1)), "00"},
		{"fraction", AppendFloat(nil, 3.5), "cb400c000000000000"},
		{"negative integral float", AppendFloat(nil, -7), "f9"},
		{"NaN", AppendFloat(nil, math.NaN())[:1], "cb"},
		{"infinity", AppendFloat(nil, math.Inf(1)), "cb7ff0000000000000"},
		{"beyond 64 bits", AppendFloat(nil, 1e20), "cb4415af1d78b58c40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAppendHeadersAndStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"fixstr", AppendString(nil, "ab"), "a26162"},
		{"str8", AppendString(nil, strings.Repeat("a", 32))[:2], "d920"},
		{"str16", AppendString(nil, strings.Repeat("a", 256))[:3], "da0100"},
		{"str32", AppendString(nil, strings.Repeat("a", 1<<16))[:5], "db00010000"},
		{"bin8", AppendBin(nil, []byte{1}), "c40101"},
		{"bin16", AppendBin(nil, make([]byte, 256))[:3], "c50100"},
		{"bin32", AppendBin(nil, make([]byte, 1<<16))[:5], "c600010000"},
		{"fixarray", AppendArrayHeader(nil, 15), "9f"},
		{"array16", AppendArrayHeader(nil, 16), "dc0010"},
		{"array32", AppendArrayHeader(nil, 1<<16), "dd00010000"},
		{"fixmap", AppendMapHeader(nil, 1), "81"},
		{"map16", AppendMapHeader(nil, 16), "de0010"},
		{"nil and bools", AppendBool(AppendBool(AppendNil(nil), true), false), "c0c3c2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := hex.EncodeToString(tt.got); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAppendJSON(t *testing.T) {
	t.Parallel()
	att := [][]byte{{1, 2, 3}, {9}}
	tests := []struct {
		name, json, want string
	}{
		// The data of a broadcast that Node published (adapter/redis/testdata/node-messages.txt).
		{"node event", `["hello",1,"two",{"three":3.5,"n":null,"neg":-7,"big":300,"bin":{"_placeholder":true,"num":0}}]`,
			"94a568656c6c6f01a374776f85a57468726565cb400c000000000000a16ec0a36e6567f9a3626967cd012ca3626 96ec403010203"},
		{"whitespace", " [ 1 , { \"a\" : true } ] ", "9201 81a161c3"},
		{"integral forms", `[1.0,1e2,-0,1E0,2.5e1]`, "95 01 64 00 01 19"},
		{"big integers", `[18446744073709551615,-9223372036854775808]`, "92 cfffffffffffffffff d38000000000000000"},
		{"escapes", `"a\"\\\n\u00e9\ud83d\ude00"`, "aa 61225c0ac3a9f09f9880"},
		{"placeholder members in any order", `{"num":1,"_placeholder":true}`, "c40109"},
		{"not a placeholder", `{"_placeholder":false,"num":0}`, "82ac5f706c616365686f6c646572c2a36e756d00"},
		{"empty containers", `[[],{}]`, "92 90 80"},
		{"map16", `{"a":0,"b":0,"c":0,"d":0,"e":0,"f":0,"g":0,"h":0,"i":0,"j":0,"k":0,"l":0,"m":0,"n":0,"o":0,"p":0}`,
			"de0010 a16100a16200a16300a16400a16500a16600a16700a16800a16900a16a00a16b00a16c00a16d00a16e00a16f00a17000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := AppendJSON([]byte{0xff}, []byte(tt.json), att)
			if err != nil {
				t.Fatalf("AppendJSON: %v", err)
			}
			if want := unhex(t, "ff"+tt.want); !bytes.Equal(got, want) {
				t.Errorf("got %x\nwant %x", got, want)
			}
		})
	}
}

func TestAppendJSONErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		``, `[`, `[1,]`, `{"a"}`, `{"a":1,}`, `tru`, `"abc`, "\"a\x01\"", `1.`, `-`, `1e`,
		`[1] 2`, `{"_placeholder":true,"num":2}`, `{"_placeholder":true}`, `{1:2}`, `"\x"`,
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			out, err := AppendJSON([]byte{7}, []byte(in), [][]byte{{1}})
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("AppendJSON(%q) = %x, %v; want ErrInvalid", in, out, err)
			}
			if !bytes.Equal(out, []byte{7}) {
				t.Errorf("dst changed on error: %x", out)
			}
		})
	}
}

func TestToJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		form           BinaryForm
		atts           int
	}{
		{"node broadcast", "93a64d635672784883a47479706502a46461746192a17292c3c2a36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677380",
			`["McVrxH",{"type":2,"data":["r",[true,false]],"nsp":"/"},{"rooms":["room1"],"except":[],"flags":{}}]`, Placeholders, 0},
		{"bin as placeholders", "92c40102c400", `[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, Placeholders, 2},
		{"bin as Node buffers", "92c40102c400", `[{"type":"Buffer","data":[2]},{"type":"Buffer","data":[]}]`, NodeBuffers, 0},
		{"undefined", "93c0d40000 82a161d40000a162c0", `[null,null,{"b":null}]`, Placeholders, 0},
		{"only undefined member", "81a161d40000", `{}`, Placeholders, 0},
		{"numbers", "99 7f ff cc80 cd012c ce00010000 cfffffffffffffffff d080 d38000000000000000 cb3ff8000000000000",
			`[127,-1,128,300,65536,18446744073709551615,-128,-9223372036854775808,1.5]`, Placeholders, 0},
		{"float32", "ca3dcccccd", `0.10000000149011612`, Placeholders, 0},
		{"special floats", "94 cb7ff8000000000000 cb7ff0000000000000 cb8000000000000000 cb3eb0c6f7a0b5ed8d", `[null,null,0,0.000001]`, Placeholders, 0},
		{"exponent forms", "92 cb3e7ad7f29abcaf48 cb444b1ae4d6e2ef50", `[1e-7,1e+21]`, Placeholders, 0},
		{"key forms", "84 01c0 ffc0 c0c0 c3c0", `{"1":null,"-1":null,"null":null,"true":null}`, Placeholders, 0},
		{"escapes", "a8 22 5c 0a 08 0c 01 e2 80", "\"\\\"\\\\\\n\\b\\f\\u0001\uFFFD\"", Placeholders, 0},
		{"timestamp32", "d6ff00000001", `"1970-01-01T00:00:01.000Z"`, Placeholders, 0},
		{"timestamp64", "d7ff003d090000000002", `"1970-01-01T00:00:02.001Z"`, Placeholders, 0},
		{"timestamp96", "c70cff 00000000 0000000000000003", `"1970-01-01T00:00:03.000Z"`, Placeholders, 0},
		{"legacy date", "d7000000000000000005", `"1970-01-01T00:00:00.005Z"`, Placeholders, 0},
		{"legacy ArrayBuffer", "c70200abcd", `{"_placeholder":true,"num":0}`, Placeholders, 1},
		{"other extension", "d50501 02", `[5,{"type":"Buffer","data":[1,2]}]`, NodeBuffers, 0},
		{"str16", "da0003616263", `"abc"`, Placeholders, 0},
		{"array16 and map16", "dc0001 de0001a16101", `[{"a":1}]`, Placeholders, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, att, err := ToJSON([]byte("x"), unhex(t, tt.in), tt.form)
			if err != nil {
				t.Fatalf("ToJSON: %v", err)
			}
			if string(got) != "x"+tt.want {
				t.Errorf("got  %s\nwant x%s", got, tt.want)
			}
			if len(att) != tt.atts {
				t.Errorf("got %d attachments, want %d", len(att), tt.atts)
			}
		})
	}
}

func TestToJSONErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"", "c1", "92 01", "a3 6161", "c4 05 01", "dd ffffffff 01", "df ffffffff", "81 90 01",
		"81 c40100 01", "cb 0000", "01 02", "d6", "c7 05 01 00", "db ffffffff",
		strings.Repeat("91", MaxDepth+1) + "c0",
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			out, att, err := ToJSON([]byte("x"), unhex(t, in), Placeholders)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ToJSON(%s) = %q, %v; want ErrInvalid", in, out, err)
			}
			if string(out) != "x" || att != nil {
				t.Errorf("output on error: %q, %v", out, att)
			}
		})
	}
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":  `"plain"`,
		"a\"b":   `"a\"b"`,
		"é\x00":  `"é\u0000"`,
		"\xff":   `"` + "\uFFFD" + `"`,
		"":       `""`,
		"tab\tx": `"tab\tx"`,
	} {
		if got := string(AppendJSONString(nil, in)); got != want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", in, got, want)
		}
	}
}
