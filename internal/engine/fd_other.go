//go:build !unix || envivo_portable

package engine

import (
	"errors"
	"net"
	"time"
)

// The portable path: a WebSocket is read and written through its net.Conn
// only. A connection holds a pooled read buffer while it waits, and every
// write goes through a flusher. See fd_unix.go for the descriptor fast
// path this replaces.

// useDescriptor does nothing: no descriptor is used.
func (w *wsConn) useDescriptor() {}

// readRaw is never called on this path, where no connection has a
// descriptor; it is here for the compiler.
func (in *wsInput) readRaw(p []byte) (int, error) { return 0, errors.ErrUnsupported }

// wait blocks until at least one byte is pending, or the connection fails.
func (w *wsConn) wait() error { return w.in.wait() }

// writeNow writes frames whole. It is never called on this path, where no
// connection has a descriptor (writeThrough needs one), and is here for
// the compiler.
func (w *wsConn) writeNow(frames [][]byte, timeout time.Duration) (int, error) {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.extendDeadline(timeout)
	if answer := w.takeAnswerLocked(); answer != nil {
		// Written first, whole: a socket buffer takes it on a fresh
		// connection, and a frame cannot follow part of it.
		if _, err := w.in.nc.Write(answer); err != nil {
			return 0, err
		}
	}
	bufs := net.Buffers(frames)
	n, err := bufs.WriteTo(w.in.nc)
	return int(n), err
}

// writeBuffers writes bufs whole, in order, with w.wmu held.
func (w *wsConn) writeBuffers(bufs [][]byte) error {
	b := net.Buffers(bufs)
	_, err := b.WriteTo(w.in.nc)
	return err
}
