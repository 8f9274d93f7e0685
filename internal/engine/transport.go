package engine

// transport is how a session reaches its client: HTTP long-polling
// (polling.go) or a WebSocket (websocket.go). The session keeps what is
// common and never asks which transport it has; each transport owns its
// own state and its write path, and an upgrade hands the session from one
// value to another (upgrade.go).
//
// Methods whose name ends in Locked are called with the session's mu
// held; they never block and never write to the network. The others are
// called without it.
type transport interface {
	// name is the transport's name in the "transport" query parameter.
	name() string

	// writableLocked reports whether a message queued now would go out at
	// once (the session checks that nothing else is queued).
	writableLocked() bool

	// kickLocked gets what the session queued moving, without writing on
	// the caller's goroutine: a flusher, or the pending GET. In a closing
	// session, the transport sends what is queued, then the close.
	kickLocked()

	// sendLocked gets what a sender just queued moving. batched means the
	// new messages may wait to share a write (SendBatched). It is called
	// with the session's mu held and releases it: the queueing and the
	// decision to write take one lock, which a broadcast pays per
	// recipient. It never blocks, but may write what the network takes at
	// once on the caller's goroutine, after releasing mu.
	sendLocked(batched bool)

	// drainsLocked reports whether the transport delivers what is queued,
	// and a close, without waiting for the client to ask: false for
	// polling with no GET pending.
	drainsLocked() bool

	// retireLocked tells a transport that an upgrade replaced it: what
	// waits on it is released, and it carries nothing more.
	retireLocked()

	// stopLocked and then stop tear the transport down when the session
	// fails: stopLocked settles its state, stop (after the session's mu
	// is released) does the I/O. When the transport is gone the session is
	// finished, by stop itself or by the goroutine that owns the
	// connection.
	stopLocked(o failOpts)
	stop(o failOpts)
}
