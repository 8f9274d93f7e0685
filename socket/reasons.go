package socket

import "github.com/envivo/socketio/internal/engine"

// DisconnectReason says why a socket disconnected: one of Node's reasons,
// which socket.io-client reports too (as "io server disconnect" for
// ReasonServerNamespaceDisconnect and ReasonForcedServerClose).
type DisconnectReason string

// The reasons a socket disconnects for. Those of the connection are the
// Engine.IO layer's, so that its close reasons pass through unchanged.
const (
	// ReasonTransportClose: the client closed its connection, or it broke.
	ReasonTransportClose DisconnectReason = engine.ReasonTransportClose
	// ReasonTransportError: a network or protocol failure of the
	// connection, or a client that fell WriteQueueSize messages behind.
	ReasonTransportError DisconnectReason = engine.ReasonTransportError
	// ReasonPingTimeout: no pong within PingTimeout of a ping.
	ReasonPingTimeout DisconnectReason = engine.ReasonPingTimeout
	// ReasonParseError: the client sent a packet that breaks the protocol.
	ReasonParseError DisconnectReason = engine.ReasonParseError
	// ReasonForcedClose: the connection joined no namespace within
	// ConnectTimeout.
	ReasonForcedClose DisconnectReason = engine.ReasonForcedClose
	// ReasonForcedServerClose: Socket.CloseConnection (Node's
	// socket.disconnect(true)), or CloseConnections on a broadcast.
	ReasonForcedServerClose DisconnectReason = "forced server close"
	// ReasonServerShutdown: Server.Shutdown.
	ReasonServerShutdown DisconnectReason = engine.ReasonServerShutdown
	// ReasonClientNamespaceDisconnect: the client left the namespace
	// (socket.disconnect() on the client).
	ReasonClientNamespaceDisconnect DisconnectReason = "client namespace disconnect"
	// ReasonServerNamespaceDisconnect: Socket.Disconnect, or
	// DisconnectSockets on a broadcast.
	ReasonServerNamespaceDisconnect DisconnectReason = "server namespace disconnect"
)

// Recoverable reports whether connection state recovery keeps the session
// of a socket that disconnected for r, as Node does: when neither the
// client nor the server's application chose to end it.
func (r DisconnectReason) Recoverable() bool {
	switch r {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose, ReasonPingTimeout,
		ReasonServerShutdown, ReasonForcedServerClose:
		return true
	}
	return false
}
