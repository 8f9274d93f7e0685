package admin

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	redisadapter "github.com/envivo/socketio/adapter/redis"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/redispeer"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
)

// TestMixedCluster puts this package and Node's instrument() (a socket.io
// 4.8 server with @socket.io/admin-ui and @socket.io/redis-adapter,
// testdata/node/redis-server.js) in one cluster on a real redis-server.
// A UI on the Go server gets the stats of both servers, lists the sockets
// of both and disconnects the Node server's socket; a UI on the Node
// server lists the Go server's socket with the client id and transport
// this package keeps in its data, as Node's admin does, and is told of a
// socket that connects to the Go server.
func TestMixedCluster(t *testing.T) {
	peer := nodepeer.Require(t)
	rs := redispeer.Start(t)
	t.Parallel()
	port := peer.Server(t, "redis-server.js", map[string]string{"REDIS_URL": rs.URL(), "ADMIN_UI": "1"})
	nodeURL := "http://127.0.0.1:" + strconv.Itoa(port)
	client := redis.NewClient(&redis.Options{Addr: rs.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	srv := socket.NewServer(&socket.Options{Adapter: redisadapter.New(client, nil)})
	a, err := Instrument(srv, Options{NoAuth: true, ServerID: "go", StatsInterval: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	goURL := sockettest.Serve(t, srv, srv)
	waitServers(t, srv.Of("/"), srv.Of("/admin"))

	d := peer.Client(t)
	ws := map[string]any{"transports": []string{"websocket"}}
	d.Connect("g", goURL, ws)
	g := d.Wait(match{"ev": "connect", "client": "g"}, waitFor).String("id")
	d.Connect("n", nodeURL, ws)
	n := d.Wait(match{"ev": "connect", "client": "n"}, waitFor).String("id")

	d.Connect("ui", goURL+"/admin", map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"username": "", "password": ""}})
	d.Wait(match{"ev": "connect", "client": "ui"}, waitFor)
	var all []serializedSocket
	remarshal(t, d.Wait(match{"ev": "event", "client": "ui", "name": "all_sockets"}, waitFor).Args()[0], &all)
	found := map[string]serializedSocket{}
	for _, s := range all {
		found[s.ID] = s
	}
	if s := found[g]; s.NSP != "/" || s.Transport != "websocket" || len(s.ClientID) != 12 {
		t.Errorf("Go's socket %s listed as %+v", g, s)
	}
	// redis-server.js replaces socket.data, and with it the client id and
	// transport Node's admin keeps there: Node's own UI shows none either.
	if s := found[n]; s.NSP != "/" || s.Data["server"] != "node" || len(s.Rooms) != 1 {
		t.Errorf("Node's socket %s listed as %+v", n, s)
	}
	for _, id := range []string{"go", "node"} {
		waitEvent(t, d, "server_stats", func(args []any) bool {
			m, _ := args[0].(map[string]any)
			return m["serverId"] == id
		})
	}

	d.Emit("ui", "_disconnect", "/", false, n)
	d.Wait(match{"ev": "disconnect", "client": "n", "reason": "io server disconnect"}, waitFor)

	checkNodeUI(t, d, nodeURL, goURL, found[g])
	d.Never(match{"ev": "disconnect", "client": "g"}, 0)
}

// checkNodeUI connects a UI to Node's admin and checks that it lists the
// Go server's socket g with the client id and transport kept in its data,
// and is told of a new socket of the Go server.
func checkNodeUI(t *testing.T, d *nodepeer.Driver, nodeURL, goURL string, g serializedSocket) {
	t.Helper()
	ws := map[string]any{"transports": []string{"websocket"}}
	d.Connect("nui", nodeURL+"/admin", ws)
	d.Wait(match{"ev": "connect", "client": "nui"}, waitFor)
	var nodeList []serializedSocket
	remarshal(t, d.Wait(match{"ev": "event", "client": "nui", "name": "all_sockets"}, waitFor).Args()[0], &nodeList)
	listed := false
	for _, s := range nodeList {
		if s.ID == g.ID {
			listed = true
			if s.ClientID != g.ClientID || s.Transport != "websocket" || len(s.Data) != 0 {
				t.Errorf("Node's admin lists Go's socket as %+v", s)
			}
		}
	}
	if !listed {
		t.Errorf("Node's admin does not list Go's socket %s: %+v", g.ID, nodeList)
	}
	d.Connect("g2", goURL, ws)
	g2 := d.Wait(match{"ev": "connect", "client": "g2"}, waitFor).String("id")
	deadline := time.Now().Add(waitFor)
	for {
		args := d.Wait(match{"ev": "event", "client": "nui", "name": "socket_connected"}, time.Until(deadline)).Args()
		if m, _ := args[0].(map[string]any); m["id"] == g2 {
			return
		}
	}
}

// waitServers waits until the namespaces' adapters count two servers.
func waitServers(t *testing.T, nsps ...*socket.Namespace) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for _, nsp := range nsps {
		for {
			if n, err := nsp.Adapter().ServerCount(context.Background()); err == nil && n == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the Node server never joined", nsp.Name())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
