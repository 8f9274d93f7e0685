package engine

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

// TestHandshakeHeaderBound: a handshake whose headers pass MaxHeaderBytes
// is refused with 431 and leaves no session; one within it is served.
// Before, every session kept up to the http.Server's 1 MB of headers.
func TestHandshakeHeaderBound(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{MaxHeaderBytes: 4096})
	big := strings.Repeat("x", 5000)
	if res := ts.do(t, "GET", "EIO=4&transport=polling", "", "X-Big", big); res.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("polling handshake with 5 KB of headers: %d %q", res.status, res.body)
	}
	if _, err := ts.tryDialWS("EIO=4&transport=websocket", http.Header{"X-Big": {big}}); err == nil {
		t.Fatal("WebSocket handshake with 5 KB of headers accepted")
	}
	if n := ts.eng.Count(); n != 0 {
		t.Fatalf("%d sessions after refused handshakes", n)
	}
	if res := ts.do(t, "GET", "EIO=4&transport=polling", "", "X-Small", big[:1000]); res.status != 200 {
		t.Fatalf("handshake within the bound: %d %q", res.status, res.body)
	}
}

// TestSlowPOSTEndsWithSession: a POST whose body trickles in is cut short
// when its session closes, instead of holding its goroutine and
// connection for as long as the client trickles.
func TestSlowPOSTEndsWithSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	nc, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "POST /?%s HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n4", pollQuery(sid))
	time.Sleep(50 * time.Millisecond) // the POST is being read
	h.c.Close("")
	_ = nc.SetReadDeadline(time.Now().Add(waitTimeout))
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("the trickling POST was not answered when its session closed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("trickling POST answered %d", resp.StatusCode)
	}
}

// serveWithTimeouts serves eng behind an http.Server whose ReadTimeout
// and WriteTimeout are shorter than the ping interval.
func serveWithTimeouts(t *testing.T, eng *Server, timeout time.Duration) *testServer {
	t.Helper()
	hs := httptest.NewUnstartedServer(eng)
	hs.Config.ReadTimeout, hs.Config.WriteTimeout = timeout, timeout
	hs.Start()
	ts := &testServer{Server: hs, eng: eng}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = eng.Shutdown(ctx)
		hs.Close()
	})
	return ts
}

// TestServerTimeoutsShorterThanPing: behind an http.Server with
// ReadTimeout and WriteTimeout shorter than PingInterval, a polling client
// and a WebSocket client that answer every ping stay connected across
// several pings. Before, the long-poll answer failed silently after
// WriteTimeout and the session died of ping timeout.
func TestServerTimeoutsShorterThanPing(t *testing.T) {
	t.Parallel()
	eng, conns := newRecordingServer(&Options{PingInterval: 400 * time.Millisecond, PingTimeout: 300 * time.Millisecond})
	ts := serveWithTimeouts(t, eng, 150*time.Millisecond)
	ts.conns = conns

	t.Run("polling", func(t *testing.T) {
		sid, h := ts.handshake(t)
		for pings := 0; pings < 4; {
			res := ts.do(t, "GET", pollQuery(sid), "")
			if res.status != 200 {
				t.Fatalf("GET after %d pings: %d %q", pings, res.status, res.body)
			}
			if res.body == "2" {
				pings++
				ts.do(t, "POST", pollQuery(sid), "3")
			}
		}
		select {
		case r := <-h.closed:
			t.Fatalf("closed: %s", r)
		default:
		}
	})
	t.Run("websocket", func(t *testing.T) {
		c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
		c.read() // open
		for range 4 {
			if _, p := c.read(); p != "2" {
				t.Fatalf("got %q, want a ping", p)
			}
			c.write(ws.OpText, "3")
		}
		c.write(ws.OpText, "4still")
		c.expectText("4still")
	})
}

// TestUpgradeReleasesPollAfterCheck: once the probe is answered, the
// pending GET is released with a noop at Node's 100 ms check, not at
// once: socket.io-client's "should not emit a packet twice in the
// 'connect' handler" counts a poll that returns early.
func TestUpgradeReleasesPollAfterCheck(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, _ := ts.handshake(t)
	pending := ts.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, ts, sid)
	c := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	c.write(ws.OpText, "2probe")
	c.expectText("3probe")
	select {
	case res := <-pending:
		t.Fatalf("pending GET answered at once after the probe: %q", res.body)
	case <-time.After(upgradeCheckInterval / 2):
	}
	if res := wait(t, pending); res.body != "6" {
		t.Fatalf("pending GET during upgrade answered %q", res.body)
	}
}
