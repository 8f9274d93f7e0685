package socket

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

func TestOptionsPathTransportsCORS(t *testing.T) {
	t.Parallel()
	srv := NewServer(&Options{
		Path:       "/rt",
		Transports: []string{WebSocket},
		CORS:       CORS{Origins: []string{"http://app.example"}, Credentials: true},
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
	if s1.In("staff") == s2.In("staff") {
		t.Errorf("SocketsLeave on one child: in staff %v and %v", s1.In("staff"), s2.In("staff"))
	}
	_ = orgs.To("staff").Emit("memo")
	// x, on /org-1, left staff; y, on /org-2, is still in it.
	d.Never(match{"ev": "event", "client": "x", "name": "memo"}, 100*time.Millisecond)
	d.Wait(match{"ev": "event", "client": "y", "name": "memo"}, waitFor)
}

// TestOptionsCORSEveryField sets every CORS field through Options and sees
// each one take effect on the wire.
func TestOptionsCORSEveryField(t *testing.T) {
	t.Parallel()
	srv := NewServer(&Options{CORS: CORS{
		Origins:     []string{"http://listed.example"}, // AllowOrigin decides instead
		AllowOrigin: func(origin string) bool { return strings.HasSuffix(origin, ".good.example") },
		Credentials: true,
		Headers:     []string{"x-a", "x-b"},
		MaxAge:      10 * time.Minute,
	}})
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
