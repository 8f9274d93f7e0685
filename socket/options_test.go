package socket

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

func TestOptionsPathTransportsCORS(t *testing.T) {
	t.Parallel()
	srv := NewServer(&Options{
		Path: "/rt",
		EngineOptions: EngineOptions{
			Transports: []string{WebSocket},
			CORS:       CORS{Origins: []string{"http://app.example"}, Credentials: true},
		},
	})
	url := serve(t, srv)
	get := func(path, origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, url+path, nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/socket.io/?EIO=4&transport=polling", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("default path still served: %d", resp.StatusCode)
	}
	resp := get("/rt/?EIO=4&transport=polling", "http://app.example")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("polling with WebSocket-only transports: %d", resp.StatusCode)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "http://app.example" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("CORS headers = %v", resp.Header)
	}
}

func TestInteropOnAnyAndSocketBroadcast(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	seen := make(chan string, 8)
	srv.OnConnection(func(s *Socket) {
		s.OnAny(func(s *Socket, event string, args Args) { seen <- event + ":" + args.String(0) })
		s.OnEvent("announce", func(s *Socket, args Args, _ AckFunc) {
			_ = s.Broadcast().Emit("announced", args.Value(0))
		})
	})
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("a", url, nil)
	d.Connect("b", url, nil)
	d.Wait(match{"ev": "connect", "client": "a"}, waitFor)
	d.Wait(match{"ev": "connect", "client": "b"}, waitFor)
	d.Emit("a", "announce", "hello")
	d.Emit("a", "unhandled", "x")
	if got := wait(t, seen) + " " + wait(t, seen); got != "announce:hello unhandled:x" {
		t.Errorf("OnAny saw %q", got)
	}
	d.Wait(match{"ev": "event", "client": "b", "name": "announced"}, waitFor)
	d.Never(match{"ev": "event", "client": "a", "name": "announced"}, 100*time.Millisecond)
}

func TestInteropSocketsLeaveAndRegexpNamespace(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	orgs := srv.OfRegexp(regexp.MustCompile(`^/org-\d+$`))
	joined := make(chan *Socket, 2)
	orgs.OnConnection(func(s *Socket) { s.Join("staff"); joined <- s })
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("x", url+"/org-1", nil)
	d.Connect("y", url+"/org-2", nil)
	d.Connect("z", url+"/org-x", map[string]any{"reconnection": false})
	if e := d.Wait(match{"ev": "connect_error", "client": "z"}, waitFor); e.String("message") != "Invalid namespace" {
		t.Errorf("non-matching name: %v", e)
	}
	s1, s2 := wait(t, joined), wait(t, joined)
	ctx := context.Background()
	if n, _ := orgs.To("staff").Count(ctx); n != 2 {
		t.Errorf("staff across children = %d, want 2", n)
	}
	if err := srv.Of("/org-1").In("staff").SocketsLeave(ctx, "staff"); err != nil {
		t.Fatal(err)
	}
	if s1.InRoom("staff") == s2.InRoom("staff") {
		t.Errorf("SocketsLeave on one child: in staff %v and %v", s1.InRoom("staff"), s2.InRoom("staff"))
	}
	_ = orgs.To("staff").Emit("memo")
	// x, on /org-1, left staff; y, on /org-2, is still in it.
	d.Never(match{"ev": "event", "client": "x", "name": "memo"}, 100*time.Millisecond)
	d.Wait(match{"ev": "event", "client": "y", "name": "memo"}, waitFor)
}

func TestOptionsMaxPendingEvents(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want int }{{0, 256}, {1, 1}, {1000, 1000}, {-1, -1}} {
		if got := (&Options{MaxPendingEvents: c.in}).withDefaults().MaxPendingEvents; got != c.want {
			t.Errorf("MaxPendingEvents %d: got %d, want %d", c.in, got, c.want)
		}
	}
	if got := (*Options)(nil).withDefaults().MaxPendingEvents; got != 256 {
		t.Errorf("nil Options: MaxPendingEvents %d, want 256", got)
	}
}

// TestOptionsCORSEveryField sets every CORS field through Options and sees
// each one take effect on the wire.
func TestOptionsCORSEveryField(t *testing.T) {
	t.Parallel()
	srv := NewServer(&Options{EngineOptions: EngineOptions{CORS: CORS{
		Origins:     []string{"http://listed.example"}, // AllowOrigin decides instead
		AllowOrigin: func(origin string) bool { return strings.HasSuffix(origin, ".good.example") },
		Credentials: true,
		Headers:     []string{"x-a", "x-b"},
		MaxAge:      10 * time.Minute,
	}}})
	url := serve(t, srv) + "/socket.io/?EIO=4&transport=polling"
	send := func(method, origin string) http.Header {
		req, _ := http.NewRequest(method, url, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Headers", "x-c")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	h := send(http.MethodOptions, "https://app.good.example")
	want := map[string]string{
		"Access-Control-Allow-Origin":      "https://app.good.example",
		"Access-Control-Allow-Credentials": "true",
		"Access-Control-Allow-Headers":     "x-a,x-b",
		"Access-Control-Max-Age":           "600",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("preflight %s = %q, want %q", k, got, v)
		}
	}
	if got := send(http.MethodGet, "http://listed.example").Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("an origin AllowOrigin refuses got Access-Control-Allow-Origin %q", got)
	}
}

// handshake opens an Engine.IO session on srv and returns its open packet.
func handshake(t *testing.T, srv *Server) map[string]any {
	t.Helper()
	resp, err := http.Get(serve(t, srv) + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var open map[string]any
	if len(body) == 0 || body[0] != '0' || json.Unmarshal(body[1:], &open) != nil {
		t.Fatalf("handshake: %d %q", resp.StatusCode, body)
	}
	return open
}

// TestOptionsReachTheEngine sets Engine.IO settings through Options, in a
// literal and by assignment to the promoted fields, and sees them in the
// handshake the engine answers.
func TestOptionsReachTheEngine(t *testing.T) {
	t.Parallel()
	opts := &Options{EngineOptions: EngineOptions{PingInterval: 1234 * time.Millisecond, DisableUpgrades: true}}
	opts.PingTimeout = 567 * time.Millisecond
	opts.MaxPayload = 4321
	srv := NewServer(opts)
	opts.MaxPayload = 1 // copied: no effect
	open := handshake(t, srv)
	if open["pingInterval"] != 1234.0 || open["pingTimeout"] != 567.0 || open["maxPayload"] != 4321.0 ||
		fmt.Sprint(open["upgrades"]) != "[]" {
		t.Errorf("open packet = %v", open)
	}
}

// TestOptionsDefaults checks the defaults, set in one place (the Engine.IO
// ones by engine.Defaults), as both layers see them.
func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	for _, opts := range []*Options{nil, {}} {
		srv := NewServer(opts)
		o := srv.opts
		if o.Path != "/socket.io/" || o.ConnectTimeout != 45*time.Second || o.Adapter == nil ||
			o.PingInterval != 25*time.Second || o.BatchInterval != 50*time.Millisecond ||
			o.WriteQueueSize != 1024 || o.Logger == nil || !slices.Equal(o.Transports, []string{Polling, WebSocket}) {
			t.Errorf("NewServer(%v) options = %+v", opts, o)
		}
		open := handshake(t, srv)
		if open["pingInterval"] != 25000.0 || open["pingTimeout"] != 20000.0 || open["maxPayload"] != 1e6 ||
			fmt.Sprint(open["upgrades"]) != "[websocket]" {
			t.Errorf("open packet = %v", open)
		}
	}
}
