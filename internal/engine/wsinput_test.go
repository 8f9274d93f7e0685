//go:build unix

package engine

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// socketPair returns the two ends of a Unix socket pair: connections with
// a file descriptor, read through wsInput's descriptor path.
func socketPair(tb testing.TB) (net.Conn, net.Conn) {
	tb.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatal(err)
	}
	conn := func(fd int) net.Conn {
		f := os.NewFile(uintptr(fd), "")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	return conn(fds[0]), conn(fds[1])
}

// pipeConn is a net.Conn without a file descriptor, read through
// wsInput's buffered path, as a TLS connection is.
type pipeConn struct{ net.Conn }

// FuzzWebSocketRead feeds arbitrary bytes to the WebSocket reader of a
// server, through both read paths, and checks it ends with an error or
// messages within MaxPayload, never a panic or a hang.
func FuzzWebSocketRead(f *testing.F) {
	frame := func(op ws.OpCode, fin bool, p string) []byte {
		var b bytes.Buffer
		h := ws.Header{Fin: fin, OpCode: op, Length: int64(len(p)), Masked: true, Mask: [4]byte{1, 2, 3, 4}}
		_ = ws.WriteHeader(&b, h)
		q := []byte(p)
		ws.Cipher(q, h.Mask, 0)
		b.Write(q)
		return b.Bytes()
	}
	var two bytes.Buffer
	_ = wsutil.WriteClientText(&two, []byte("4hello"))
	_ = wsutil.WriteClientBinary(&two, bytes.Repeat([]byte{7}, 600))
	f.Add(two.Bytes(), false)
	f.Add(append(frame(ws.OpText, false, "4he"), append(frame(ws.OpPing, true, "p"), frame(ws.OpContinuation, true, "llo")...)...), true)
	f.Add(frame(ws.OpClose, true, "\x03\xe8"), false)
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, true) // a huge length
	f.Add([]byte{0x81}, false)
	f.Fuzz(func(t *testing.T, data []byte, buffered bool) {
		fuzzRead(t, data, buffered, false)
	})
}

// FuzzWebSocketReadDeflate is FuzzWebSocketRead on a connection that
// negotiated permessage-deflate: compressed messages inflate within
// MaxPayload, whatever their ratio, or end the connection.
func FuzzWebSocketReadDeflate(f *testing.F) {
	frame := func(fin, rsv1 bool, op ws.OpCode, p []byte) []byte {
		var b bytes.Buffer
		fr := ws.MaskFrame(ws.NewFrame(op, fin, p))
		fr.Header.Rsv = ws.Rsv(rsv1, false, false)
		_ = ws.WriteFrame(&b, fr)
		return b.Bytes()
	}
	z := deflateMessage(nil, []byte("4hello hello hello"))
	bomb := deflateMessage(nil, make([]byte, 1<<16))
	f.Add(frame(true, true, ws.OpText, z), false)
	f.Add(frame(true, true, ws.OpBinary, bomb), true)
	f.Add(append(frame(false, true, ws.OpText, z[:3]), frame(true, false, ws.OpContinuation, z[3:])...), false)
	f.Add(frame(true, true, ws.OpText, []byte{0xff, 0xff}), false)
	f.Add(frame(true, true, ws.OpPing, nil), true)
	f.Fuzz(func(t *testing.T, data []byte, buffered bool) {
		fuzzRead(t, data, buffered, true)
	})
}

// fuzzRead reads data as a server's WebSocket reader does, with or
// without permessage-deflate, until it ends; no message may pass
// MaxPayload.
func fuzzRead(t *testing.T, data []byte, buffered, deflate bool) {
	const limit = 1 << 12
	srv := &Server{opts: (&Options{MaxPayload: limit}).withDefaults()}
	server, client := socketPair(t)
	defer server.Close()
	var nc net.Conn = server
	if buffered {
		nc = pipeConn{server}
	}
	go func() {
		_, _ = client.Write(data)
		client.Close()
	}()
	w := &wsConn{codec: codec4{}, deflate: deflate}
	w.attach(&Conn{srv: srv, stripe: srv.nextStripe()})
	w.in.init(nc, nil)
	for {
		if err := w.in.wait(); err != nil {
			return
		}
		_, p, err := w.next()
		if err != nil {
			return
		}
		if len(p) > limit {
			t.Fatalf("message of %d bytes passed MaxPayload %d", len(p), limit)
		}
	}
}

// FuzzWholeMessages checks wholeMessages against gobwas/ws's header
// reader: bytes are whole messages when every frame header reads, every
// payload is there, and no message continues past the last frame. Headers
// the reader rejects are left to it.
func FuzzWholeMessages(f *testing.F) {
	var b bytes.Buffer
	_ = wsutil.WriteClientText(&b, []byte("4hello"))
	_ = wsutil.WriteClientBinary(&b, bytes.Repeat([]byte{7}, 300))
	f.Add(b.Bytes())
	f.Add([]byte{0x01, 0x81, 1, 2, 3, 4, 'a', 0x89, 0x80, 1, 2, 3, 4, 0x80, 0x81, 1, 2, 3, 4, 'b'}) // fragmented, a ping inside
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x82, 0xfe, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		want, decided := wholeByReader(b)
		if !decided {
			return
		}
		if got := wholeMessages(b); got != want {
			t.Fatalf("wholeMessages(% x) = %v, want %v", b, got, want)
		}
	})
}

// wholeByReader is the oracle of FuzzWholeMessages; decided is false when
// a header is invalid.
func wholeByReader(b []byte) (whole, decided bool) {
	r := bytes.NewReader(b)
	fragmented := false
	for r.Len() > 0 {
		h, err := ws.ReadHeader(r)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return false, true
		case err != nil:
			return false, false
		case h.Length > int64(r.Len()):
			return false, true
		}
		_, _ = r.Seek(h.Length, io.SeekCurrent)
		if !h.OpCode.IsControl() {
			fragmented = !h.Fin
		}
	}
	return !fragmented, true
}
