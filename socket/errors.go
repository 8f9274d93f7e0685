package socket

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned when sending on a socket that has disconnected,
	// or by a server that has been shut down.
	ErrClosed = errors.New("socket: closed")
	// ErrReservedEvent is returned when emitting an event name that
	// Socket.IO reserves: connect, connect_error, disconnect, disconnecting,
	// newListener and removeListener.
	ErrReservedEvent = errors.New("socket: reserved event name")
	// ErrMissingArgument is reported when a typed handler's event arrives
	// without the argument the handler decodes.
	ErrMissingArgument = errors.New("socket: missing argument")
	// ErrUnboundRemoteSocket is returned by the methods of a RemoteSocket
	// that FetchSockets did not return, which knows no namespace.
	ErrUnboundRemoteSocket = errors.New("socket: remote socket not from FetchSockets")
)

// ConnectError refuses a connection from a middleware. The client receives it
// as a connect_error whose err.message is Message and err.data is Data.
// A middleware that returns any other error refuses with err.Error() as the
// message and no data.
type ConnectError struct {
	Message string
	Data    any // encoded as JSON; nil sends no data
}

func (e *ConnectError) Error() string { return "socket: connection refused: " + e.Message }

// AckIncompleteError is returned by a broadcast EmitWithAck (and
// ServerSideEmitWithAck) when the context ended, or the adapter gave up,
// before every client answered; the replies that did arrive are returned
// with it. errors.Is(err, context.DeadlineExceeded) reports a timeout.
type AckIncompleteError struct {
	Expected int   // how many clients (or nodes) were asked
	Received int   // how many answered
	Err      error // the context's error, or the adapter's
}

func (e *AckIncompleteError) Error() string {
	return fmt.Sprintf("socket: %d of %d clients acknowledged: %v", e.Received, e.Expected, e.Err)
}

func (e *AckIncompleteError) Unwrap() error { return e.Err }
