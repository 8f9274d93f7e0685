package engine

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
)

// wsReadBufferSize is the read buffer of a WebSocket while bytes are
// pending: big enough that a typical message (header and payload) comes in
// one read. Bigger payloads are read straight into their own memory.
const wsReadBufferSize = 512

// inputPool holds the read buffers of connections that have nothing
// pending, so that an idle connection keeps none.
var inputPool = sync.Pool{New: func() any { return new([wsReadBufferSize]byte) }}

// wsInput is the buffered read side of a WebSocket. It holds a buffer from
// inputPool only while bytes are pending. On a connection with a file
// descriptor (TCP, Unix), wait blocks without any buffer and the buffer is
// taken once bytes have arrived; on others (TLS) a buffer is held while
// waiting. Only one goroutine at a time may use it.
type wsInput struct {
	nc   net.Conn
	raw  syscall.RawConn // nc's descriptor, if it has one
	pre  []byte          // bytes that came behind the handshake request
	buf  *[wsReadBufferSize]byte
	r, w int32 // buf[r:w] is pending (int32: a connection keeps them for its life)

	// The descriptor read of readRaw, kept here so that the callback is
	// made once per connection.
	rawFn  func(fd uintptr) bool
	rawDst []byte
	rawN   int
	rawErr error
}

// init sets in to read nc, after the bytes pre.
func (in *wsInput) init(nc net.Conn, pre []byte) {
	in.nc, in.pre = nc, pre
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			in.raw = raw
			in.rawFn = in.readFD
		}
	}
}

// buffered reports how many bytes are pending.
func (in *wsInput) buffered() int { return len(in.pre) + int(in.w-in.r) }

// wait blocks until at least one byte is pending.
func (in *wsInput) wait() error {
	if in.buffered() > 0 {
		return nil
	}
	return in.fill()
}

// release gives the buffer back to the pool once nothing is pending.
func (in *wsInput) release() {
	if in.buf != nil && in.r == in.w {
		inputPool.Put(in.buf)
		in.buf, in.r, in.w = nil, 0, 0
	}
}

// Read implements io.Reader over the pending bytes, then the connection.
// A read as big as the buffer bypasses it.
func (in *wsInput) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(in.pre) > 0 {
		n := copy(p, in.pre)
		in.pre = in.pre[n:]
		return n, nil
	}
	if in.r == in.w {
		in.release()
		if len(p) >= wsReadBufferSize {
			return in.readConn(p)
		}
		if err := in.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, in.buf[in.r:in.w])
	in.r += int32(n)
	return n, nil
}

// fill reads from the connection into an empty buffer, blocking until at
// least one byte comes. Where the connection allows, it waits with no
// buffer at all.
func (in *wsInput) fill() error {
	in.release()
	var n int
	var err error
	if in.raw != nil {
		n, err = in.readConn(nil)
	} else {
		in.buf = inputPool.Get().(*[wsReadBufferSize]byte)
		n, err = in.readConn(in.buf[:])
	}
	in.r, in.w = 0, int32(n)
	in.release()
	return err
}

// readConn reads once from the connection into p; with p nil, into a
// buffer it takes from the pool when bytes have arrived. It returns io.EOF
// rather than an empty read.
func (in *wsInput) readConn(p []byte) (int, error) {
	if in.raw == nil {
		n, err := in.nc.Read(p)
		if n > 0 {
			return n, nil
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, err
	}
	in.rawDst, in.rawN, in.rawErr = p, 0, nil
	if err := in.raw.Read(in.rawFn); err != nil {
		return 0, err
	}
	n, err := in.rawN, in.rawErr
	in.rawDst = nil
	return n, err
}

// readFD is the RawConn callback of readConn: it reports false (wait for
// the descriptor to be readable) while the read would block.
func (in *wsInput) readFD(fd uintptr) bool {
	dst := in.rawDst
	if dst == nil {
		if in.buf == nil {
			in.buf = inputPool.Get().(*[wsReadBufferSize]byte)
		}
		dst = in.buf[:]
	}
	for {
		n, err := syscall.Read(int(fd), dst)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			if in.rawDst == nil {
				inputPool.Put(in.buf)
				in.buf = nil
			}
			return false
		case err != nil:
			in.rawErr = err
		case n == 0:
			in.rawErr = io.EOF
		default:
			in.rawN = n
		}
		if in.rawErr != nil && in.rawDst == nil {
			inputPool.Put(in.buf)
			in.buf = nil
		}
		return true
	}
}
