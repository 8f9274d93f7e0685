package randid

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	t.Parallel()
	const count = 20000
	seen := make(map[string]bool, count)
	used := make(map[rune]int)
	for range count {
		id := New(Len)
		if len(id) != Len {
			t.Fatalf("New(%d) = %q, %d characters", Len, id, len(id))
		}
		if seen[id] {
			t.Fatalf("New(%d) returned %q twice", Len, id)
		}
		seen[id] = true
		for _, c := range id {
			if !strings.ContainsRune(alphabet, c) {
				t.Fatalf("New(%d) = %q: %q is not URL-safe base64", Len, id, c)
			}
			used[c]++
		}
	}
	// Each of the 64 characters is expected count*Len/64 = 6250 times; a
	// mapping that loses bits would leave some out or favour some.
	for _, c := range alphabet {
		if n := used[c]; n < 5000 || n > 7500 {
			t.Errorf("%q appears %d times in %d ids, want about 6250", c, n, count)
		}
	}
	for _, n := range []int{0, 6, 16} {
		if got := New(n); len(got) != n {
			t.Errorf("New(%d) = %q", n, got)
		}
	}
}
