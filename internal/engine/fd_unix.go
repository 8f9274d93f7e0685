//go:build unix && !envivo_portable

package engine

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// The descriptor fast path: on Unix, a WebSocket over TCP or a Unix socket
// is read and written through its file descriptor. An idle connection then
// waits in the poller with no buffer, a message that arrives whole costs
// one read, and a send is written on the sender's goroutine when the
// socket buffer takes it at once. Build with the tag envivo_portable to use
// the portable path (fd_other.go) instead, as every other platform and
// TLS connections do.

// useDescriptor sets w up to use its connection's descriptor, if it has
// one.
func (w *wsConn) useDescriptor() {
	sc, ok := w.in.nc.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	w.in.raw = raw
}

// descriptorRead is one read of a connection's input through its
// descriptor, and what came back. It is pooled with the RawConn callback
// that does it, so that a read allocates nothing and no connection carries
// a callback or its results while idle.
type descriptorRead struct {
	in   *wsInput
	dst  []byte // where to read; nil: into the input's pooled buffer
	once bool   // never wait: a read that would block finds nothing
	n    int
	err  error
	fn   func(fd uintptr) bool // made once per descriptorRead
}

var descriptorReads = sync.Pool{New: func() any {
	op := new(descriptorRead)
	op.fn = func(fd uintptr) bool {
		var done bool
		op.n, done, op.err = op.in.readFD(fd, op.dst)
		return done || op.once
	}
	return op
}}

// readDescriptor reads once from the descriptor into p (nil: into the
// pooled buffer, which it keeps only if bytes came); with once, it does
// not wait for bytes to come.
func (in *wsInput) readDescriptor(p []byte, once bool) (int, error) {
	op := descriptorReads.Get().(*descriptorRead)
	op.in, op.dst, op.once, op.n, op.err = in, p, once, 0, nil
	err := in.raw.Read(op.fn)
	n := op.n
	if err == nil {
		err = op.err
	}
	op.in, op.dst, op.err = nil, nil, nil
	descriptorReads.Put(op)
	return n, err
}

// readRaw reads once from the descriptor, as readConn asks (see readFD).
func (in *wsInput) readRaw(p []byte) (int, error) { return in.readDescriptor(p, false) }

// waitCall is the RawConn callback of wait, waitFD, pooled as
// descriptorRead is.
type waitCall struct {
	w   *wsConn
	err error
	fn  func(fd uintptr) bool // made once per waitCall, calls c.waitFD
}

var waitCalls = sync.Pool{New: func() any {
	c := new(waitCall)
	c.fn = c.waitFD
	return c
}}

// wait blocks until bytes are pending that the loop must hand off itself,
// or a worker that waitFD started still runs, or the connection fails.
func (w *wsConn) wait() error {
	in := &w.in
	if in.raw == nil || in.buffered() > 0 {
		return in.wait()
	}
	c := waitCalls.Get().(*waitCall)
	c.w, c.err = w, nil
	err := in.raw.Read(c.fn)
	if err == nil {
		err = c.err
	}
	c.w, c.err = nil, nil
	waitCalls.Put(c)
	return err
}

// waitFD is the RawConn callback of wait. It reads what has arrived; when
// that is whole messages only, it hands them to a worker and asks to wait
// again (returns false) without reading until the descriptor is readable:
// the short read it made drained the socket, and the poller keeps any
// arrival after it. It returns true, leaving the wait, when the read found
// a frame or message that continues, or filled the buffer, or failed, or
// when the previous worker still holds the buffer.
func (c *waitCall) waitFD(fd uintptr) bool {
	w := c.w
	in := &w.in
	if w.handing.Load() {
		return true
	}
	n, done, err := in.readFD(fd, nil) // into a pooled buffer, as fill does
	if !done {
		return false // nothing came: wait
	}
	if err != nil {
		c.err = err
		return true
	}
	in.r, in.w = 0, int32(n)
	if n == len(in.buf) || !wholeMessages(in.buf[:n]) {
		return true
	}
	w.handing.Store(true)
	w.handOff()
	return false
}

// readFD reads once from descriptor fd into dst or, with dst nil, into
// in.buf, which it takes from the pool and gives back unless bytes came.
// It reports done false, with nothing read, while the read would block;
// an empty read is io.EOF.
func (in *wsInput) readFD(fd uintptr, dst []byte) (n int, done bool, err error) {
	pooled := dst == nil
	if pooled {
		if in.buf == nil {
			in.buf = inputPool.Get().(*[wsReadBufferSize]byte)
		}
		dst = in.buf[:]
	}
	for {
		n, err = syscall.Read(int(fd), dst)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			in.drained = true
			if pooled {
				inputPool.Put(in.buf)
				in.buf = nil
			}
			return 0, false, nil
		case err == nil && n == 0:
			err = io.EOF
		case err == nil:
			in.drained = n < len(dst)
			return n, true, nil
		}
		if pooled {
			inputPool.Put(in.buf)
			in.buf = nil
		}
		return 0, true, err
	}
}

// writeNow writes as much of frames, in order, as the socket buffer takes
// at once, in one system call (writev for several), without blocking; a
// full buffer is not an error. It returns how many bytes went out. It
// moves the write deadline as the flusher does: one that passed would fail
// the write.
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
	op := nowWrites.Get().(*nowWrite)
	defer nowWrites.Put(op)
	op.frames, op.n, op.err = frames, 0, nil
	err := w.in.raw.Write(op.fn)
	if err == nil {
		err = op.err
	}
	n := op.n
	op.frames = nil
	clear(op.iov)
	return n, err
}

// writeBuffers writes bufs whole, in order, in as few system calls as the
// socket buffer allows, waiting while it is full (until the write
// deadline), with w.wmu held. Through the descriptor, it leaves nothing
// behind: net.Buffers.WriteTo on the connection would keep a vector on it
// for the rest of its life, about 56 bytes of every idle connection.
func (w *wsConn) writeBuffers(bufs [][]byte) error {
	if w.in.raw == nil {
		b := net.Buffers(bufs)
		_, err := b.WriteTo(w.in.nc)
		return err
	}
	op := nowWrites.Get().(*nowWrite)
	defer nowWrites.Put(op)
	op.frames, op.n, op.err, op.whole = bufs, 0, nil, true
	err := w.in.raw.Write(op.fn)
	if err == nil {
		err = op.err
	}
	op.frames, op.whole = nil, false
	clear(op.iov)
	return err
}

// nowWrite is the descriptor write of writeNow and writeBuffers, pooled
// with its callback and its vector so that a write allocates nothing.
type nowWrite struct {
	frames [][]byte
	n      int  // bytes written
	whole  bool // wait for the socket buffer until every frame is written
	err    error
	iov    []syscall.Iovec
	fn     func(fd uintptr) bool // write, made once
}

var nowWrites = sync.Pool{New: func() any {
	op := new(nowWrite)
	op.fn = op.write
	return op
}}

// maxIovecs bounds the vector of one writev (the kernel's IOV_MAX).
const maxIovecs = 1024

// write is the RawConn callback. It stops at the first short write, when
// the socket buffer is full: for writeNow, which never waits, that ends
// the write; for writeBuffers (op.whole), it asks to wait until the
// buffer has room.
func (op *nowWrite) write(fd uintptr) bool {
	for {
		want := op.vector()
		if want == 0 {
			return true
		}
		m, err := op.writeVector(fd)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case err != nil && !errors.Is(err, syscall.EAGAIN):
			op.err = err
		case m > 0:
			op.n += m
			if m == want {
				continue // more than one vector's worth
			}
			return !op.whole
		default:
			return !op.whole // EAGAIN
		}
		return true
	}
}

// vector fills op.iov with what follows the op.n bytes written, at most
// maxIovecs buffers, and returns its length in bytes.
func (op *nowWrite) vector() int {
	op.iov = op.iov[:0]
	skip, want := op.n, 0
	for _, f := range op.frames {
		if skip >= len(f) {
			skip -= len(f)
			continue
		}
		f = f[skip:]
		skip = 0
		v := syscall.Iovec{Base: &f[0]}
		v.SetLen(len(f))
		op.iov = append(op.iov, v)
		want += len(f)
		if len(op.iov) == maxIovecs {
			break
		}
	}
	return want
}

// writeVector writes op.iov in one system call.
func (op *nowWrite) writeVector(fd uintptr) (int, error) {
	if len(op.iov) == 1 {
		v := op.iov[0]
		return syscall.Write(int(fd), unsafe.Slice(v.Base, v.Len))
	}
	m, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&op.iov[0])), uintptr(len(op.iov)))
	if errno != 0 {
		return 0, errno
	}
	return int(m), nil
}
