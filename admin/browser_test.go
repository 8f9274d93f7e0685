package admin

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/envivo/socketio/adapter/redis"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/redispeer"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
)

// uiEnv is what a browser test of the admin UI runs with.
type uiEnv struct {
	peer     *nodepeer.Peer
	node     string
	browser  nodepeer.Browser
	uiURL    string // the UI's ui/dist, served by its own HTTP server
	artifact string // testdata/artifacts
}

// requireUI finds node, Chromium and the admin UI's npm package, and
// serves its built UI on an origin of its own, so that the UI reaches the
// Socket.IO servers cross-origin, with credentials, as it does from
// https://admin.socket.io.
func requireUI(t *testing.T) uiEnv {
	t.Helper()
	peer := nodepeer.Require(t)
	e := uiEnv{peer: peer, browser: peer.Browser(t)}
	var err error
	if e.node, err = exec.LookPath("node"); err != nil {
		t.Fatal(err) // Require found it
	}
	dist := filepath.Join(peer.Dir(), "node_modules", "@socket.io", "admin-ui", "ui", "dist")
	if _, err := os.Stat(filepath.Join(dist, "index.html")); err != nil {
		t.Fatalf("the admin UI is not installed: %v", err) // it is in testdata/node's package-lock.json
	}
	ui := httptest.NewServer(http.FileServer(http.Dir(dist)))
	t.Cleanup(ui.Close)
	e.uiURL = ui.URL
	e.artifact = filepath.Join(filepath.Dir(peer.Dir()), "artifacts")
	return e
}

// serverOptions are those of a server the UI may reach from uiURL.
func (e uiEnv) serverOptions(adapter func(*socket.Namespace) socket.Adapter) *socket.Options {
	return &socket.Options{
		EngineOptions: socket.EngineOptions{CORS: socket.CORS{Origins: []string{e.uiURL}, Credentials: true}},
		Adapter:       adapter,
	}
}

// runUI runs testdata/browser/admin.js with env.
func (e uiEnv) runUI(t *testing.T, env map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := filepath.Join(e.browser.Dir, "admin.js")
	cmd := exec.CommandContext(ctx, e.node, script)
	cmd.Dir = e.browser.Dir
	cmd.Env = append(os.Environ(), "UI_URL="+e.uiURL, "CHROMIUM="+e.browser.Chromium)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s (%v):\n%s", script, err, out)
	}
	t.Logf("%s", out)
}

// TestBrowser logs in to one server from the admin UI in Chromium, with
// three clients of the official socket.io-client connected: the dashboard
// counts four clients (the UI's own connection included), the sockets
// page lists the three, and the disconnect button of one disconnects it,
// and only it. Screenshots go to testdata/artifacts/admin-one-*.png.
func TestBrowser(t *testing.T) {
	e := requireUI(t)
	t.Parallel()
	srv := socket.NewServer(e.serverOptions(nil))
	a, err := Instrument(srv, Options{ServerID: "go-one", Auth: &BasicAuth{Username: "admin", PasswordHash: hash(t, "changeit")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	url := sockettest.Serve(t, srv, srv)

	d := e.peer.Client(t)
	var ids []string
	for i, tr := range []string{"websocket", "polling", "websocket"} {
		name := "c" + strconv.Itoa(i)
		d.Connect(name, url, map[string]any{"transports": []string{tr}})
		ids = append(ids, d.Wait(match{"ev": "connect", "client": name}, waitFor).String("id"))
	}
	e.runUI(t, map[string]string{
		"SERVER_URL": url, "USERNAME": "admin", "PASSWORD": "changeit",
		"CLIENTS": "4", "SOCKETS": strings.Join(ids, ","), "DISCONNECT": ids[1],
		"SCREENSHOT": filepath.Join(e.artifact, "admin-one.png"),
	})
	d.Wait(match{"ev": "disconnect", "client": "c1", "reason": "io server disconnect"}, waitFor)
	d.Never(match{"ev": "disconnect"}, 200*time.Millisecond)
}

// TestBrowserCluster is TestBrowser with two servers sharing a real
// redis-server through adapter/redis: the UI logs in to the first only,
// yet the dashboard counts the clients of both (four: one and the UI on
// the first, two on the second) and both servers, the sockets page lists
// the sockets of both, and the disconnect button reaches a socket of the
// second. Screenshots go to testdata/artifacts/admin-cluster-*.png.
func TestBrowserCluster(t *testing.T) {
	e := requireUI(t)
	rs := redispeer.Start(t)
	t.Parallel()
	var urls []string
	for _, id := range []string{"go-a", "go-b"} {
		client := redis.NewClient(&redis.Options{Addr: rs.Addr()})
		t.Cleanup(func() { _ = client.Close() }) // after the server's shutdown
		srv := socket.NewServer(e.serverOptions(redisadapter.New(client, nil)))
		a, err := Instrument(srv, Options{ServerID: id, Auth: &BasicAuth{Username: "admin", PasswordHash: hash(t, "changeit")}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		urls = append(urls, sockettest.Serve(t, srv, srv))
	}

	d := e.peer.Client(t)
	var ids []string
	for i, c := range []struct{ url, transport string }{
		{urls[0], "websocket"}, {urls[1], "polling"}, {urls[1], "websocket"},
	} {
		name := "c" + strconv.Itoa(i)
		d.Connect(name, c.url, map[string]any{"transports": []string{c.transport}})
		ids = append(ids, d.Wait(match{"ev": "connect", "client": name}, waitFor).String("id"))
	}
	e.runUI(t, map[string]string{
		"SERVER_URL": urls[0], "ALLOWED": urls[1], "USERNAME": "admin", "PASSWORD": "changeit",
		"CLIENTS": "4", "SERVERS": "2", "SOCKETS": strings.Join(ids, ","), "DISCONNECT": ids[2],
		"SCREENSHOT": filepath.Join(e.artifact, "admin-cluster.png"),
	})
	d.Wait(match{"ev": "disconnect", "client": "c2", "reason": "io server disconnect"}, waitFor)
	d.Never(match{"ev": "disconnect"}, 200*time.Millisecond)
}
