package parser

import (
	"encoding/json"
	"testing"
)

func TestTypeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  Type
		want string
	}{
		{Connect, "CONNECT"},
		{Disconnect, "DISCONNECT"},
		{Event, "EVENT"},
		{Ack, "ACK"},
		{ConnectError, "CONNECT_ERROR"},
		{BinaryEvent, "BINARY_EVENT"},
		{BinaryAck, "BINARY_ACK"},
		{7, "Type(7)"},
		{255, "Type(255)"},
	}
	for _, tt := range tests {
		if got := tt.typ.String(); got != tt.want {
			t.Errorf("Type(%d).String() = %q, want %q", uint8(tt.typ), got, tt.want)
		}
	}
}

func TestTypeIsBinary(t *testing.T) {
	t.Parallel()
	for typ := range Type(10) {
		want := typ == BinaryEvent || typ == BinaryAck
		if got := typ.IsBinary(); got != want {
			t.Errorf("%v.IsBinary() = %v, want %v", typ, got, want)
		}
	}
}

// TestAppendText compares with what Node's socket.io-parser 4.2.7 Encoder
// emits for the same packets.
func TestAppendText(t *testing.T) {
	t.Parallel()
	att := [][]byte{{1, 2}}
	tests := []struct {
		name string
		p    Packet
		want string
	}{
		{"connect root", Packet{Type: Connect, Namespace: "/", ID: NoID}, `0`},
		{"connect empty namespace", Packet{Type: Connect, ID: NoID}, `0`},
		{"connect namespace", Packet{Type: Connect, Namespace: "/chat", ID: NoID}, `0/chat,`},
		{"connect auth", Packet{Type: Connect, Namespace: "/", ID: NoID, Data: raw(`{"token":"123"}`)}, `0{"token":"123"}`},
		{"connect reply", Packet{Type: Connect, Namespace: "/admin", ID: NoID, Data: raw(`{"sid":"abc"}`)}, `0/admin,{"sid":"abc"}`},
		{"disconnect", Packet{Type: Disconnect, Namespace: "/", ID: NoID}, `1`},
		{"disconnect namespace", Packet{Type: Disconnect, Namespace: "/chat", ID: NoID}, `1/chat,`},
		{"event", Packet{Type: Event, Namespace: "/", ID: NoID, Data: raw(`["hello",1]`)}, `2["hello",1]`},
		{"event ack id", Packet{Type: Event, Namespace: "/", ID: 12, Data: raw(`["a"]`)}, `212["a"]`},
		{"event namespace ack id", Packet{Type: Event, Namespace: "/admin", ID: 13, Data: raw(`["a"]`)}, `2/admin,13["a"]`},
		{"event id zero", Packet{Type: Event, Namespace: "/", ID: 0, Data: raw(`["a"]`)}, `20["a"]`},
		{"ack", Packet{Type: Ack, Namespace: "/chat", ID: 7, Data: raw(`[]`)}, `3/chat,7[]`},
		{"connect error", Packet{Type: ConnectError, Namespace: "/", ID: NoID, Data: raw(`{"message":"Invalid namespace"}`)}, `4{"message":"Invalid namespace"}`},
		{"connect error namespace", Packet{Type: ConnectError, Namespace: "/x", ID: NoID, Data: raw(`{"message":"no"}`)}, `4/x,{"message":"no"}`},
		{"binary event", Packet{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: raw(`["up",{"_placeholder":true,"num":0}]`), Attachments: att}, `51-["up",{"_placeholder":true,"num":0}]`},
		{"binary ack", Packet{Type: BinaryAck, Namespace: "/a", ID: 9, Data: raw(`[{"_placeholder":true,"num":0}]`), Attachments: att}, `61-/a,9[{"_placeholder":true,"num":0}]`},
		{"max id", Packet{Type: Ack, Namespace: "/", ID: 9223372036854775807, Data: raw(`[]`)}, `39223372036854775807[]`},
		{"other negative id", Packet{Type: Ack, Namespace: "/", ID: -5, Data: raw(`[]`)}, `3[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			prefix := []byte("4")
			got := tt.p.AppendText(prefix)
			if string(got) != "4"+tt.want {
				t.Errorf("AppendText(%q) = %q, want %q", prefix, got, "4"+tt.want)
			}
		})
	}
}

func TestIsReserved(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"} {
		if !IsReserved(name) {
			t.Errorf("IsReserved(%q) = false", name)
		}
	}
	for _, name := range []string{"", "Connect", "connected", "message", "error", "ping", "newlistener"} {
		if IsReserved(name) {
			t.Errorf("IsReserved(%q) = true", name)
		}
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// BenchmarkEncodeEvent encodes a text EVENT as the socket layer does:
// arguments, then the packet around them, into reused buffers.
func BenchmarkEncodeEvent(b *testing.B) {
	args := []any{"chat:message", "hello world", 42}
	var data, out []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		data, _, err = AppendArgs(data[:0], args)
		if err != nil {
			b.Fatal(err)
		}
		p := Packet{Type: Event, Namespace: "/chat", ID: 12, Data: data}
		out = p.AppendText(out[:0])
	}
	b.SetBytes(int64(len(out)))
}

// BenchmarkEncodeBinary encodes a BINARY_EVENT with a 1 KiB attachment.
func BenchmarkEncodeBinary(b *testing.B) {
	args := []any{"upload", map[string]any{"name": "a.bin", "data": make([]byte, 1024)}}
	var data, out []byte
	b.ReportAllocs()
	for b.Loop() {
		var atts [][]byte
		var err error
		data, atts, err = AppendArgs(data[:0], args)
		if err != nil {
			b.Fatal(err)
		}
		p := Packet{Type: BinaryEvent, Namespace: "/", ID: NoID, Data: data, Attachments: atts}
		out = p.AppendText(out[:0])
	}
	b.SetBytes(int64(len(out)))
}
