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
