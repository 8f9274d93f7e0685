//go:build linux && !envivo_portable

package engine

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// The readiness path (Linux): a WebSocket whose descriptor the engine reads
// holds no goroutine while it is idle. Its descriptor waits in the
// server's epoll set, edge triggered (EPOLLET): each arrival of bytes is
// one readiness, and needs no system call to arm the descriptor again.
// When bytes arrive, a worker reads and handles them (and the rest of a
// message that continues) until a read comes back short, which means the
// socket is drained, then gives the read side back.
//
// One goroutine per server waits on the set, through the runtime's poller,
// while at least one connection is registered, and exits with the last.
//
// Ownership of the read side is a CAS on wsConn.poll: armed (waiting for
// a readiness), owned (a worker reads it, or the connection ends), or
// dirty (owned, and a readiness came meanwhile: the worker reads again
// before it gives the read side back, as that readiness was for bytes it
// may not have read). Whoever takes it from armed (a readiness, or
// closeConn after closing the connection) is the only one to read or to
// end it.

const (
	pollNone  int32 = iota // not in the set: its own goroutine reads it
	pollArmed              // waiting in the set for a readiness
	pollOwned              // a worker reads it, or the connection ends
	pollDirty              // owned, and a readiness came: read again
)

// poller is a server's epoll set of idle WebSockets. The zero value has
// no set; the first WebSocket makes one.
type poller struct {
	// off makes every WebSocket read on a goroutine of its own, as on the
	// other Unix systems; tests set it before the server starts.
	off bool

	mu    sync.Mutex
	set   *epollSet // nil while no goroutine waits on one
	byFD  []*wsConn // the registered connections by descriptor number
	count int       // how many are registered
	next  uint32    // the last generation given, the high half of an id (never 0)
}

// startReading starts reading w: in the server's epoll set when w has a
// descriptor, or on a goroutine of its own (TLS, or if epoll fails).
func (w *wsConn) startReading() {
	if p := &w.c.srv.poller; w.in.raw == nil || p.off || !p.add(w) {
		w.c.srv.goroutines.Go(w.run)
	}
}

// add registers w and arms it, or hands it to a worker at once if bytes
// came behind its handshake. It reports false if epoll failed; w is then
// not registered.
func (p *poller) add(w *wsConn) bool {
	s := w.c.srv
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set == nil && !p.startLocked(s) {
		return false
	}
	// Bytes that came behind the handshake are read at once; the
	// descriptor is in the set either way, for the worker to arm again.
	pending := w.in.buffered() > 0
	state := pollArmed
	if pending {
		state = pollOwned
	}
	var err error
	if w.in.raw.Control(func(fd uintptr) { err = p.registerLocked(w, int(fd), state) }) != nil {
		p.stopIfIdleLocked()
		return false // closed already: the read loop finds out
	}
	if err != nil && w.poll.CompareAndSwap(state, pollNone) {
		p.unsetLocked(w)
		p.stopIfIdleLocked()
		return false
	}
	// Registered, or closeConn took it from armed and ends it.
	if pending {
		s.workers.RunTask((*wsPollRead)(w))
	}
	return true
}

// startLocked makes the epoll set and starts its goroutine.
func (p *poller) startLocked(s *Server) bool {
	set, err := newEpollSet()
	if err != nil {
		s.opts.Logger.Warn("engine: no epoll set; reading on goroutines", "err", err)
		return false
	}
	p.set = set
	s.goroutines.Go(func() { p.wait(s, set) })
	return true
}

// epollSet is an epoll instance, waited on through the runtime's poller:
// an epoll descriptor is readable while events are ready, so its goroutine
// parks like any network read instead of holding a thread in epoll_wait,
// and runs as soon as the scheduler learns of the readiness (with a thread
// in epoll_wait, each wake-up had to win a P back first, which cost
// latency on a busy server).
type epollSet struct {
	fd   int
	file *os.File // fd, registered in the runtime's poller
	raw  syscall.RawConn
	wake int // an eventfd in the set, under id 0
}

func newEpollSet() (*epollSet, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	set := &epollSet{fd: fd, wake: -1}
	if err = unix.SetNonblock(fd, true); err == nil {
		set.wake, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	}
	if err == nil {
		err = unix.EpollCtl(fd, unix.EPOLL_CTL_ADD, set.wake, &unix.EpollEvent{Events: unix.EPOLLIN})
	}
	if err == nil {
		set.file = os.NewFile(uintptr(fd), "epoll")
		set.raw, err = set.file.SyscallConn()
	}
	if err != nil {
		set.close()
		return nil, err
	}
	return set, nil
}

// close closes the set and its eventfd.
func (set *epollSet) close() {
	if set.file != nil {
		set.file.Close()
	} else {
		unix.Close(set.fd)
	}
	if set.wake >= 0 {
		unix.Close(set.wake)
	}
}

// stopIfIdleLocked wakes the goroutine when no connection is left, so
// that it exits.
func (p *poller) stopIfIdleLocked() {
	if p.count == 0 && p.set != nil {
		one := [8]byte{1} // an eventfd takes a uint64; any but zero wakes
		_, _ = unix.Write(p.set.wake, one[:])
	}
}

// setLocked registers w under descriptor fd. A slice indexed by
// descriptor costs 8 bytes a connection, a map entry several times that.
func (p *poller) setLocked(fd int, w *wsConn) {
	if fd >= len(p.byFD) {
		p.byFD = append(p.byFD, make([]*wsConn, fd+1-len(p.byFD))...)
	}
	p.byFD[fd] = w
	p.count++
}

// unsetLocked unregisters w. Its slot may hold another connection already,
// which got the number of w's closed descriptor: that one stays.
func (p *poller) unsetLocked(w *wsConn) {
	if fd := int(uint32(w.pollID)); p.byFD[fd] == w {
		p.byFD[fd] = nil
	}
	p.count--
}

// lookupLocked returns the connection registered under id, if any.
func (p *poller) lookupLocked(id uint64) *wsConn {
	fd := int(uint32(id))
	if fd >= len(p.byFD) {
		return nil
	}
	if w := p.byFD[fd]; w != nil && w.pollID == id {
		return w
	}
	return nil
}

// remove unregisters w, which its caller owns: a readiness still in
// flight for it is ignored.
func (p *poller) remove(w *wsConn) {
	p.mu.Lock()
	p.unsetLocked(w)
	p.stopIfIdleLocked()
	p.mu.Unlock()
}

// wait is the poller's goroutine: it hands each readiness to a worker,
// and exits once no connection is registered.
func (p *poller) wait(s *Server, set *epollSet) {
	events := make([]unix.EpollEvent, 128)
	var n int
	var err error
	// collect takes the ready events without blocking; with none, the
	// runtime's poller waits until the set is readable.
	collect := func(fd uintptr) bool {
		n, err = unix.EpollWait(int(fd), events, 0)
		return n > 0 || (err != nil && !errors.Is(err, unix.EINTR))
	}
	for {
		if rerr := set.raw.Read(collect); rerr != nil || err != nil {
			s.opts.Logger.Error("engine: epoll_wait failed", "err", errors.Join(rerr, err))
			n = 0
		}
		p.mu.Lock()
		for _, ev := range events[:max(n, 0)] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == 0 {
				var b [8]byte
				_, _ = unix.Read(set.wake, b[:])
				continue
			}
			if w := p.lookupLocked(id); w != nil && w.readable() {
				s.workers.RunTask((*wsPollRead)(w))
			}
		}
		if p.count == 0 {
			p.set = nil
			p.mu.Unlock()
			set.close()
			return
		}
		p.mu.Unlock()
	}
}

// registerLocked gives w an id, records it under descriptor fd, puts it in
// state and adds fd to the set, edge triggered; p.mu is held, and fd is
// valid (the caller runs in w's Control). A descriptor that is readable
// already gets its readiness at once.
func (p *poller) registerLocked(w *wsConn, fd int, state int32) error {
	if p.next++; p.next == 0 {
		p.next = 1 // id 0 is the wake-up's
	}
	// An id is the descriptor and a generation: a readiness that comes
	// after the descriptor was closed, and its number given to another
	// connection, finds that connection's id instead, and is dropped.
	w.pollID = uint64(uint32(fd)) | uint64(p.next)<<32
	p.setLocked(fd, w) // before arming: the goroutine finds it
	w.poll.Store(state)
	ev := unix.EpollEvent{
		Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET,
		Fd:     int32(uint32(w.pollID)),
		Pad:    int32(uint32(w.pollID >> 32)),
	}
	return unix.EpollCtl(p.set.fd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// readable records a readiness of w, and reports whether the caller must
// start a worker to read it (w was armed); an owner reads again instead.
func (w *wsConn) readable() bool {
	for {
		switch w.poll.Load() {
		case pollArmed:
			if w.poll.CompareAndSwap(pollArmed, pollOwned) {
				return true
			}
		case pollOwned:
			if w.poll.CompareAndSwap(pollOwned, pollDirty) {
				return false
			}
		default:
			return false
		}
	}
}

// pollRead runs on a worker when w's descriptor is readable, or bytes
// are pending: it reads what came and handles every message in it, until
// the socket is drained, and gives the read side back; or it ends the
// connection.
func (w *wsConn) pollRead() {
	for {
		if end, stop := w.readReady(); stop {
			w.endPolled(end)
			return
		}
		// A read that filled its buffer may have left bytes whose arrival
		// made no new readiness: read until one comes back short.
		if !w.in.drained {
			continue
		}
		w.in.release()
		if w.rest() {
			return
		}
	}
}

// readReady reads what arrived, if nothing is pending yet, and handles
// every message pending, reading the rest of one that continues.
func (w *wsConn) readReady() (wsEnd, bool) {
	in := &w.in
	if in.buffered() == 0 {
		// One read, which never waits: it finds nothing if the readiness
		// was spurious.
		n, err := in.readDescriptor(nil, true)
		if err != nil {
			return readErrorEnd(err), true
		}
		in.r, in.w = 0, int32(n)
	}
	for in.buffered() > 0 {
		if end, stop := w.readMessage(); stop {
			return end, true
		}
	}
	return wsEnd{}, false
}

// wsPollRead is pollRead as a worker task (see wsReadPending).
type wsPollRead wsConn

func (t *wsPollRead) Run() { (*wsConn)(t).pollRead() }

// rest gives the read side back, and reports true; it reports false,
// keeping it, if a readiness came while it was owned: the caller reads
// again. If the connection was closed meanwhile, rest ends it, unless
// closeConn did.
func (w *wsConn) rest() bool {
	if !w.poll.CompareAndSwap(pollOwned, pollArmed) {
		w.poll.Store(pollOwned) // it was dirty; only an owner leaves that state
		return false
	}
	if w.closing.Load() && w.poll.CompareAndSwap(pollArmed, pollOwned) {
		w.endPolled(readErrorEnd(net.ErrClosed))
	}
	return true
}

// endPolled ends reading w, which the caller owns.
func (w *wsConn) endPolled(end wsEnd) {
	w.in.release()
	w.c.srv.poller.remove(w)
	w.finishReading(end)
}

// closeConn closes w's connection. If its descriptor was waiting for a
// readiness that now never comes, the connection's end runs here, on a
// goroutine of the server's.
func (w *wsConn) closeConn() {
	w.closing.Store(true) // before the CAS: see rest
	w.in.nc.Close()
	if w.poll.CompareAndSwap(pollArmed, pollOwned) {
		w.c.srv.goroutines.Go(func() { w.endPolled(readErrorEnd(net.ErrClosed)) })
	}
}
