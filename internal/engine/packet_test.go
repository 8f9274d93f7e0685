package engine

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

func TestDecodePacket(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    packet
		wantErr bool
	}{
		{name: "open", in: "0", want: packet{typ: typeOpen, data: []byte{}}},
		{name: "close", in: "1", want: packet{typ: typeClose, data: []byte{}}},
		{name: "ping probe", in: "2probe", want: packet{typ: typePing, data: []byte("probe")}},
		{name: "pong", in: "3", want: packet{typ: typePong, data: []byte{}}},
		{name: "message", in: "4hello", want: packet{typ: typeMessage, data: []byte("hello")}},
		{name: "empty message", in: "4", want: packet{typ: typeMessage, data: []byte{}}},
		{name: "upgrade", in: "5", want: packet{typ: typeUpgrade, data: []byte{}}},
		{name: "noop", in: "6", want: packet{typ: typeNoop, data: []byte{}}},
		{name: "utf8", in: "4€ü", want: packet{typ: typeMessage, data: []byte("€ü")}},
		{name: "base64", in: "bAQID", want: packet{typ: typeMessage, binary: true, data: []byte{1, 2, 3}}},
		{name: "base64 padded", in: "bAQI=", want: packet{typ: typeMessage, binary: true, data: []byte{1, 2}}},
		{name: "base64 empty", in: "b", want: packet{typ: typeMessage, binary: true, data: []byte{}}},
		{name: "empty", in: "", wantErr: true},
		{name: "type 7", in: "7", wantErr: true},
		{name: "letter", in: "abc", wantErr: true},
		{name: "bad base64", in: "b!!!", wantErr: true},
		{name: "base64 one char", in: "bA", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePacket([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodePacket(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.typ != tt.want.typ || got.binary != tt.want.binary || !bytes.Equal(got.data, tt.want.data) {
				t.Fatalf("decodePacket(%q) = %c %v %q, want %c %v %q",
					tt.in, got.typ, got.binary, got.data, tt.want.typ, tt.want.binary, tt.want.data)
			}
		})
	}
}

func TestDecodePayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []string // type digit + data, "b"+hex-free data for binary
		wantErr bool
	}{
		{name: "one", in: "4hello", want: []string{"4hello"}},
		{name: "three", in: "4a\x1e3\x1ebAQID", want: []string{"4a", "3", "b\x01\x02\x03"}},
		{name: "close", in: "1", want: []string{"1"}},
		{name: "empty", in: "", wantErr: true},
		{name: "trailing separator", in: "4a\x1e", want: []string{"4a"}, wantErr: true},
		{name: "empty middle", in: "4a\x1e\x1e4b", want: []string{"4a"}, wantErr: true},
		{name: "bad second", in: "4a\x1exyz\x1e4b", want: []string{"4a"}, wantErr: true},
		{name: "bad first", in: "abc", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, err := decodePayload([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodePayload(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			var got []string
			for _, p := range pkts {
				if p.binary {
					got = append(got, "b"+string(p.data))
				} else {
					got = append(got, string(p.typ)+string(p.data))
				}
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("decodePayload(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEncodePayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msgs []*Message
		want string
	}{
		{name: "none", want: ""},
		{name: "text", msgs: []*Message{NewTextMessage([]byte("hello"))}, want: "4hello"},
		{name: "empty text", msgs: []*Message{NewTextMessage(nil)}, want: "4"},
		{name: "binary", msgs: []*Message{NewBinaryMessage([]byte{1, 2, 3})}, want: "bAQID"},
		{name: "binary padded", msgs: []*Message{NewBinaryMessage([]byte{1, 2})}, want: "bAQI="},
		{name: "ping", msgs: []*Message{pingMessage}, want: "2"},
		{
			name: "batch",
			msgs: []*Message{
				NewTextMessage([]byte(`2["a"]`)),
				pingMessage,
				NewBinaryMessage([]byte("hi")),
				newControlFrame(ws.OpPong, nil), // skipped: WebSocket only
				NewTextMessage([]byte("x")),
			},
			want: "42[\"a\"]\x1e2\x1ebaGk=\x1e4x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(encodePayload(nil, tt.msgs))
			if got != tt.want {
				t.Fatalf("encodePayload = %q, want %q", got, tt.want)
			}
			if len(tt.msgs) == 0 {
				return
			}
			back, err := decodePayload([]byte(got))
			if err != nil {
				t.Fatalf("decodePayload(encodePayload) error: %v", err)
			}
			if string(encodePayload(nil, packetsToMessages(back))) != tt.want {
				t.Fatalf("round trip of %q changed it", tt.want)
			}
		})
	}
}

func packetsToMessages(pkts []packet) []*Message {
	msgs := make([]*Message, len(pkts))
	for i, p := range pkts {
		msgs[i] = &Message{Data: p.data, Binary: p.binary, typ: p.typ}
	}
	return msgs
}

func TestMessageFrame(t *testing.T) {
	t.Parallel()
	long := bytes.Repeat([]byte("x"), 70000)
	tests := []struct {
		name    string
		msg     *Message
		op      ws.OpCode
		payload []byte
	}{
		{name: "text", msg: NewTextMessage([]byte("hello")), op: ws.OpText, payload: []byte("4hello")},
		{name: "binary", msg: NewBinaryMessage([]byte{0, 1, 2}), op: ws.OpBinary, payload: []byte{0, 1, 2}},
		{name: "ping", msg: pingMessage, op: ws.OpText, payload: []byte("2")},
		{name: "16-bit length", msg: NewTextMessage(long[:300]), op: ws.OpText, payload: append([]byte("4"), long[:300]...)},
		{name: "64-bit length", msg: NewBinaryMessage(long), op: ws.OpBinary, payload: long},
		{name: "control", msg: newControlFrame(ws.OpClose, []byte{3, 232}), op: ws.OpClose, payload: []byte{3, 232}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.msg.wsFrame()
			h, err := ws.ReadHeader(bytes.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			if !h.Fin || h.Masked || h.OpCode != tt.op || h.Length != int64(len(tt.payload)) {
				t.Fatalf("header = %+v", h)
			}
			if got := f[len(f)-len(tt.payload):]; !bytes.Equal(got, tt.payload) {
				t.Fatalf("payload differs")
			}
			if len(f) != ws.HeaderSize(h)+len(tt.payload) {
				t.Fatalf("frame is %d bytes, want %d", len(f), ws.HeaderSize(h)+len(tt.payload))
			}
			if &tt.msg.wsFrame()[0] != &f[0] {
				t.Fatal("frame built twice")
			}
		})
	}
}

func TestAppendFrameHeaderBoundaries(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		h := appendFrameHeader(nil, ws.OpText, n)
		if len(h) != frameHeaderSize(n) {
			t.Fatalf("n=%d: header %d bytes, want %d", n, len(h), frameHeaderSize(n))
		}
		got, err := ws.ReadHeader(bytes.NewReader(h))
		if err != nil || got.Length != int64(n) {
			t.Fatalf("n=%d: read back %+v, %v", n, got, err)
		}
	}
	if h := appendFrameHeader(nil, ws.OpBinary, 65536); binary.BigEndian.Uint64(h[2:]) != 65536 {
		t.Fatal("64-bit length not big endian")
	}
}

func FuzzDecodePacket(f *testing.F) {
	for _, s := range []string{"0", "1", "2probe", "3", "4hello", "4", "5", "6", "bAQID", "bAQI=", "b", "", "7", "abc", "b!!", "4\x1e"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := decodePacket(in)
		if err != nil {
			return
		}
		if p.typ < typeOpen || p.typ > typeNoop {
			t.Fatalf("decoded type %q", p.typ)
		}
		if p.binary {
			// Canonical base64 must come back as it went in.
			enc := appendPacket(nil, &Message{Data: p.data, Binary: true})
			q, err := decodePacket(enc)
			if err != nil || !bytes.Equal(q.data, p.data) {
				t.Fatalf("binary round trip of %q: %q, %v", in, q.data, err)
			}
			return
		}
		enc := appendPacket(nil, &Message{Data: p.data, typ: p.typ})
		if !bytes.Equal(enc, in) {
			t.Fatalf("text round trip of %q = %q", in, enc)
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{
		"4hello", "4a\x1e3\x1ebAQID", "1", "", "4a\x1e", "\x1e", "4a\x1e\x1e4b", "bAQI=\x1e6", "2probe\x1e5", "4€\x1eb",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		pkts, err := decodePayload(in)
		if err == nil && len(pkts) != bytes.Count(in, []byte{separator})+1 {
			t.Fatalf("%q decoded to %d packets", in, len(pkts))
		}
		if err != nil && len(pkts) > bytes.Count(in, []byte{separator}) {
			t.Fatalf("%q: error after all %d packets", in, len(pkts))
		}
		enc := encodePayload(nil, packetsToMessages(pkts))
		back, err2 := decodePayload(enc)
		if len(pkts) > 0 && err2 != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err2)
		}
		for i := range min(len(pkts), len(back)) {
			if back[i].typ != pkts[i].typ || back[i].binary != pkts[i].binary || !bytes.Equal(back[i].data, pkts[i].data) {
				t.Fatalf("packet %d changed in round trip of %q", i, in)
			}
		}
	})
}

// benchBatch is a typical polling batch: Socket.IO events, one with a
// binary attachment.
func benchBatch() []*Message {
	return []*Message{
		NewTextMessage([]byte(`2["chat:message",{"room":"lobby","text":"hello there, how are you?","ts":1700000000000}]`)),
		NewTextMessage([]byte(`51-["upload",{"_placeholder":true,"num":0}]`)),
		NewBinaryMessage(bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 64)),
		pingMessage,
		NewTextMessage([]byte(`2["presence",{"user":"ana","online":true}]`)),
	}
}

func BenchmarkEncodePayload(b *testing.B) {
	msgs := benchBatch()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = encodePayload(buf[:0], msgs)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkDecodePayload(b *testing.B) {
	in := encodePayload(nil, benchBatch())
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodePayload(in); err != nil {
			b.Fatal(err)
		}
	}
}
