package socket

// DisconnectReason says why a socket disconnected: one of Node's reasons,
// which socket.io-client reports too (as "io server disconnect" for
// ReasonServerNamespaceDisconnect and ReasonForcedServerClose).
type DisconnectReason string

// The reasons a socket disconnects for.
const (
	// ReasonTransportClose: the client closed its connection, or it broke.
	ReasonTransportClose DisconnectReason = "transport close"
	// ReasonTransportError: a network or protocol failure of the
	// connection, or a client that fell WriteQueueSize messages behind.
	ReasonTransportError DisconnectReason = "transport error"
	// ReasonPingTimeout: no pong within PingTimeout of a ping.
	ReasonPingTimeout DisconnectReason = "ping timeout"
	// ReasonParseError: the client sent a packet that breaks the protocol.
	ReasonParseError DisconnectReason = "parse error"
	// ReasonForcedClose: the connection joined no namespace within
	// ConnectTimeout.
	ReasonForcedClose DisconnectReason = "forced close"
	// ReasonForcedServerClose: Socket.CloseConnection (Node's
	// socket.disconnect(true)), or CloseConnections on a broadcast.
	ReasonForcedServerClose DisconnectReason = "forced server close"
	// ReasonServerShutdown: Server.Shutdown.
	ReasonServerShutdown DisconnectReason = "server shutting down"
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
