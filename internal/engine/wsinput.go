package engine

import (
	"encoding/binary"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"

	"github.com/gobwas/ws"
)

// wsChunk bounds what is allocated for a payload before its bytes arrive.
const wsChunk = 64 << 10

// wsReadBufferSize is the read buffer of a WebSocket while bytes are
// pending: big enough that a typical message (header and payload) comes in
// one read. Bigger payloads are read straight into their own memory.
const wsReadBufferSize = 512

// inputPool holds the read buffers of connections that have nothing
// pending, so that an idle connection keeps none.
var inputPool = sync.Pool{New: func() any { return new([wsReadBufferSize]byte) }}

// wsInput is the buffered read side of a WebSocket, and the reading of its
// frames. It holds a buffer from
// inputPool only while bytes are pending. On a connection with a file
// descriptor (TCP, Unix), wait blocks without any buffer and the buffer is
// taken once bytes have arrived; on others (TLS) a buffer is held while
// waiting. Only one goroutine at a time may use it.
type wsInput struct {
	nc      net.Conn        // the WebSocket's connection, which wsConn writes to too
	raw     syscall.RawConn // nc's descriptor, if it has one
	pre     []byte          // bytes that came behind the handshake request
	buf     *[wsReadBufferSize]byte
	r, w    int32 // buf[r:w] is pending (int32: a connection keeps them for its life)
	drained bool  // the last descriptor read came back short: nothing was left
}

// init sets in to read nc, after the bytes pre.
func (in *wsInput) init(nc net.Conn, pre []byte) {
	in.nc, in.pre = nc, pre
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
	return in.readRaw(p)
}

// wholeMessages reports whether b holds whole frames only, the last of
// them ending a message: reading them needs no byte more. Headers are not
// checked otherwise; the reader reports what is wrong with them.
func wholeMessages(b []byte) bool {
	fragmented := false // a message continues in a later frame
	for len(b) > 0 {
		if len(b) < 2 {
			return false
		}
		size, length := uint64(2), uint64(b[1]&0x7f)
		switch length {
		case 126:
			size += 2
			if uint64(len(b)) < size {
				return false
			}
			length = uint64(binary.BigEndian.Uint16(b[2:]))
		case 127:
			size += 8
			if uint64(len(b)) < size {
				return false
			}
			length = binary.BigEndian.Uint64(b[2:])
		}
		if b[1]&0x80 != 0 {
			size += 4 // mask key
		}
		if uint64(len(b)) < size || uint64(len(b))-size < length {
			return false
		}
		if op := ws.OpCode(b[0] & 0x0f); !op.IsControl() {
			fragmented = b[0]&0x80 == 0
		}
		b = b[size+length:]
	}
	return !fragmented
}

// next returns the next data message or control frame, unmasked.
// Fragmented messages are reassembled, and inflated if they came
// compressed; control frames between fragments are returned as they come.
func (w *wsConn) next() (ws.OpCode, []byte, error) {
	limit := w.c.srv.opts.MaxPayload
	for {
		h, err := ws.ReadHeaderBuffer(&w.in, w.hdr[:])
		if err != nil {
			return 0, nil, err
		}
		state := ws.StateServerSide | ws.StateExtended // checkRsv checks the reserved bits
		if w.frag != nil {
			state |= ws.StateFragmented
		}
		if err := ws.CheckHeader(h, state); err != nil {
			return 0, nil, err
		}
		compressed, err := w.checkRsv(h)
		if err != nil {
			return 0, nil, err
		}
		if !h.OpCode.IsControl() && (h.Length > limit || int64(len(w.frag)) > limit-h.Length) {
			return 0, nil, errWSTooLarge
		}
		p, err := readPayload(&w.in, h.Length)
		if err != nil {
			return 0, nil, err
		}
		ws.Cipher(p, h.Mask, 0)
		switch {
		case h.OpCode.IsControl():
			return h.OpCode, p, nil
		case h.OpCode == ws.OpContinuation:
			w.frag = append(w.frag, p...)
		case h.Fin:
			return w.message(h.OpCode, p, compressed)
		default:
			w.fragOp, w.fragZ, w.frag = h.OpCode, compressed, p
			if w.frag == nil {
				w.frag = []byte{}
			}
		}
		if h.Fin && h.OpCode == ws.OpContinuation {
			p := w.frag
			w.frag = nil
			return w.message(w.fragOp, p, w.fragZ)
		}
	}
}

// readPayload reads n bytes. Memory grows as the bytes arrive beyond
// wsChunk, so a peer that announces a big frame and sends nothing does not
// make the server allocate it.
func readPayload(r io.Reader, n int64) ([]byte, error) {
	if n <= wsChunk {
		p := make([]byte, n)
		_, err := io.ReadFull(r, p)
		return p, eofIsUnexpected(err)
	}
	p := make([]byte, 0, wsChunk)
	for int64(len(p)) < n {
		if len(p) == cap(p) {
			p = slices.Grow(p, int(min(n-int64(len(p)), int64(cap(p)))))
		}
		m, err := r.Read(p[len(p):min(int64(cap(p)), n)])
		p = p[:len(p)+m]
		if err != nil && int64(len(p)) < n {
			return nil, eofIsUnexpected(err)
		}
	}
	return p, nil
}

func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
