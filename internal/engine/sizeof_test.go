package engine

import (
	"testing"
	"unsafe"
)

// TestSizeof keeps the structs that every WebSocket session holds within
// their allocator size class: a field that pushes one past it costs every
// connection the next class's bytes, 32 or more, which no benchmark of a
// few connections shows. Rearrange the fields, or move rarely used ones
// behind a pointer, before raising a limit.
func TestSizeof(t *testing.T) {
	for _, c := range []struct {
		name       string
		size, want uintptr
	}{
		{"Conn", unsafe.Sizeof(Conn{}), 256},
		{"wsConn", unsafe.Sizeof(wsConn{}), 256},
	} {
		if c.size > c.want {
			t.Errorf("%s is %d bytes, over its size class of %d", c.name, c.size, c.want)
		}
	}
}

// TestSendFieldsShareALine keeps what a send reads of a Conn in its first
// 64 bytes. A Conn is allocated in the 256-byte class, whose objects start
// on a cache line, so a broadcast touches one line of each recipient's
// Conn, not three.
func TestSendFieldsShareALine(t *testing.T) {
	var c Conn
	for _, f := range []struct {
		name        string
		offset, len uintptr
	}{
		{"srv", unsafe.Offsetof(c.srv), unsafe.Sizeof(c.srv)},
		{"mu", unsafe.Offsetof(c.mu), unsafe.Sizeof(c.mu)},
		{"tr", unsafe.Offsetof(c.tr), unsafe.Sizeof(c.tr)},
		{"queue", unsafe.Offsetof(c.queue), unsafe.Sizeof(c.queue)},
		{"state", unsafe.Offsetof(c.state), unsafe.Sizeof(c.state)},
		{"overflowed", unsafe.Offsetof(c.overflowed), unsafe.Sizeof(c.overflowed)},
	} {
		if f.offset+f.len > 64 {
			t.Errorf("Conn.%s ends at byte %d, past the first cache line", f.name, f.offset+f.len)
		}
	}
	if unsafe.Sizeof(c) <= 128 || unsafe.Sizeof(c) > 256 {
		t.Errorf("Conn is %d bytes: no longer in the 256-byte class, whose objects start on a line", unsafe.Sizeof(c))
	}
}
