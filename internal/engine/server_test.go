package engine

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

var openRE = regexp.MustCompile(`^0\{"sid":"([A-Za-z0-9_-]{20})","upgrades":(\[[^\]]*\]),"pingInterval":(\d+),"pingTimeout":(\d+),"maxPayload":(\d+)\}$`)

func TestHandshakePolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	res := ts.do(t, "GET", "EIO=4&transport=polling&t=N8hyd6w", "")
	if res.status != 200 {
		t.Fatalf("status %d %q", res.status, res.body)
	}
	m := openRE.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("open packet %q", res.body)
	}
	want := `0{"sid":"` + m[1] + `","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`
	if res.body != want {
		t.Fatalf("open packet\n got %s\nwant %s", res.body, want)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	h := ts.session(t)
	if h.c.ID() != m[1] || h.c.Transport() != "polling" || ts.eng.Count() != 1 {
		t.Fatalf("conn id %q transport %q count %d", h.c.ID(), h.c.Transport(), ts.eng.Count())
	}
	req := h.c.Request()
	if !strings.Contains(req.RequestURI, "&t=N8hyd6w") || req.RemoteAddr == "" || req.TLS != nil {
		t.Fatalf("Request() = %+v", req)
	}
	if host := req.Header.Get("Host"); host == "" || !strings.HasSuffix(ts.URL, host) {
		t.Fatalf("Request().Header Host = %q, server at %s", host, ts.URL)
	}
}

func TestHandshakeOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{
			name: "custom",
			opts: Options{PingInterval: 1500 * time.Millisecond, PingTimeout: 700 * time.Millisecond, MaxPayload: 42},
			want: `"upgrades":["websocket"],"pingInterval":1500,"pingTimeout":700,"maxPayload":42}`,
		},
		{
			name: "upgrades disabled",
			opts: Options{DisableUpgrades: true},
			want: `"upgrades":[],"pingInterval":25000`,
		},
		{
			name: "polling only",
			opts: Options{Transports: []string{"polling"}},
			want: `"upgrades":[],"pingInterval":25000`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, &tt.opts)
			res := ts.do(t, "GET", "EIO=4&transport=polling", "")
			if !strings.Contains(res.body, tt.want) || !openRE.MatchString(res.body) {
				t.Fatalf("open packet %q, want it to contain %q", res.body, tt.want)
			}
		})
	}
}

func TestHandshakeWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	op, p := c.read()
	m := openRE.FindStringSubmatch(p)
	if op != ws.OpText || m == nil || m[2] != "[]" {
		t.Fatalf("open frame %v %q", op, p)
	}
	h := ts.session(t)
	if h.c.Transport() != "websocket" || h.c.ID() != m[1] {
		t.Fatalf("transport %q id %q", h.c.Transport(), h.c.ID())
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{CORS: CORS{Origins: []string{"https://ok.example"}}})
	upgradedSID, _ := ts.handshake(t)
	up := ts.dialWS(t, "EIO=4&transport=websocket&sid="+upgradedSID, nil)
	up.write(ws.OpText, "2probe")
	up.expectText("3probe")
	up.write(ws.OpText, "5")
	waitTransport(t, ts, upgradedSID, "websocket")

	tests := []struct {
		name   string
		method string
		query  string
		hdr    []string
		status int
		body   string
	}{
		{"unknown transport", "GET", "EIO=4&transport=tobi", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"no transport", "GET", "EIO=4", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"webtransport", "GET", "EIO=4&transport=webtransport", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"unknown sid", "GET", "EIO=4&transport=polling&sid=nope", nil, 400, `{"code":1,"message":"Session ID unknown"}`},
		{"unknown sid post", "POST", "EIO=4&transport=polling&sid=nope", nil, 400, `{"code":1,"message":"Session ID unknown"}`},
		{"post handshake", "POST", "EIO=4&transport=polling", nil, 400, `{"code":2,"message":"Bad handshake method"}`},
		{"put handshake", "PUT", "EIO=4&transport=polling", nil, 400, `{"code":2,"message":"Bad handshake method"}`},
		{"websocket without upgrade", "GET", "EIO=4&transport=websocket", nil, 400, `{"code":3,"message":"Bad request"}`},
		{"polling on upgraded session", "GET", pollQuery(upgradedSID), nil, 400, `{"code":3,"message":"Bad request"}`},
		{"post on upgraded session", "POST", pollQuery(upgradedSID), nil, 400, `{"code":3,"message":"Bad request"}`},
		{"EIO 3", "GET", "EIO=3&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"no EIO", "GET", "transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"garbage EIO", "GET", "EIO=abc&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO 5", "GET", "EIO=5&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ts.do(t, tt.method, tt.query, "", append(tt.hdr, "Origin", "https://ok.example")...)
			if res.status != tt.status || res.body != tt.body {
				t.Fatalf("got %d %s, want %d %s", res.status, res.body, tt.status, tt.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			if o := res.header.Get("Access-Control-Allow-Origin"); o != "https://ok.example" {
				t.Fatalf("no CORS header on an error: %q", o)
			}
		})
	}
	ts.echoOnce(t)
}

// waitTransport waits until session sid is on transport.
func waitTransport(t *testing.T, ts *testServer, sid, transport string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if c := ts.eng.sessions.get(sid); c != nil && c.Transport() == transport {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("session %s never on %s", sid, transport)
}

func TestOtherMethodOnSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, _ := ts.handshake(t)
	if res := ts.do(t, "PUT", pollQuery(sid), ""); res.status != 500 {
		t.Fatalf("PUT on a session: %d %q", res.status, res.body)
	}
	if res := ts.do(t, "OPTIONS", "EIO=4&transport=polling", ""); res.status != 400 || !strings.Contains(res.body, `"code":2`) {
		t.Fatalf("OPTIONS without CORS: %d %q", res.status, res.body)
	}
}

func TestAllowRequest(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{AllowRequest: func(r *http.Request) error {
		switch r.Header.Get("X-Token") {
		case "ok":
			return nil
		case "custom":
			return errors.New("Not allowed here")
		}
		return errors.New("")
	}})
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != 403 || res.body != `{"code":4,"message":"Forbidden"}` {
		t.Fatalf("refused handshake: %d %s", res.status, res.body)
	}
	res = ts.do(t, "GET", "EIO=4&transport=polling", "", "X-Token", "custom")
	if res.status != 403 || res.body != `{"code":4,"message":"Not allowed here"}` {
		t.Fatalf("refused handshake with message: %d %s", res.status, res.body)
	}
	if _, err := ts.tryDialWS("EIO=4&transport=websocket", nil); err == nil {
		t.Fatal("WebSocket handshake allowed")
	}
	res = ts.do(t, "GET", "EIO=4&transport=polling", "", "X-Token", "ok")
	if res.status != 200 {
		t.Fatalf("allowed handshake: %d %s", res.status, res.body)
	}
	ts.session(t)
}

func TestCORS(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{CORS: CORS{
		Origins:     []string{"https://ok.example"},
		Credentials: true,
		MaxAge:      10 * time.Minute,
	}})
	res := ts.do(t, "OPTIONS", "EIO=4&transport=polling", "",
		"Origin", "https://ok.example", "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,x-token")
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://ok.example",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Methods":     "GET,POST",
		"Access-Control-Allow-Headers":     "content-type,x-token",
		"Access-Control-Max-Age":           "600",
	}
	if res.status != 204 {
		t.Fatalf("preflight status %d", res.status)
	}
	for k, v := range want {
		if got := res.header.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(strings.Join(res.header.Values("Vary"), ","), "Origin") {
		t.Errorf("preflight Vary = %q", res.header.Values("Vary"))
	}

	res = ts.do(t, "GET", "EIO=4&transport=polling", "", "Origin", "https://ok.example")
	if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "https://ok.example" ||
		res.header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("allowed origin: %d %v", res.status, res.header)
	}
	ts.session(t)
	res = ts.do(t, "GET", "EIO=4&transport=polling", "", "Origin", "https://evil.example")
	if res.status != 200 || res.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("disallowed origin on polling: %d %v", res.status, res.header) // Node's cors: no header, browser blocks
	}
	ts.session(t)

	hdr := http.Header{"Origin": {"https://evil.example"}}
	if _, err := ts.tryDialWS("EIO=4&transport=websocket", hdr); err == nil {
		t.Fatal("WebSocket from a disallowed origin accepted")
	} else if !strings.Contains(err.Error(), "403") {
		t.Fatalf("WebSocket from a disallowed origin: %v", err)
	}
	c := ts.dialWS(t, "EIO=4&transport=websocket", http.Header{"Origin": {"https://ok.example"}})
	c.read()
	ts.session(t)
	c = ts.dialWS(t, "EIO=4&transport=websocket", nil) // no Origin: not a browser
	c.read()
	ts.session(t)
}

func TestCORSAnyOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cors CORS
		want string
	}{
		{name: "star", cors: CORS{Origins: []string{"*"}}, want: "*"},
		{name: "star with credentials", cors: CORS{Origins: []string{"*"}, Credentials: true}, want: "https://a.example"},
		{name: "func", cors: CORS{AllowOrigin: func(o string) bool { return strings.HasSuffix(o, ".example") }}, want: "https://a.example"},
		{name: "func refuses", cors: CORS{AllowOrigin: func(string) bool { return false }}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, &Options{CORS: tt.cors})
			res := ts.do(t, "OPTIONS", "EIO=4&transport=polling", "", "Origin", "https://a.example")
			if got := res.header.Get("Access-Control-Allow-Origin"); res.status != 204 || got != tt.want {
				t.Fatalf("preflight: %d Allow-Origin %q, want %q", res.status, got, tt.want)
			}
		})
	}
}

func TestWebSocketOnly(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{Transports: []string{"websocket"}})
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != 400 || res.body != `{"code":0,"message":"Transport unknown"}` {
		t.Fatalf("polling handshake: %d %s", res.status, res.body)
	}
	c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	if _, p := c.read(); !strings.Contains(p, `"upgrades":[]`) {
		t.Fatalf("open %q", p)
	}
	h := ts.session(t)
	c.write(ws.OpText, "4hi")
	c.expectText("4hi")
	if m := h.nextMessage(t); m.data != "hi" {
		t.Fatalf("got %q", m.data)
	}
}

func TestPollingOnlyRefusesWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{Transports: []string{"polling"}})
	sid, _ := ts.handshake(t)
	if _, err := ts.tryDialWS("EIO=4&transport=websocket&sid="+sid, nil); err == nil {
		t.Fatal("upgrade accepted on a polling-only server")
	}
	if _, err := ts.tryDialWS("EIO=4&transport=websocket", nil); err == nil {
		t.Fatal("WebSocket accepted on a polling-only server")
	}
	ts.echoOnce(t)
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)

	pollSID, ph := ts.handshake(t)
	pending := ts.doAsync(t, "GET", pollQuery(pollSID), "")
	waitPolling(t, ts, pollSID)

	c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	c.read()
	wh := ts.session(t)
	if err := wh.c.Send(NewTextMessage([]byte("bye"))); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ts.eng.Shutdown(ctx) }()

	if res := wait(t, pending); res.status != 200 || res.body != "1" {
		t.Fatalf("pending GET on shutdown: %d %q", res.status, res.body)
	}
	c.expectText("4bye")
	if _, sawClose := c.expectClosed(); !sawClose {
		t.Fatal("no close frame on shutdown")
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for _, h := range []*recorder{ph, wh} {
		if r := h.closeReason(t); r != ReasonServerShutdown {
			t.Fatalf("close reason %q", r)
		}
	}
	if ts.eng.Count() != 0 {
		t.Fatalf("Count after Shutdown = %d", ts.eng.Count())
	}
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != 503 || res.body != `{"code":3,"message":"Server shutting down"}` {
		t.Fatalf("handshake after Shutdown: %d %s", res.status, res.body)
	}
	if _, err := ts.tryDialWS("EIO=4&transport=websocket", nil); err == nil {
		t.Fatal("WebSocket handshake after Shutdown accepted")
	}
}

func TestShutdownDeadline(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c := ts.dialWS(t, "EIO=4&transport=websocket", nil) // never answers the close frame
	c.read()
	h := ts.session(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.eng.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if r := h.closeReason(t); r != ReasonServerShutdown {
		t.Fatalf("close reason %q", r)
	}
	c.expectClosed()
}

func TestShutdownIdlePolling(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	_ = h.c.Send(NewTextMessage([]byte("lost")))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ts.eng.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if r := h.closeReason(t); r != ReasonServerShutdown {
		t.Fatalf("close reason %q", r)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.status != 400 {
		t.Fatalf("GET after Shutdown: %d %q", res.status, res.body)
	}
}

func TestManySessions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	var wg sync.WaitGroup
	sids := make([]string, 40)
	for i := range sids {
		wg.Go(func() {
			res := ts.do(t, "GET", "EIO=4&transport=polling", "")
			sids[i] = parseOpen(t, res.body).SID
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, s := range sids {
		if seen[s] {
			t.Fatalf("sid %s twice", s)
		}
		seen[s] = true
	}
	if ts.eng.Count() != len(sids) {
		t.Fatalf("Count = %d, want %d", ts.eng.Count(), len(sids))
	}
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want query
	}{
		{"EIO=4&transport=polling&t=x", query{eio: "4", transport: "polling"}},
		{"transport=websocket&sid=a%2Db&EIO=4", query{eio: "4", transport: "websocket", sid: "a-b"}},
		{"EIO=3&EIO=4", query{eio: "4"}},
		{"sid=%zz", query{sid: "%zz"}},
		{"", query{}},
		{"&&=&EIO", query{}},
	}
	for _, tt := range tests {
		if got := parseQuery(tt.raw); got != tt.want {
			t.Errorf("parseQuery(%q) = %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}
