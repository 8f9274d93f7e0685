package engine

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// waitPolling waits until session sid has a GET pending.
func waitPolling(t *testing.T, ts *testServer, sid string) {
	t.Helper()
	c := ts.eng.sessions.get(sid)
	if c == nil {
		t.Fatalf("no session %s", sid)
	}
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		waiting := c.tr.writableLocked()
		c.mu.Unlock()
		if waiting {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("GET never pending")
}

func TestPollingEcho(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)

	pending := ts.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, ts, sid)
	res := ts.do(t, "POST", pollQuery(sid), "4hello\x1ebAQID\x1e4€")
	if res.status != 200 || res.body != "ok" || res.header.Get("Content-Type") != "text/html" {
		t.Fatalf("POST: %d %q %v", res.status, res.body, res.header)
	}
	for _, want := range []received{{"hello", false}, {"\x01\x02\x03", true}, {"€", false}} {
		if got := h.nextMessage(t); got != want {
			t.Fatalf("handler got %+v, want %+v", got, want)
		}
	}
	// The pending GET is answered by the first echo; the rest follows.
	got := wait(t, pending).body
	for !strings.HasSuffix(got, "4€") {
		res := ts.do(t, "GET", pollQuery(sid), "")
		got += "\x1e" + res.body
	}
	if got != "4hello\x1ebAQID\x1e4€" {
		t.Fatalf("echoes = %q", got)
	}
}

func TestPollingBatch(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	err := h.c.Send(NewTextMessage([]byte(`2["a"]`)), NewBinaryMessage([]byte{0xff, 0}), NewTextMessage([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	res := ts.do(t, "GET", pollQuery(sid), "")
	if res.status != 200 || res.body != "42[\"a\"]\x1eb/wA=\x1e4x" {
		t.Fatalf("GET = %d %q", res.status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Fatalf("Content-Type %q", ct)
	}
}

// TestPollingReusesQueue: the array a GET took goes back to the session
// once the answer is written, and later messages queue in it, as on a
// WebSocket: steady long-polling allocates no queue. (The session keeps two
// arrays in turn: one queues while the other is being written.)
func TestPollingReusesQueue(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	var arrays []**Message // each round's queue array
	for round := range 4 {
		if err := h.c.Send(NewTextMessage([]byte("a")), NewTextMessage([]byte("b"))); err != nil {
			t.Fatal(err)
		}
		h.c.mu.Lock()
		arrays = append(arrays, unsafe.SliceData(h.c.queue))
		h.c.mu.Unlock()
		if res := ts.do(t, "GET", pollQuery(sid), ""); res.body != "4a\x1e4b" {
			t.Fatalf("GET = %q", res.body)
		}
		if round >= 2 && arrays[round] != arrays[round-2] {
			t.Fatalf("round %d queued in a new array", round)
		}
	}
}

func TestPollingHandshakeCarriesAcceptSends(t *testing.T) {
	t.Parallel()
	eng := NewServer(nil, func(c *Conn) Handler {
		_ = c.Send(NewTextMessage([]byte("welcome")))
		return nil
	})
	ts := newTestServerWith(t, eng)
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	open, rest, _ := strings.Cut(res.body, "\x1e")
	parseOpen(t, open)
	if rest != "4welcome" {
		t.Fatalf("handshake response %q", res.body)
	}
}

func TestPollingDuplicateGET(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	first := ts.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, ts, sid)
	second := ts.do(t, "GET", pollQuery(sid), "")
	if second.status != 400 {
		t.Fatalf("second GET: %d %q", second.status, second.body)
	}
	if res := wait(t, first); res.status != 200 || res.body != "1" {
		t.Fatalf("first GET: %d %q", res.status, res.body)
	}
	if r := h.closeReason(t); r != ReasonTransportError {
		t.Fatalf("close reason %q", r)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.status != 400 || !strings.Contains(res.body, `"code":1`) {
		t.Fatalf("later GET: %d %q", res.status, res.body)
	}
	ts.echoOnce(t)
}

func TestPollingBadPOST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		ctype  string
		status int
		reason string
		msgs   int
	}{
		{name: "garbage", body: "xyz", status: 400, reason: ReasonParseError},
		{name: "empty", body: "", status: 400, reason: ReasonParseError},
		{name: "good then bad", body: "4ok\x1e9", status: 400, reason: ReasonParseError, msgs: 1},
		{name: "bad base64", body: "b%%%", status: 400, reason: ReasonParseError},
		{name: "octet-stream", body: "4x", ctype: "application/octet-stream", status: 400, reason: ReasonTransportError},
		{name: "client ping", body: "2", status: 200, reason: ReasonTransportError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, nil)
			sid, h := ts.handshake(t)
			req, _ := http.NewRequest("POST", ts.URL+"/?"+pollQuery(sid), strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			if res := ts.send(t, req); res.status != tt.status {
				t.Fatalf("POST %q: %d %q", tt.body, res.status, res.body)
			}
			for range tt.msgs {
				h.nextMessage(t)
			}
			if r := h.closeReason(t); r != tt.reason {
				t.Fatalf("close reason %q, want %q", r, tt.reason)
			}
			if res := ts.do(t, "GET", pollQuery(sid), ""); res.status != 400 {
				t.Fatalf("GET after bad POST: %d %q", res.status, res.body)
			}
			ts.echoOnce(t)
		})
	}
}

func TestPollingClientClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	pending := ts.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, ts, sid)
	if res := ts.do(t, "POST", pollQuery(sid), "1"); res.status != 200 || res.body != "ok" {
		t.Fatalf("POST close: %d %q", res.status, res.body)
	}
	if res := wait(t, pending); res.body != "6" {
		t.Fatalf("pending GET: %d %q", res.status, res.body)
	}
	if r := h.closeReason(t); r != ReasonTransportClose {
		t.Fatalf("close reason %q", r)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.status != 400 {
		t.Fatalf("GET after close: %d %q", res.status, res.body)
	}
	if err := h.c.Send(NewTextMessage(nil)); err != ErrClosed {
		t.Fatalf("Send after close = %v", err)
	}
}

func TestPollingMaxPayload(t *testing.T) {
	t.Parallel()
	for _, chunked := range []bool{false, true} {
		name := "content-length"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, &Options{MaxPayload: 100})
			post := func(sid, body string) response {
				var rb io.Reader = strings.NewReader(body)
				if chunked {
					rb = io.MultiReader(rb) // hides the length: sent chunked
				}
				req, _ := http.NewRequest("POST", ts.URL+"/?"+pollQuery(sid), rb)
				if chunked && req.ContentLength != 0 {
					t.Fatal("body length known")
				}
				return ts.send(t, req)
			}
			sid, h := ts.handshake(t)
			ok := "4" + strings.Repeat("a", 99)
			if res := post(sid, ok); res.status != 200 {
				t.Fatalf("POST at the limit: %d %q", res.status, res.body)
			}
			if m := h.nextMessage(t); len(m.data) != 99 {
				t.Fatalf("got %d bytes", len(m.data))
			}
			if res := post(sid, ok+"a"); res.status != 413 {
				t.Fatalf("POST over the limit: %d %q", res.status, res.body)
			}
			if r := h.closeReason(t); r != ReasonTransportError {
				t.Fatalf("close reason %q", r)
			}
			ts.echoOnce(t)
		})
	}
}

// TestPollingHeartbeat measures time: it does not run in parallel, and its
// bounds leave room for a loaded machine.
func TestPollingHeartbeat(t *testing.T) {
	t.Run("silent client", func(t *testing.T) {
		ts := newTestServer(t, &Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
		sid, h := ts.handshake(t)
		start := time.Now() // the server armed its timer before this
		if r := h.closeReason(t); r != ReasonPingTimeout {
			t.Fatalf("close reason %q", r)
		}
		// No grace period: closed at pingInterval+pingTimeout = 500 ms.
		if d := time.Since(start); d < 480*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("closed %v after the handshake, want 500ms", d)
		}
		if res := ts.do(t, "GET", pollQuery(sid), ""); res.status != 400 || !strings.Contains(res.body, `"code":1`) {
			t.Fatalf("GET after ping timeout: %d %q", res.status, res.body)
		}
	})

	t.Run("silent client GET at 560ms", func(t *testing.T) {
		ts := newTestServer(t, &Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
		sid, h := ts.handshake(t)
		time.Sleep(560 * time.Millisecond)
		res := ts.do(t, "GET", pollQuery(sid), "")
		if res.status == 200 && res.body == "2" {
			t.Skip("timers ran late on this machine (the ping came after 560ms)")
		}
		if res.status != 400 {
			t.Fatalf("GET at 560ms: %d %q", res.status, res.body)
		}
		if r := h.closeReason(t); r != ReasonPingTimeout {
			t.Fatalf("close reason %q", r)
		}
	})

	t.Run("answering client", func(t *testing.T) {
		ts := newTestServer(t, &Options{PingInterval: 200 * time.Millisecond, PingTimeout: time.Second})
		sid, h := ts.handshake(t)
		pings := 0
		for end := time.Now().Add(1300 * time.Millisecond); time.Now().Before(end); {
			res := ts.do(t, "GET", pollQuery(sid), "")
			if res.status != 200 || res.body != "2" {
				t.Fatalf("GET: %d %q", res.status, res.body)
			}
			pings++
			if res := ts.do(t, "POST", pollQuery(sid), "3"); res.status != 200 {
				t.Fatalf("POST pong: %d %q", res.status, res.body)
			}
		}
		if pings < 3 {
			t.Fatalf("%d pings in 1.3s", pings)
		}
		select {
		case r := <-h.closed:
			t.Fatalf("closed: %s", r)
		default:
		}
	})
}

func TestPollingClientGone(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	req, _ := http.NewRequest("GET", ts.URL+"/?"+pollQuery(sid), nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := ts.Client().Do(req.WithContext(ctx)); err == nil {
			res.Body.Close()
		}
	}()
	waitPolling(t, ts, sid)
	cancel()
	<-done
	if r := h.closeReason(t); r != ReasonTransportError {
		t.Fatalf("close reason %q", r) // Node: "poll connection closed prematurely"
	}
}

func TestPollingCloseFlushes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	if err := h.c.Send(NewTextMessage([]byte("last"))); err != nil {
		t.Fatal(err)
	}
	h.c.Close("")
	h.c.Close("again") // no effect
	if err := h.c.Send(NewTextMessage(nil)); err != ErrClosed {
		t.Fatalf("Send after Close = %v", err)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.body != "4last\x1e1" {
		t.Fatalf("GET after Close = %d %q", res.status, res.body)
	}
	if r := h.closeReason(t); r != ReasonForcedClose {
		t.Fatalf("close reason %q", r)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.status != 400 {
		t.Fatalf("GET after the close packet: %d", res.status)
	}
}

func TestPollingClosePendingGET(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	pending := ts.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, ts, sid)
	h.c.Close("bye now")
	if res := wait(t, pending); res.body != "1" {
		t.Fatalf("pending GET = %q", res.body)
	}
	if r := h.closeReason(t); r != "bye now" {
		t.Fatalf("close reason %q", r)
	}
}

// closingHandler closes its session on every message, as the socket layer
// does on a bad packet.
type closingHandler struct {
	c      *Conn
	closed chan string
}

func (h *closingHandler) HandleMessage([]byte, bool) { h.c.Close("parse error") }
func (h *closingHandler) HandleClose(reason string)  { h.closed <- reason }

// TestPollingCloseDuringPostKeepsConnectionUsable closes a session while
// its POST is being handled, then long-polls for another session: the
// client reuses the same keep-alive connection, and the abort of the
// first POST must not cancel the second session's GET on it.
func TestPollingCloseDuringPostKeepsConnectionUsable(t *testing.T) {
	t.Parallel()
	handlers := make(chan *closingHandler, 2)
	eng := NewServer(nil, func(c *Conn) Handler {
		h := &closingHandler{c: c, closed: make(chan string, 1)}
		handlers <- h
		return h
	})
	ts := newTestServerWith(t, eng)
	victim := parseOpen(t, ts.do(t, "GET", "EIO=4&transport=polling", "").body).SID
	if res := ts.do(t, "POST", pollQuery(victim), "4bad"); res.status != 200 {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	if r := wait(t, (<-handlers).closed); r != "parse error" {
		t.Fatalf("victim closed with %q", r)
	}
	if res := ts.do(t, "GET", pollQuery(victim), ""); res.body != "1" {
		t.Fatalf("GET of the closed session: %d %q", res.status, res.body)
	}
	sid := parseOpen(t, ts.do(t, "GET", "EIO=4&transport=polling", "").body).SID
	h := <-handlers
	pending := ts.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, ts, sid)
	if err := h.c.Send(NewTextMessage([]byte("hello"))); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, pending); res.status != 200 || res.body != "4hello" {
		t.Fatalf("GET of the next session: %d %q", res.status, res.body)
	}
}
