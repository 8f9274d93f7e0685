package socket

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestHandshakeCookie: a cookie set by EngineOptions.InitialHeaders on the
// handshake answer is kept by the official client (withCredentials, its
// cookie jar under Node) and sent back on its later requests, the
// WebSocket upgrade included: what a sticky-session cookie needs. Headers
// sees every request after the handshake.
func TestHandshakeCookie(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	var mu sync.Mutex
	var seen []string // "transport cookie" of the requests after the handshake
	srv := NewServer(&Options{EngineOptions: EngineOptions{
		InitialHeaders: func(h http.Header, r *http.Request) {
			h.Add("Set-Cookie", "io=node-a; Path=/; HttpOnly; SameSite=Lax")
		},
		Headers: func(h http.Header, r *http.Request) {
			if r.URL.Query().Get("sid") == "" {
				return
			}
			mu.Lock()
			seen = append(seen, r.URL.Query().Get("transport")+" "+r.Header.Get("Cookie"))
			mu.Unlock()
		},
	}})
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("c", url, map[string]any{"withCredentials": true})
	d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
	d.Wait(match{"ev": "upgrade", "transport": "websocket"}, waitFor)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(seen, "polling io=node-a") || !slices.Contains(seen, "websocket io=node-a") {
		t.Errorf("requests after the handshake carried %q; want the cookie on polling and on the upgrade", seen)
	}
	for _, s := range seen {
		if !strings.HasSuffix(s, " io=node-a") {
			t.Errorf("a request carried %q", s)
		}
	}
}

// TestClientsCount: ClientsCount counts connections, not sockets: a
// client with two namespaces on one connection counts once.
func TestClientsCount(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	srv.Of("/other")
	url := serve(t, srv)
	if n := srv.ClientsCount(); n != 0 {
		t.Fatalf("ClientsCount = %d before any client", n)
	}
	d := peer.Client(t)
	d.Connect("a", url, map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "a"}, waitFor)
	d.Send(map[string]any{"cmd": "connect", "client": "a2", "manager": "a", "nsp": "/other"})
	d.Wait(match{"ev": "connect", "client": "a2"}, waitFor)
	d.Connect("b", url, map[string]any{"transports": []string{"polling"}})
	d.Wait(match{"ev": "connect", "client": "b"}, waitFor)
	if n := srv.ClientsCount(); n != 2 {
		t.Errorf("ClientsCount = %d, want 2", n)
	}
	d.Disconnect("b")
	eventually(t, "ClientsCount 1", func() bool { return srv.ClientsCount() == 1 })
}

// TestOnNewNamespace: the hook runs once for each namespace Of makes, and
// once for a dynamic child when the official client's socket makes it
// live, not again for the next socket of that child.
func TestOnNewNamespace(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	made := make(chan string, 10)
	srv.OnNewNamespace(func(nsp *Namespace) { made <- nsp.Name() })
	srv.Of("/static")
	srv.Of("/static")
	srv.Of("/")
	srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`))
	url := serve(t, srv)
	if got := wait(t, made); got != "/static" {
		t.Fatalf("first namespace made: %q", got)
	}
	d := peer.Client(t)
	for _, c := range []string{"c1", "c2"} {
		d.Connect(c, url+"/dyn-1", map[string]any{"transports": []string{"websocket"}})
		d.Wait(match{"ev": "connect", "client": c}, waitFor)
	}
	if got := wait(t, made); got != "/dyn-1" {
		t.Fatalf("namespace made: %q, want /dyn-1", got)
	}
	select {
	case got := <-made:
		t.Errorf("hook ran again, for %q", got)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestServerSideEmitWithAckAlone: with no other node, a server-side emit
// with ack returns no answers at once (Node's in-memory adapter never
// answers instead).
func TestServerSideEmitWithAckAlone(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	replies, err := srv.ServerSideEmitWithAck(ctx, "ping")
	if err != nil || len(replies) != 0 || ctx.Err() != nil {
		t.Errorf("ServerSideEmitWithAck = %v, %v (ctx %v); want none at once", replies, err, ctx.Err())
	}
}
