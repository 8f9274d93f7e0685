package engine

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestWTFrameRoundTrip: every header form (1, 3 and 9 bytes) reads back
// what appendWTFrame wrote, text and binary, and the bytes of the header
// forms are engine.io-parser's.
func TestWTFrameRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		n      int
		binary bool
		header []byte // the frame's first bytes
	}{
		{1, false, []byte{0x01}},
		{125, true, []byte{0xfd}},
		{126, false, []byte{126, 0, 126}},
		{65535, true, []byte{0x80 | 126, 0xff, 0xff}},
		{65536, false, []byte{127, 0, 0, 0, 0, 0, 1, 0, 0}},
		{200_000, true, []byte{0x80 | 127, 0, 0, 0, 0, 0, 3, 0x0d, 0x40}},
	} {
		var m *Message
		if tc.binary {
			m = NewBinaryMessage(bytes.Repeat([]byte{0xfe}, tc.n))
		} else {
			m = NewTextMessage([]byte(strings.Repeat("é", tc.n)[:tc.n-1]))
		}
		frame := appendWTFrame(nil, m)
		if !bytes.HasPrefix(frame, tc.header) || len(frame) != wtFrameLen(m) {
			t.Fatalf("n=%d: frame starts % x (len %d), want % x (len %d)", tc.n, frame[:min(9, len(frame))], len(frame), tc.header, wtFrameLen(m))
		}
		var hdr [8]byte
		data, bin, err := readWTFrame(bytes.NewReader(frame), &hdr, 1<<20)
		if err != nil || bin != tc.binary || len(data) != tc.n {
			t.Fatalf("n=%d: read %d bytes binary=%v err=%v", tc.n, len(data), bin, err)
		}
		if tc.binary && !bytes.Equal(data, m.Data) || !tc.binary && (data[0] != typeMessage || !bytes.Equal(data[1:], m.Data)) {
			t.Fatalf("n=%d: the payload did not come back", tc.n)
		}
	}
}

// TestWTFrameErrors: a frame of length 0, one over the limit (however
// large the length it claims), and a stream that ends inside a frame are
// errors; a stream that ends between frames is io.EOF.
func TestWTFrameErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"end between frames", nil, io.EOF},
		{"length 0", []byte{0x00}, errWTEmpty},
		{"binary length 0", []byte{0x80}, errWTEmpty},
		{"16-bit length 0", []byte{126, 0, 0}, errWTEmpty},
		{"over the limit", []byte{126, 0x04, 0x01}, errWTTooLarge},
		{"2^64-1 bytes", []byte{127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, errWTTooLarge},
		{"cut in the 16-bit length", []byte{126, 0}, io.ErrUnexpectedEOF},
		{"cut in the 64-bit length", []byte{127, 0, 0, 0}, io.ErrUnexpectedEOF},
		{"cut in the payload", []byte{0x05, '4', 'a'}, io.ErrUnexpectedEOF},
	} {
		var hdr [8]byte
		_, _, err := readWTFrame(bytes.NewReader(tc.in), &hdr, 1024)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestWTFrameAllocatesWhatArrives: a header that claims the whole limit
// but sends a few bytes costs wtChunk at most, not the claimed length.
func TestWTFrameAllocatesWhatArrives(t *testing.T) {
	in := append([]byte{127, 0, 0, 0, 0, 0x3b, 0x9a, 0xca, 0x00}, "4abc"...) // 10^9 bytes claimed
	allocs := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var hdr [8]byte
			_, _, _ = readWTFrame(bytes.NewReader(in), &hdr, 2_000_000_000)
		}
	})
	if per := allocs.AllocedBytesPerOp(); per > 2*wtChunk {
		t.Fatalf("%d bytes allocated for a frame cut after 4 bytes", per)
	}
}

// FuzzWTFrame: whatever the stream holds, reading frames never panics,
// never returns more than the limit or an empty frame, and each frame it
// returns is written back by appendWTHeader as a frame that reads the same.
func FuzzWTFrame(f *testing.F) {
	f.Add([]byte{0x02, '4', 'a', 0x83, 1, 2, 3})
	f.Add([]byte{126, 0, 3, '2', 'x', 'y'})
	f.Add([]byte{127, 0, 0, 0, 0, 0, 0, 0, 1, '6'})
	f.Add([]byte{0x00})
	f.Add([]byte{127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1 << 12
		r := bytes.NewReader(in)
		var hdr [8]byte
		for {
			data, bin, err := readWTFrame(r, &hdr, limit)
			if err != nil {
				return
			}
			if len(data) == 0 || len(data) > limit {
				t.Fatalf("a frame of %d bytes", len(data))
			}
			again := append(appendWTHeader(nil, len(data), bin), data...)
			data2, bin2, err := readWTFrame(bytes.NewReader(again), &hdr, limit)
			if err != nil || bin2 != bin || !bytes.Equal(data2, data) {
				t.Fatalf("frame % x did not read back: %v", again, err)
			}
		}
	})
}
