package engine

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gobwas/ws"
)

// TestStatsTraffic counts message packets and their payload bytes per
// transport, and nothing else: not the open packet, not pings.
func TestStatsTraffic(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	if res := ts.do(t, "POST", pollQuery(sid), "4hello\x1e4abc"); res.status != 200 {
		t.Fatalf("POST: %d %s", res.status, res.body)
	}
	h.nextMessage(t)
	h.nextMessage(t)
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.body != "4hello\x1e4abc" {
		t.Fatalf("GET: %d %q", res.status, res.body)
	}
	wc := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	wc.read() // open
	wh := ts.session(t)
	wc.write(ws.OpBinary, "\x01\x02\x03")
	wh.nextMessage(t)
	wc.read()

	st := ts.eng.Stats()
	wantPolling := TransportStats{PacketsIn: 2, PacketsOut: 2, BytesIn: 8, BytesOut: 8}
	wantWS := TransportStats{PacketsIn: 1, PacketsOut: 1, BytesIn: 3, BytesOut: 3}
	if st.Polling != wantPolling || st.WebSocket != wantWS {
		t.Fatalf("Stats = %+v / %+v, want %+v / %+v", st.Polling, st.WebSocket, wantPolling, wantWS)
	}
}

// refusal is what Observer.Refused received.
type refusal struct {
	code       int
	msg, kind  string
	hasRequest bool
}

// TestStatsRefused checks each refusal category: the count, and the
// observer's code, message and request, as Node's connection_error gives.
func TestStatsRefused(t *testing.T) {
	t.Parallel()
	eng, conns := newRecordingServer(&Options{
		CORS:           CORS{Origins: []string{"https://ok.example"}},
		MaxHeaderBytes: 1024,
		AllowRequest: func(r *http.Request) error {
			if r.Header.Get("X-Deny") != "" {
				return errors.New("denied")
			}
			return nil
		},
	})
	var mu sync.Mutex
	var seen []refusal
	eng.SetObserver(Observer{Refused: func(r *http.Request, code int, msg, kind string) {
		mu.Lock()
		seen = append(seen, refusal{code, msg, kind, r != nil})
		mu.Unlock()
	}})
	ts := newTestServerWith(t, eng)
	ts.conns = conns

	ts.do(t, "GET", "EIO=4&transport=carrier-pigeon", "")
	ts.do(t, "GET", "EIO=4&transport=polling", "", "X-Deny", "1")
	ts.do(t, "GET", "EIO=4&transport=polling", "", "X-Big", strings.Repeat("x", 2000))
	if _, err := ts.tryDialWS("EIO=4&transport=websocket", http.Header{"Origin": {"https://evil.example"}}); err == nil {
		t.Fatal("WebSocket from a forbidden origin accepted")
	}
	want := []refusal{
		{0, "Transport unknown", RefusedBadRequest, true},
		{4, "denied", RefusedForbidden, true},
		{3, "Request Header Fields Too Large", RefusedLimits, true},
		{4, "Forbidden", RefusedCORS, true},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(want) {
		t.Fatalf("observed %+v, want %+v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("refusal %d = %+v, want %+v", i, seen[i], want[i])
		}
	}
	st := ts.eng.Stats()
	for _, k := range []string{RefusedBadRequest, RefusedForbidden, RefusedLimits, RefusedCORS} {
		if st.Refused[k] != 1 {
			t.Errorf("Refused[%q] = %d, want 1", k, st.Refused[k])
		}
	}
	if st.Refused[RefusedShutdown] != 0 {
		t.Errorf("Refused[shutdown] = %d", st.Refused[RefusedShutdown])
	}
}

// TestStatsQueueFull counts a session closed for a full write queue,
// once, and hands it to the observer.
func TestStatsQueueFull(t *testing.T) {
	t.Parallel()
	eng, conns := newRecordingServer(&Options{WriteQueueSize: 2})
	dropped := make(chan string, 2)
	eng.SetObserver(Observer{QueueFull: func(c *Conn) { dropped <- c.ID() }})
	ts := newTestServerWith(t, eng)
	ts.conns = conns
	sid, h := ts.handshake(t)
	msg := NewTextMessage([]byte("x"))
	if err := h.c.Send(msg, msg, msg); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send over the limit = %v", err)
	}
	h.closeReason(t)
	if got := wait(t, dropped); got != sid {
		t.Fatalf("observer got %q, want %q", got, sid)
	}
	if err := h.c.Send(msg, msg, msg); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after close = %v", err)
	}
	if n := ts.eng.Stats().QueueFull; n != 1 {
		t.Fatalf("QueueFull = %d, want 1", n)
	}
	if len(dropped) != 0 {
		t.Fatal("observer called twice")
	}
}
