// Package tsgen writes TypeScript declarations of the typed events that Go
// packages declare with the socket package: the library behind
// cmd/socketio-ts, whose doc says what it writes.
package tsgen
