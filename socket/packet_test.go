package socket

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/envivo/socketio/internal/parser"
)

// TestReservedEventsOneList checks that the event names a server may not
// emit are exactly those a client may not send, and that they are Node's
// (socket.io-parser's RESERVED_EVENTS): there is one list.
func TestReservedEventsOneList(t *testing.T) {
	t.Parallel()
	node := []string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
	names := append([]string{"Connect", "connection", "disconnected", "newlistener", " connect", "error", "message", ""},
		node...)
	for _, name := range names {
		want := slices.Contains(node, name)
		_, err := newEventPacket("/", name, 1)
		if emitRefused := errors.Is(err, ErrReservedEvent); emitRefused != want {
			t.Errorf("newEventPacket(%q): %v; want refused = %v", name, err, want)
		}
		js, _ := json.Marshal(name)
		var d parser.Decoder
		_, err = d.DecodeText([]byte(`2[` + string(js) + `,1]`))
		if receiveRefused := err != nil; receiveRefused != want {
			t.Errorf("receiving %q: %v; want refused = %v", name, err, want)
		}
	}
}
