//go:build !unix

package redispeer

// Pause skips the test: stopping a process with SIGSTOP needs Unix.
func (r *Server) Pause() {
	r.t.Helper()
	r.t.Skip("skipping: pausing redis-server needs SIGSTOP (Unix)")
}

// Resume does nothing where Pause skips.
func (r *Server) Resume() {}
