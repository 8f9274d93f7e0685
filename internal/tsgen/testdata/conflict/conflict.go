// Package conflict emits one event name with two payload types.
package conflict

import "github.com/envivo/socketio/socket"

var (
	A = socket.Event[string]{Name: "x"}
	B = socket.Event[int]{Name: "x"}
)

// Send uses both.
func Send(s *socket.Socket) {
	_ = A.Emit(s, "a")
	_ = B.Emit(s, 1)
}
