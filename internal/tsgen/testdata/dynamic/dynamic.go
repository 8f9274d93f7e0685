// Package dynamic names an event at run time.
package dynamic

import "github.com/envivo/socketio/socket"

// Handle registers a handler under a name the generator cannot know.
func Handle(s *socket.Socket, name string) {
	socket.On(s, name, func(*socket.Socket, string) error { return nil })
}
