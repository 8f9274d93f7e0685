//go:build unix

package redispeer

import "syscall"

// Pause stops the process with SIGSTOP, as a Redis that hangs: the kernel
// still accepts connections and buffers what clients write, but nothing is
// answered until Resume. Stop kills a paused server as well.
func (r *Server) Pause() { r.signal(syscall.SIGSTOP) }

// Resume continues a process that Pause stopped, with SIGCONT: it reads
// and answers what was written meanwhile.
func (r *Server) Resume() { r.signal(syscall.SIGCONT) }

func (r *Server) signal(sig syscall.Signal) {
	r.t.Helper()
	r.mu.Lock()
	cmd := r.cmd
	r.mu.Unlock()
	if cmd == nil {
		r.t.Fatalf("redis-server on %s is not running", r.Addr())
	}
	if err := cmd.Process.Signal(sig); err != nil {
		r.t.Fatalf("signal %v to redis-server: %v", sig, err)
	}
}
