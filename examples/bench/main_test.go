package main

import (
	"testing"
	"time"
)

func TestNodeDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"2m": 2 * time.Minute, "30s": 30 * time.Second, "1500ms": 1500 * time.Millisecond, "250": 250 * time.Millisecond,
	} {
		if got, err := nodeDuration(in); err != nil || got != want {
			t.Errorf("nodeDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2h", "1.5s", "-1s", "s"} {
		if _, err := nodeDuration(in); err == nil {
			t.Errorf("nodeDuration(%q): no error", in)
		}
	}
}
