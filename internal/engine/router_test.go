package engine

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// forwardedHeader marks the requests testRouter forwarded, so that each is
// forwarded at most once.
const forwardedHeader = "X-Test-Forwarded"

// testRouter mints ids that start with its server's name (one letter) and
// forwards a request to the server whose name starts the sid, through
// httputil.ReverseProxy, as a cluster's router does.
type testRouter struct {
	name  string
	peers map[string]string // name -> base URL, set before the first request
}

func (rt *testRouter) NewID() string { return rt.name + newSID() }

func (rt *testRouter) Route(r *http.Request, sid string) http.Handler {
	base, ok := rt.peers[sid[:1]]
	if !ok || sid[:1] == rt.name || r.Header.Get(forwardedHeader) != "" {
		return nil
	}
	u, _ := url.Parse(base)
	return &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Header.Set(forwardedHeader, rt.name)
	}}
}

// newRoutedPair starts servers A and B whose routers forward to each other.
func newRoutedPair(t *testing.T, opts Options) (a, b *testServer) {
	t.Helper()
	peers := map[string]string{}
	oa, ob := opts, opts
	oa.Router = &testRouter{name: "A", peers: peers}
	ob.Router = &testRouter{name: "B", peers: peers}
	a, b = newTestServer(t, &oa), newTestServer(t, &ob)
	peers["A"], peers["B"] = a.URL, b.URL
	return a, b
}

func TestRouterForwardsPollingAndUpgrade(t *testing.T) {
	t.Parallel()
	a, b := newRoutedPair(t, Options{CORS: CORS{Origins: []string{"https://app.example"}}})
	sid, h := a.handshake(t)
	if !strings.HasPrefix(sid, "A") || len(sid) != 1+20 {
		t.Fatalf("sid %q: not minted by A's router", sid)
	}
	res := b.do(t, "POST", pollQuery(sid), "4hi", "Origin", "https://app.example")
	if res.status != 200 || res.body != "ok" {
		t.Fatalf("POST through B: %d %q", res.status, res.body)
	}
	if got := res.header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != "https://app.example" {
		t.Fatalf("POST through B: Access-Control-Allow-Origin %q, want the owner's one value", got)
	}
	if m := h.nextMessage(t); m.data != "hi" {
		t.Fatalf("A's handler got %q", m.data)
	}
	if res := b.do(t, "GET", pollQuery(sid), ""); res.body != "4hi" {
		t.Fatalf("GET through B: %d %q", res.status, res.body)
	}
	if b.eng.Count() != 0 {
		t.Fatalf("B holds %d sessions", b.eng.Count())
	}

	pending := b.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, a, sid)
	c := b.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	c.write(ws.OpText, "2probe")
	c.expectText("3probe")
	if res := wait(t, pending); res.body != "6" {
		t.Fatalf("pending GET through B during upgrade: %d %q", res.status, res.body)
	}
	c.write(ws.OpText, "5")
	waitTransport(t, a, sid, TransportWebSocket)
	c.write(ws.OpText, "4over ws")
	c.expectText("4over ws")
	if res := b.do(t, "GET", pollQuery(sid), ""); res.status != 400 || res.body != `{"code":3,"message":"Bad request"}` {
		t.Fatalf("GET through B after upgrade: %d %q, want the owner's 400", res.status, res.body)
	}
}

func TestRouterUnknownSession(t *testing.T) {
	t.Parallel()
	_, b := newRoutedPair(t, Options{CORS: CORS{Origins: []string{"*"}}})
	const unknown = `{"code":1,"message":"Session ID unknown"}`
	for _, sid := range []string{"A" + newSID(), "B" + newSID(), "C" + newSID()} {
		if res := b.do(t, "GET", pollQuery(sid), ""); res.status != 400 || res.body != unknown {
			t.Fatalf("GET %s on B: %d %q", sid, res.status, res.body)
		}
	}
	// A preflight is answered where it lands, whatever its sid.
	res := b.do(t, "OPTIONS", pollQuery("A"+newSID()), "", "Origin", "https://x.example")
	if res.status != http.StatusNoContent {
		t.Fatalf("preflight on B: %d %q", res.status, res.body)
	}
}

// fixedRouter mints the same id every time and routes nothing.
type fixedRouter struct{ id string }

func (f fixedRouter) NewID() string                            { return f.id }
func (f fixedRouter) Route(*http.Request, string) http.Handler { return nil }

func TestRouterBadIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", "short", `quote"` + newSID(), strings.Repeat("a", 65)} {
		ts := newTestServer(t, &Options{Router: fixedRouter{id}})
		if sid, _ := ts.handshake(t); len(sid) != 20 || sid == id {
			t.Fatalf("NewID %q: sid %q, want a random one", id, sid)
		}
	}
	// A Router that repeats itself: the second session gets a random id.
	id := "Z" + newSID()
	ts := newTestServer(t, &Options{Router: fixedRouter{id}})
	first, _ := ts.handshake(t)
	second, _ := ts.handshake(t)
	if first != id || second == id || len(second) != 20 {
		t.Fatalf("sids %q then %q", first, second)
	}
}
