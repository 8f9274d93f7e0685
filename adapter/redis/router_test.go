package redisadapter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/socket"
)

// routedNode is a socket.Server with a Router, served on its own listener
// whose URL is the Router's Address.
type routedNode struct {
	url    string
	router *Router
	srv    *socket.Server
}

// startRoutedNode starts a node on rdb's directory; the cleanup shuts the
// server down, then closes the router.
func startRoutedNode(t *testing.T, rdb redis.UniversalClient, opts RouterOptions) *routedNode {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	opts.Address = "http://" + ts.Listener.Addr().String()
	rt, err := NewRouter(ctxT(t, 5*time.Second), rdb, &opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := socket.NewServer(&socket.Options{EngineOptions: socket.EngineOptions{Router: rt}})
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		ts.Close()
		if err := rt.Close(); err != nil {
			t.Errorf("Router.Close: %v", err)
		}
	})
	return &routedNode{url: opts.Address, router: rt, srv: srv}
}

// poll sends one Engine.IO polling request to base and returns the status
// and body.
func poll(t *testing.T, base, method, sid, body string, hdr ...string) (int, string) {
	t.Helper()
	q := "/socket.io/?EIO=4&transport=polling"
	if sid != "" {
		q += "&sid=" + sid
	}
	req, err := http.NewRequestWithContext(ctxT(t, 5*time.Second), method, base+q, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, q, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// openSession handshakes with n and returns the sid.
func openSession(t *testing.T, n *routedNode) string {
	t.Helper()
	status, body := poll(t, n.url, "GET", "", "")
	var open struct{ SID string }
	if status != 200 || !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &open) != nil {
		t.Fatalf("handshake: %d %q", status, body)
	}
	if !strings.HasPrefix(open.SID, n.router.NodeID()+"-") {
		t.Fatalf("sid %q does not start with node id %q", open.SID, n.router.NodeID())
	}
	return open.SID
}

const unknownSID = `{"code":1,"message":"Session ID unknown"}`

func TestRouterForwardsThroughDirectory(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, startRedis(t))
	a := startRoutedNode(t, rdb, RouterOptions{TTL: time.Second})
	b := startRoutedNode(t, rdb, RouterOptions{NodeID: "nodeB", TTL: time.Second})
	sid := openSession(t, a)
	if status, body := poll(t, b.url, "POST", sid, "40"); status != 200 || body != "ok" {
		t.Fatalf("CONNECT through B: %d %q", status, body)
	}
	if status, body := poll(t, b.url, "GET", sid, ""); status != 200 || !strings.HasPrefix(body, `40{"sid":"`) {
		t.Fatalf("GET through B: %d %q", status, body)
	}
	// Forwarded at most once: a request that says it was forwarded is
	// answered where it lands.
	if status, body := poll(t, b.url, "GET", sid, "", ForwardedHeader, "x"); status != 400 || body != unknownSID {
		t.Fatalf("marked GET on B: %d %q", status, body)
	}
	// A node that left the directory is not routed to (once B's cache,
	// TTL/3, is stale), though it still holds the session.
	if err := a.router.Close(); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(ctxT(t, time.Second), DefaultRouterKey+a.router.NodeID()).Result(); n != 0 {
		t.Fatal("closed node still in the directory")
	}
	eventually(t, 10*time.Second, "B forgets A", func() bool {
		status, body := poll(t, b.url, "POST", sid, "42[\"x\"]")
		return status == 400 && body == unknownSID
	})
}

func TestRouterRoutesOnlyToTheDirectory(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, startRedis(t))
	const ttl = 600 * time.Millisecond
	a := startRoutedNode(t, rdb, RouterOptions{TTL: ttl})
	b := startRoutedNode(t, rdb, RouterOptions{TTL: ttl})
	ctx := ctxT(t, 5*time.Second)
	// Entries nobody refreshes: one to a real node, as a node that crashed
	// leaves it; others with addresses that are not a node's.
	rdb.Set(ctx, DefaultRouterKey+"ghost", a.url, ttl)
	rdb.Set(ctx, DefaultRouterKey+"evil1", "file:///etc/passwd", time.Minute)
	rdb.Set(ctx, DefaultRouterKey+"evil2", a.url+"/?x=1", time.Minute)
	sidOnA := openSession(t, a)
	ghost := "ghost-" + strings.TrimPrefix(sidOnA, a.router.NodeID()+"-")
	for _, sid := range []string{"nowhere-" + strings.Repeat("A", 20), "evil1-x", "evil2-x", "no_node_id", "-x", "a.b-x"} {
		if status, body := poll(t, b.url, "GET", sid, ""); status != 400 || body != unknownSID {
			t.Fatalf("GET %q on B: %d %q", sid, status, body)
		}
	}
	// The ghost entry routes to A (which does not hold that sid) until it
	// expires; either way the answer is A's or B's 400.
	if status, body := poll(t, b.url, "GET", ghost, ""); status != 400 || body != unknownSID {
		t.Fatalf("GET through ghost: %d %q", status, body)
	}
	if !b.router.cached("ghost") {
		t.Fatal("B did not cache the ghost's entry")
	}
	// The live nodes keep their entries past TTL; the ghost's expired.
	time.Sleep(2 * ttl)
	if n, _ := rdb.Exists(ctx, DefaultRouterKey+"ghost").Result(); n != 0 {
		t.Fatal("an entry nobody refreshes did not expire")
	}
	eventually(t, 5*time.Second, "B's cache drops the ghost", func() bool { return !b.router.cached("ghost") })
	if status, body := poll(t, b.url, "POST", sidOnA, "40"); status != 200 || body != "ok" {
		t.Fatalf("POST through B after %v: %d %q (A's entry expired?)", 2*ttl, status, body)
	}
}

func TestNewRouterOptions(t *testing.T) {
	t.Parallel()
	rdb := newClient(t, startRedis(t))
	ctx := ctxT(t, 5*time.Second)
	for _, o := range []*RouterOptions{
		nil,
		{},
		{Address: "10.0.0.5:3000"},
		{Address: "ftp://10.0.0.5"},
		{Address: "http://u:p@10.0.0.5"},
		{Address: "http://10.0.0.5:3000", NodeID: "with-dash"},
		{Address: "http://10.0.0.5:3000", NodeID: strings.Repeat("a", 17)},
	} {
		if rt, err := NewRouter(ctx, rdb, o); err == nil {
			_ = rt.Close()
			t.Errorf("NewRouter(%+v) accepted", o)
		}
	}
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer down.Close()
	if _, err := NewRouter(ctx, down, &RouterOptions{Address: "http://10.0.0.5:3000"}); err == nil {
		t.Error("NewRouter without Redis succeeded")
	}
}

// cached reports whether rt holds node's entry in its cache.
func (rt *Router) cached(node string) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	_, ok := rt.nodes[node]
	return ok
}
