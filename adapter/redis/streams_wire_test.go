package redisadapter

import (
	"testing"

	"github.com/envivo/socketio/adapter"
)

// TestStreamOf checks the stream of a namespace against what Node's
// computeStreamName gives with streamCount 3 (values from the hashCode of
// @socket.io/redis-streams-adapter 0.3.1's dist/util.js, run by node),
// negative hashes and UTF-16 surrogates included.
func TestStreamOf(t *testing.T) {
	o := (&StreamsOptions{StreamCount: 3}).withDefaults()
	for nsp, want := range map[string]string{
		"/": "socket.io-2", "/admin": "socket.io-1", "/chat": "socket.io-1", "/été": "socket.io-2",
		"/🙂": "socket.io-0", "/a-very-long-namespace-name-that-overflows": "socket.io-2",
		"/notifications": "socket.io--2", "/x1234567": "socket.io-1",
	} {
		if got := o.streamOf(nsp); got != want {
			t.Errorf("streamOf(%q) = %q, want %q", nsp, got, want)
		}
	}
	if got := (&StreamsOptions{}).withDefaults(); got.streamOf("/admin") != "socket.io" {
		t.Errorf("one stream: %q", got.streamOf("/admin"))
	}
}

// TestAppendOffset checks the offset goes last in the event's arguments,
// as Node's addOffsetIfNecessary pushes it.
func TestAppendOffset(t *testing.T) {
	for in, want := range map[string]string{
		`["ev"]`:             `["ev","1-2"]`,
		`["ev",1,{"a":[]}] `: `["ev",1,{"a":[]},"1-2"]`,
		`[]`:                 `["1-2"]`,
		`{}`:                 `{}`,
	} {
		got := appendOffset(adapter.NewPacket("/", []byte(in), nil), "1-2")
		if string(got.Data()) != want {
			t.Errorf("appendOffset(%s) = %s, want %s", in, got.Data(), want)
		}
	}
}
