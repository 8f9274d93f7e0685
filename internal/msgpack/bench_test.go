package msgpack

import (
	"testing"

	"github.com/envivo/socketio/internal/parser"
)

// benchPacket is a chat message with one binary attachment, as
// socket.io-msgpack-parser carries it in one message.
var benchPacket = &parser.Packet{
	Type:        parser.Event,
	Namespace:   "/chat",
	Data:        []byte(`["chat:message",{"user":"alice","text":"hello, world","at":1700000000000},{"_placeholder":true,"num":0}]`),
	Attachments: [][]byte{make([]byte, 256)},
}

// BenchmarkAppendPacket measures encoding one event with the msgpack
// parser, as every emit to a msgpack client does once per packet.
func BenchmarkAppendPacket(b *testing.B) {
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		var err error
		if buf, err = AppendPacket(buf[:0], benchPacket); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePacket measures decoding one event from a msgpack client.
func BenchmarkDecodePacket(b *testing.B) {
	msg, err := AppendPacket(nil, benchPacket)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodePacket(msg, 10); err != nil {
			b.Fatal(err)
		}
	}
}
