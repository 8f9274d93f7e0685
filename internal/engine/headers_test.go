package engine

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gobwas/ws"
)

// headerHooks returns Options whose InitialHeaders sets a cookie and whose
// Headers sets X-Every with the request's method.
func headerHooks() *Options {
	return &Options{
		InitialHeaders: func(h http.Header, r *http.Request) {
			h.Add("Set-Cookie", "io=sticky-1; Path=/; HttpOnly")
		},
		Headers: func(h http.Header, r *http.Request) { h.Set("X-Every", r.Method) },
	}
}

func TestHeaderHooksPolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, headerHooks())
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != 200 {
		t.Fatalf("handshake: %d %s", res.status, res.body)
	}
	if got := res.header.Get("Set-Cookie"); got != "io=sticky-1; Path=/; HttpOnly" {
		t.Errorf("handshake Set-Cookie = %q", got)
	}
	if got := res.header.Get("X-Every"); got != "GET" {
		t.Errorf("handshake X-Every = %q, want GET", got)
	}
	sid := parseOpen(t, res.body).SID
	ts.session(t)

	post := ts.do(t, "POST", pollQuery(sid), "4hi")
	if post.status != 200 || post.header.Get("X-Every") != "POST" || post.header.Get("Set-Cookie") != "" {
		t.Errorf("POST: %d, X-Every %q, Set-Cookie %q; want 200, POST, none",
			post.status, post.header.Get("X-Every"), post.header.Get("Set-Cookie"))
	}
	get := ts.do(t, "GET", pollQuery(sid), "")
	if get.status != 200 || get.header.Get("X-Every") != "GET" || get.header.Get("Set-Cookie") != "" {
		t.Errorf("GET: %d, X-Every %q, Set-Cookie %q; want 200, GET, none",
			get.status, get.header.Get("X-Every"), get.header.Get("Set-Cookie"))
	}
	bad := ts.do(t, "GET", pollQuery("nope"), "")
	if bad.status != 400 || bad.header.Get("X-Every") != "" || bad.header.Get("Set-Cookie") != "" {
		t.Errorf("refused GET: %d with X-Every %q, Set-Cookie %q; want 400 without hooks",
			bad.status, bad.header.Get("X-Every"), bad.header.Get("Set-Cookie"))
	}
}

func TestHeaderHooksWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, headerHooks())
	// A WebSocket without a sid is a handshake: both hooks.
	h := dialHeaders(t, ts, "EIO=4&transport=websocket")
	if h.Get("Set-Cookie") != "io=sticky-1; Path=/; HttpOnly" || h.Get("X-Every") != "GET" {
		t.Errorf("direct WebSocket: Set-Cookie %q, X-Every %q", h.Get("Set-Cookie"), h.Get("X-Every"))
	}
	ts.session(t)
	// The upgrade of a polling session is not: Headers only.
	sid, _ := ts.handshake(t)
	h = dialHeaders(t, ts, "EIO=4&transport=websocket&sid="+sid)
	if h.Get("Set-Cookie") != "" || h.Get("X-Every") != "GET" {
		t.Errorf("upgrade: Set-Cookie %q, X-Every %q; want none, GET", h.Get("Set-Cookie"), h.Get("X-Every"))
	}
}

// dialHeaders opens a WebSocket with query and returns the headers of the
// server's 101 answer.
func dialHeaders(t *testing.T, ts *testServer, query string) http.Header {
	t.Helper()
	var mu sync.Mutex
	h := make(http.Header)
	d := ws.Dialer{Timeout: waitTimeout, OnHeader: func(k, v []byte) error {
		mu.Lock()
		h.Add(string(k), string(v))
		mu.Unlock()
		return nil
	}}
	conn, _, _, err := d.Dial(context.Background(), "ws"+strings.TrimPrefix(ts.URL, "http")+"/?"+query)
	if err != nil {
		t.Fatalf("dial %s: %v", query, err)
	}
	t.Cleanup(func() { conn.Close() })
	mu.Lock()
	defer mu.Unlock()
	return h
}
