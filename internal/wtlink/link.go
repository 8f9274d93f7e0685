// Package wtlink hands package webtransport the Engine.IO server of a
// socket.Server, which the public API does not expose.
//
// Package socket sets Engine from an init function; package webtransport
// imports socket, so that init has run before webtransport uses it.
// Nothing else may use Engine.
package wtlink

import "github.com/envivo/socketio/internal/engine"

// Engine returns the Engine.IO server of srv, a *socket.Server, and the
// path it answers under (socket.Options.Path).
var Engine func(srv any) (eng *engine.Server, path string)
