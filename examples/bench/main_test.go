package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/socket"
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

// TestMetricsSwitch: METRICS=1 adds /metrics beside socket.io; without
// it, /metrics is not served.
func TestMetricsSwitch(t *testing.T) {
	srv := socket.NewServer(nil)
	defer srv.Shutdown(context.Background())
	for _, on := range []bool{true, false} {
		ts := httptest.NewServer(handler(srv, on))
		get := func(path string) (int, string) {
			res, err := http.Get(ts.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := get("/socket.io/?EIO=4&transport=polling"); code != 200 || !strings.HasPrefix(body, "0{") {
			t.Errorf("metrics %v: handshake %d %q", on, code, body)
		}
		code, body := get("/metrics")
		if on && (code != 200 || !strings.Contains(body, "\nsocketio_connections_total 0\n")) {
			t.Errorf("/metrics: %d %q", code, body)
		}
		if !on && code != 404 {
			t.Errorf("/metrics without METRICS=1: %d", code)
		}
		ts.Close()
	}
}
