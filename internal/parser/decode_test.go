package parser

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeAll feeds text and then each attachment to a fresh Decoder and
// returns the packet that comes out.
func decodeAll(t *testing.T, text string, atts ...[]byte) (*Packet, error) {
	t.Helper()
	var d Decoder
	p, err := d.DecodeText([]byte(text))
	if err != nil || p != nil {
		return p, err
	}
	for i, a := range atts {
		p, err := d.DecodeBinary(a)
		if err != nil {
			return nil, err
		}
		if p != nil {
			if i != len(atts)-1 {
				t.Fatalf("packet complete after %d of %d attachments", i+1, len(atts))
			}
			return p, nil
		}
	}
	t.Fatalf("packet %q still waits after %d attachments", text, len(atts))
	return nil, nil
}

func samePacket(a, b *Packet) bool {
	return a.Type == b.Type && a.Namespace == b.Namespace && a.ID == b.ID &&
		bytes.Equal(a.Data, b.Data) && (a.Data == nil) == (b.Data == nil) &&
		reflect.DeepEqual(a.Attachments, b.Attachments)
}

func TestDecodeValid(t *testing.T) {
	t.Parallel()
	a0, a1 := []byte{0xde, 0xad}, []byte("second")
	tests := []struct {
		in   string
		atts [][]byte
		want Packet
	}{
		{`0`, nil, Packet{Type: Connect, Namespace: "/", ID: NoID}},
		{`0{"token":"123"}`, nil, Packet{Type: Connect, Namespace: "/", ID: NoID, Data: raw(`{"token":"123"}`)}},
		{`0/custom`, nil, Packet{Type: Connect, Namespace: "/custom", ID: NoID}},
		{`0/custom,`, nil, Packet{Type: Connect, Namespace: "/custom", ID: NoID}},
		{`0/custom,{"a":1}`, nil, Packet{Type: Connect, Namespace: "/custom", ID: NoID, Data: raw(`{"a":1}`)}},
		{`0/a b,{}`, nil, Packet{Type: Connect, Namespace: "/a b", ID: NoID, Data: raw(`{}`)}},
		{`0/`, nil, Packet{Type: Connect, Namespace: "/", ID: NoID}},
		{`01`, nil, Packet{Type: Connect, Namespace: "/", ID: 1}},
		{`1`, nil, Packet{Type: Disconnect, Namespace: "/", ID: NoID}},
		{`1/chat,`, nil, Packet{Type: Disconnect, Namespace: "/chat", ID: NoID}},
		{`1/chat`, nil, Packet{Type: Disconnect, Namespace: "/chat", ID: NoID}},
		{`2["hello",1]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["hello",1]`)}},
		{`212["a"]`, nil, Packet{Type: Event, Namespace: "/", ID: 12, Data: raw(`["a"]`)}},
		{`20["a"]`, nil, Packet{Type: Event, Namespace: "/", ID: 0, Data: raw(`["a"]`)}},
		{`2007["a"]`, nil, Packet{Type: Event, Namespace: "/", ID: 7, Data: raw(`["a"]`)}},
		{`2/admin,13["a"]`, nil, Packet{Type: Event, Namespace: "/admin", ID: 13, Data: raw(`["a"]`)}},
		{`2/v1,5["a"]`, nil, Packet{Type: Event, Namespace: "/v1", ID: 5, Data: raw(`["a"]`)}},
		{`2/,["a"]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["a"]`)}},
		{`29223372036854775807["a"]`, nil, Packet{Type: Event, Namespace: "/", ID: 9223372036854775807, Data: raw(`["a"]`)}},
		{`2[1]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`[1]`)}},
		{`2[-1.5e3,"x"]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`[-1.5e3,"x"]`)}},
		{"2 [ \"a\" ] \n", nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(" [ \"a\" ] \n")}},
		{`2["Connect"]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["Connect"]`)}},
		{`2["connect_"]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["connect_"]`)}},
		{`2["a\"b",{"k":[null,true,false]}]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["a\"b",{"k":[null,true,false]}]`)}},
		{`2["a",{"_placeholder":true,"num":0}]`, nil, Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["a",{"_placeholder":true,"num":0}]`)}},
		{`3/chat,7[]`, nil, Packet{Type: Ack, Namespace: "/chat", ID: 7, Data: raw(`[]`)}},
		{`3[]`, nil, Packet{Type: Ack, Namespace: "/", ID: NoID, Data: raw(`[]`)}},
		{`31[1,{"a":"b"}]`, nil, Packet{Type: Ack, Namespace: "/", ID: 1, Data: raw(`[1,{"a":"b"}]`)}},
		{`4{"message":"Invalid namespace"}`, nil, Packet{Type: ConnectError, Namespace: "/", ID: NoID, Data: raw(`{"message":"Invalid namespace"}`)}},
		{`4/admin,{"message":"x","data":{"a":1}}`, nil, Packet{Type: ConnectError, Namespace: "/admin", ID: NoID, Data: raw(`{"message":"x","data":{"a":1}}`)}},
		{`4"Not authorized"`, nil, Packet{Type: ConnectError, Namespace: "/", ID: NoID, Data: raw(`"Not authorized"`)}},
		{`51-["up",{"_placeholder":true,"num":0}]`, [][]byte{a0}, Packet{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: raw(`["up",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{a0}}},
		{`52-/a,5["x",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]`, [][]byte{a0, a1}, Packet{Type: BinaryEvent, Namespace: "/a", ID: 5, Data: raw(`["x",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}]]`), Attachments: [][]byte{a0, a1}}},
		{`51-["x",{"_placeholder":true,"num":0,"extra":[1]}]`, [][]byte{a0}, Packet{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: raw(`["x",{"_placeholder":true,"num":0,"extra":[1]}]`), Attachments: [][]byte{a0}}},
		{`52-["x",{"num":1.0e0,"_placeholder":true},{"_placeholder":false,"num":9}]`, [][]byte{a0, a1}, Packet{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: raw(`["x",{"num":1.0e0,"_placeholder":true},{"_placeholder":false,"num":9}]`), Attachments: [][]byte{a0, a1}}},
		{`501-["x",{"_placeholder":true,"num":0}]`, [][]byte{a0}, Packet{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: raw(`["x",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{a0}}},
		{`61-3[{"_placeholder":true,"num":0}]`, [][]byte{a0}, Packet{Type: BinaryAck, Namespace: "/", ID: 3, Data: raw(`[{"_placeholder":true,"num":0}]`), Attachments: [][]byte{a0}}},
		{`62-/a,[{"\u005fplaceholder":true,"num":1},{"_placeholder":true,"num":0}]`, [][]byte{a0, a1}, Packet{Type: BinaryAck, Namespace: "/a", ID: NoID, Data: raw(`[{"\u005fplaceholder":true,"num":1},{"_placeholder":true,"num":0}]`), Attachments: [][]byte{a0, a1}}},
		{`510-["x"]`, make([][]byte, 10), Packet{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: raw(`["x"]`), Attachments: make([][]byte, 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := decodeAll(t, tt.in, tt.atts...)
			if err != nil {
				t.Fatalf("decode %q: %v", tt.in, err)
			}
			if !samePacket(got, &tt.want) {
				t.Errorf("decode %q\n got %+v\nwant %+v", tt.in, *got, tt.want)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	t.Parallel()
	deep := "2[\"a\"," + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "]"
	tests := []struct {
		in      string
		wantErr string
	}{
		{``, "empty packet"},
		{`7`, "unknown type '7'"},
		{`9["a"]`, "unknown type '9'"},
		{`a`, "unknown type 'a'"},
		{` 2["a"]`, "unknown type ' '"},
		{`-1`, "unknown type '-'"},
		{"\x00", `unknown type '\x00'`},
		// attachment count
		{`5["a"]`, "missing attachment count"},
		{`5-["a"]`, "missing attachment count"},
		{`51["a"]`, "not followed by '-'"},
		{`51`, "not followed by '-'"},
		{`5a-["a"]`, "missing attachment count"},
		{`5 1-["a"]`, "missing attachment count"},
		{`51.0-["a"]`, "not followed by '-'"},
		{`50-["a"]`, "without attachments"},
		{`511-["a"]`, "more than 10 attachments"},
		{`5999999999999999999999999-["a"]`, "more than 10 attachments"},
		{`61-`, "ACK packet without payload"},
		// ack id
		{`299999999999999999999["a"]`, "ack id overflows int64"},
		{`29223372036854775808["a"]`, "ack id overflows int64"},
		{`2abc["a"]`, "invalid JSON"},
		{`2/chat,1a["a"]`, "invalid JSON"},
		{`2-1["a"]`, "invalid JSON"},
		// payload presence
		{`1{}`, "DISCONNECT packet with a payload"},
		{`1/chat,{}`, "DISCONNECT packet with a payload"},
		{`1/chat,5[]`, "DISCONNECT packet with a payload"},
		{`2`, "EVENT packet without payload"},
		{`2/chat,`, "EVENT packet without payload"},
		{`2/chat,1`, "EVENT packet without payload"},
		{`3`, "ACK packet without payload"},
		{`31`, "ACK packet without payload"},
		{`4`, "CONNECT_ERROR packet without payload"},
		// payload shape
		{`0[]`, "CONNECT payload is not an object"},
		{`0"x"`, "CONNECT payload is not an object"},
		{`0null`, "CONNECT payload is not an object"},
		{`2{"a":1}`, "EVENT payload is not an array"},
		{`2"a"`, "EVENT payload is not an array"},
		{`2[]`, "EVENT payload is an empty array"},
		{`2[ ]`, "EVENT payload is an empty array"},
		{`2[null]`, "neither a string nor a number"},
		{`2[{}]`, "neither a string nor a number"},
		{`2[true]`, "neither a string nor a number"},
		{`2[["a"]]`, "neither a string nor a number"},
		{`2["connect"]`, `reserved event name "connect"`},
		{`2["connect_error"]`, "reserved event name"},
		{`2["disconnect",1]`, "reserved event name"},
		{`2["disconnecting"]`, "reserved event name"},
		{`2["newListener"]`, "reserved event name"},
		{`2["removeListener"]`, "reserved event name"},
		{`2["\u0063onnect"]`, "reserved event name"},
		{`3{}`, "ACK payload is not an array"},
		{`3"a"`, "ACK payload is not an array"},
		{`4[]`, "neither an object nor a string"},
		{`4null`, "neither an object nor a string"},
		{`41`, "CONNECT_ERROR packet without payload"},
		{`51-{"_placeholder":true,"num":0}`, "BINARY_EVENT payload is not an array"},
		{`51-[]`, "BINARY_EVENT payload is an empty array"},
		{`61-{}`, "BINARY_ACK payload is not an array"},
		// JSON
		{`2["a"]x`, "data after the JSON value"},
		{`2["a"]["b"]`, "data after the JSON value"},
		{`2["a"`, "unexpected end of data"},
		{`2["a`, "unexpected end of data"},
		{`2['a']`, "expected a JSON value"},
		{`2["a",]`, "expected a JSON value"},
		{`2["a" "b"]`, "expected ',' or ']'"},
		{`2["\x"]`, "bad escape"},
		{`2["\u00g0"]`, `bad \u escape`},
		{`2["\u00`, "unexpected end of data"},
		{"2[\"a\tb\"]", "control character in string"},
		{`2[01]`, "expected ',' or ']'"},
		{`2[1.]`, "expected a digit"},
		{`2[1e]`, "expected a digit"},
		{`2[-]`, "expected a digit"},
		{`2[NaN]`, "expected a JSON value"},
		{`2[tru]`, "expected true"},
		{`2["a",{"k"}]`, "expected ':'"},
		{`2["a",{"k":1,}]`, "expected a string key"},
		{`2["a",{1:1}]`, "expected a string key"},
		{`2["a",{"k":1]`, "expected ',' or '}'"},
		{`2 `, "unexpected end of data"},
		{deep, "nested too deeply"},
		// placeholders
		{`51-["a",{"_placeholder":true,"num":1}]`, "placeholder num 1 out of range (1 attachments)"},
		{`51-["a",{"_placeholder":true,"num":-1}]`, "placeholder without a valid num"},
		{`51-["a",{"_placeholder":true,"num":"0"}]`, "placeholder without a valid num"},
		{`51-["a",{"_placeholder":true}]`, "placeholder without a valid num"},
		{`51-["a",{"_placeholder":true,"num":0.5}]`, "placeholder without a valid num"},
		{`51-["a",{"_placeholder":true,"num":1e400}]`, "placeholder without a valid num"},
		{`51-["a",{"_placeholder":true,"num":0,"num":3}]`, "placeholder num 3 out of range"},
		{`51-["a",{"_placeholder":false,"num":0,"_placeholder":true,"num":2}]`, "placeholder num 2 out of range"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var d Decoder
			p, err := d.DecodeText([]byte(tt.in))
			if err == nil {
				t.Fatalf("DecodeText(%q) = %+v, want an error", tt.in, p)
			}
			if p != nil {
				t.Errorf("DecodeText(%q) returned a packet with error %v", tt.in, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("DecodeText(%q) error %v does not wrap ErrInvalid", tt.in, err)
			}
			if !strings.HasPrefix(err.Error(), "parser: invalid packet: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("DecodeText(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if d.pending != nil {
				t.Errorf("DecodeText(%q) left a pending packet after an error", tt.in)
			}
		})
	}
}

// TestDecodeDepth checks the nesting limit of encoding/json: 10000 levels
// are accepted.
func TestDecodeDepth(t *testing.T) {
	t.Parallel()
	in := "2[\"a\"," + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + "]"
	if _, err := decodeAll(t, in); err != nil {
		t.Fatalf("decode of 10000 nested arrays: %v", err)
	}
}

func TestDecoderSequence(t *testing.T) {
	t.Parallel()
	var d Decoder
	if p, err := d.DecodeBinary([]byte{1}); p != nil || !errors.Is(err, ErrInvalid) {
		t.Fatalf("DecodeBinary with nothing pending = %v, %v; want an ErrInvalid error", p, err)
	}
	a0, a1, a2 := []byte{1}, []byte{}, []byte{3, 4}
	if p, err := d.DecodeText([]byte(`53-["x",{"_placeholder":true,"num":2}]`)); p != nil || err != nil {
		t.Fatalf("DecodeText(binary) = %v, %v; want nil, nil", p, err)
	}
	for _, a := range [][]byte{a0, a1} {
		if p, err := d.DecodeBinary(a); p != nil || err != nil {
			t.Fatalf("DecodeBinary before the last = %v, %v; want nil, nil", p, err)
		}
	}
	p, err := d.DecodeBinary(a2)
	if err != nil || p == nil {
		t.Fatalf("DecodeBinary(last) = %v, %v", p, err)
	}
	if len(p.Attachments) != 3 || &p.Attachments[0][0] != &a0[0] || &p.Attachments[2][0] != &a2[0] {
		t.Errorf("attachments %v are not the messages handed over", p.Attachments)
	}
	// A text message interrupting a binary packet is an error, and drops it.
	if _, err := d.DecodeText([]byte(`51-["x"]`)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DecodeText([]byte(`2["y"]`)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "1 attachment(s) are awaited") {
		t.Fatalf("text while awaiting: err = %v", err)
	}
	if p, err := d.DecodeText([]byte(`2["y"]`)); err != nil || p == nil {
		t.Fatalf("text after the error = %v, %v; want a packet", p, err)
	}
	// Reset drops a pending packet.
	if _, err := d.DecodeText([]byte(`51-["x"]`)); err != nil {
		t.Fatal(err)
	}
	d.Reset()
	if _, err := d.DecodeBinary([]byte{1}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("DecodeBinary after Reset: err = %v", err)
	}
}

func TestDecoderMaxAttachments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		max     int
		n       string
		wantErr bool
	}{
		{0, "10", false},
		{0, "11", true},
		{-1, "10", false},
		{-1, "11", true},
		{2, "2", false},
		{2, "3", true},
		{1 << 40, "11", false},
		{1 << 40, "9999999999999", true},
	}
	for _, tt := range tests {
		d := Decoder{MaxAttachments: tt.max}
		_, err := d.DecodeText([]byte("5" + tt.n + `-["x"]`))
		if gotErr := err != nil; gotErr != tt.wantErr {
			t.Errorf("MaxAttachments %d, count %s: err = %v, want error %v", tt.max, tt.n, err, tt.wantErr)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []Packet{
		{Type: Connect, Namespace: "/", ID: NoID},
		{Type: Connect, Namespace: "/chat", ID: NoID, Data: raw(`{"token":"123"}`)},
		{Type: Disconnect, Namespace: "/chat", ID: NoID},
		{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["hello",1,{"a":[true,null]}]`)},
		{Type: Event, Namespace: "/admin", ID: 13, Data: raw(`["a"]`)},
		{Type: Event, Namespace: "/", ID: 0, Data: raw(`[42]`)},
		{Type: Ack, Namespace: "/chat", ID: 7, Data: raw(`[]`)},
		{Type: ConnectError, Namespace: "/x", ID: NoID, Data: raw(`"nope"`)},
		{Type: ConnectError, Namespace: "/", ID: NoID, Data: raw(`{"message":"m","data":{"code":1}}`)},
		{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: raw(`["up",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2, 3}}},
		{Type: BinaryAck, Namespace: "/b", ID: 99, Data: raw(`[{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{}, {0xff}}},
	}
	for _, want := range tests {
		text := want.AppendText(nil)
		got, err := decodeAll(t, string(text), want.Attachments...)
		if err != nil {
			t.Errorf("decode %q: %v", text, err)
			continue
		}
		if !samePacket(got, &want) {
			t.Errorf("round trip of %q\n got %+v\nwant %+v", text, *got, want)
		}
	}
}

// TestDecodeReusesNamespace checks that consecutive packets of one
// namespace share its string.
func TestDecodeReusesNamespace(t *testing.T) {
	var d Decoder
	msg := []byte(`2/chat,["a"]`)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := d.DecodeText(msg); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("DecodeText allocates %v times per packet, want 1 (the packet)", allocs)
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	msg := []byte(`2/chat,12["chat:message",{"user":"bob","text":"hello world, how are you?","ts":1700000000,"tags":["a","b"]}]`)
	var d Decoder
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if p, err := d.DecodeText(msg); err != nil || p == nil {
			b.Fatal(p, err)
		}
	}
}

func BenchmarkDecodeBinary(b *testing.B) {
	msg := []byte(`51-["upload",{"name":"a.bin","data":{"_placeholder":true,"num":0}}]`)
	att := make([]byte, 1024)
	var d Decoder
	b.SetBytes(int64(len(msg) + len(att)))
	b.ReportAllocs()
	for b.Loop() {
		if p, err := d.DecodeText(msg); err != nil || p != nil {
			b.Fatal(p, err)
		}
		if p, err := d.DecodeBinary(att); err != nil || p == nil {
			b.Fatal(p, err)
		}
	}
}
