package engine

import (
	"encoding/binary"
	"errors"
	"io"
	"slices"
)

// The framing of Engine.IO packets on a WebTransport stream, as
// engine.io-parser's createPacketEncoderStream and
// createPacketDecoderStream write and read it: each packet is a header,
// then its bytes. The header's first byte holds, in its low 7 bits, the
// length (under 126), or 126 followed by a 16-bit length, or 127 followed
// by a 64-bit length, all big-endian; its high bit marks a binary message,
// whose bytes are the bare payload. A text packet's bytes are its text
// form: the type digit, then the data.

// Errors of a WebTransport stream that does not hold packets.
var (
	errWTEmpty    = errors.New("engine: webtransport frame of length 0")
	errWTTooLarge = errors.New("engine: webtransport frame over MaxPayload")
)

// wtChunk bounds what is allocated for a frame before its bytes arrive.
const wtChunk = 64 << 10

// wtHeaderSize is the size of the header of a frame of n bytes.
func wtHeaderSize(n int) int {
	switch {
	case n < 126:
		return 1
	case n < 1<<16:
		return 3
	default:
		return 9
	}
}

// appendWTHeader appends the header of a frame of n bytes.
func appendWTHeader(dst []byte, n int, binaryData bool) []byte {
	var bin byte
	if binaryData {
		bin = 0x80
	}
	switch {
	case n < 126:
		return append(dst, bin|byte(n))
	case n < 1<<16:
		return binary.BigEndian.AppendUint16(append(dst, bin|126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(dst, bin|127), uint64(n))
	}
}

// wtFrameLen is the size of m's frame on a WebTransport stream.
func wtFrameLen(m *Message) int {
	n := m.packetLen()
	return wtHeaderSize(n) + n
}

// appendWTFrame appends m's frame. Raw WebSocket control frames have no
// WebTransport form and are skipped.
func appendWTFrame(dst []byte, m *Message) []byte {
	if m.raw {
		return dst
	}
	dst = appendWTHeader(dst, m.packetLen(), m.Binary)
	if !m.Binary {
		dst = append(dst, m.packetType())
	}
	return append(dst, m.Data...)
}

// wtFrames returns the frames of batch in one buffer.
func wtFrames(batch []*Message) []byte {
	n := 0
	for _, m := range batch {
		n += wtFrameLen(m)
	}
	out := make([]byte, 0, n)
	for _, m := range batch {
		out = appendWTFrame(out, m)
	}
	return out
}

// readWTFrame reads one frame from r: its bytes, and whether it is a
// binary message. A frame of length 0 or over limit is an error, as in
// engine.io-parser; so is a stream that ends inside a frame
// (io.ErrUnexpectedEOF). A stream that ends between frames returns io.EOF.
// What it allocates grows with the bytes that arrive, not with the length
// the header claims.
func readWTFrame(r io.Reader, hdr *[8]byte, limit int64) (data []byte, binaryData bool, err error) {
	if _, err := io.ReadFull(r, hdr[:1]); err != nil {
		return nil, false, err
	}
	binaryData = hdr[0]&0x80 != 0
	n := uint64(hdr[0] & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(r, hdr[:2]); err != nil {
			return nil, false, noEOF(err)
		}
		n = uint64(binary.BigEndian.Uint16(hdr[:2]))
	case 127:
		if _, err := io.ReadFull(r, hdr[:8]); err != nil {
			return nil, false, noEOF(err)
		}
		n = binary.BigEndian.Uint64(hdr[:8])
	}
	switch {
	case n == 0:
		return nil, false, errWTEmpty
	case n > uint64(limit):
		return nil, false, errWTTooLarge
	}
	data, err = readChunked(r, int(n))
	return data, binaryData, noEOF(err)
}

// readChunked reads exactly n bytes, allocating at most wtChunk more than
// what has arrived.
func readChunked(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, wtChunk))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), wtChunk))
		}
		m, err := io.ReadFull(r, buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// noEOF reports a stream that ended inside a frame as such.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
