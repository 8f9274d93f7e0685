//go:build !linux || envivo_portable

package engine

// Elsewhere than on Linux (or with the tag envivo_portable), every
// WebSocket is read by a goroutine of its own; see poll_linux.go for the
// readiness path this replaces.

// poller is empty here: no WebSocket waits in a readiness set.
type poller struct{}

// startReading starts w's read loop on a goroutine of the server's.
func (w *wsConn) startReading() { w.c.srv.goroutines.Go(w.run) }

// closeConn closes w's connection; its read loop then ends.
func (w *wsConn) closeConn() { w.in.nc.Close() }
