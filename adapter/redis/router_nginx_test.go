package redisadapter

// Long-polling without sticky sessions: nginx from Debian, plain round
// robin (no ip_hash), in front of three envivo servers on one redis-server,
// each with the Redis adapter and a Router; the official socket.io-client
// (Node) connects through nginx.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/redispeer"
	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/socket"
)

// startNginx runs nginx in the foreground, round robin over the upstreams
// (host:port), with a config in a temporary directory, until the test
// ends; it returns nginx's base URL. A missing nginx fails the test under
// CI=true and skips it elsewhere.
func startNginx(t *testing.T, upstreams []string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
		if _, err := os.Stat(bin); err != nil {
			skipnote.Skip(t, "nginx not found; install it (Debian: apt-get install -y nginx-light)")
		}
	}
	dir := t.TempDir()
	port := redispeer.FreePort(t)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConfig(dir, port, upstreams)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // fast shutdown
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output: %s\nerror.log:\n%s", out, log)
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	eventually(t, 10*time.Second, "nginx listening on "+addr, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "http://" + addr
}

// nginxConfig is a reverse proxy with WebSocket support and plain round
// robin over the upstreams, everything it writes under dir.
func nginxConfig(dir string, port int, upstreams []string) string {
	var servers strings.Builder
	for _, u := range upstreams {
		fmt.Fprintf(&servers, "    server %s max_fails=0;\n", u) // a restarted node gets requests at once
	}
	return fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream u {
%[2]s  }
  server {
    listen 127.0.0.1:%[3]d;
    location / {
      proxy_pass http://u;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 60s;
    }
  }
}
`, dir, servers.String(), port)
}

// lbNode is one envivo server behind nginx, on a fixed port so that it can
// stop and start again where nginx expects it.
type lbNode struct {
	name   string
	port   int
	rdb    *redis.Client
	routed bool
	io     *socket.Server
	srv    *http.Server
	router *Router
	served chan error
}

// start serves a new socket.Server (and Router, if routed) on n's port.
func (n *lbNode) start(t *testing.T) {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(n.port)
	var eo socket.EngineOptions
	eo.PingInterval, eo.PingTimeout = time.Second, 3*time.Second // short long-polls: a stop waits for them
	if n.routed {
		rt, err := NewRouter(ctxT(t, 5*time.Second), n.rdb, &RouterOptions{Address: "http://" + addr, TTL: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		n.router, eo.Router = rt, rt
	}
	n.io = socket.NewServer(&socket.Options{Adapter: New(n.rdb, nil), EngineOptions: eo})
	n.io.OnConnection(n.onConnection)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	n.srv = &http.Server{Handler: n.io, ReadHeaderTimeout: 10 * time.Second}
	n.served = make(chan error, 1)
	go func() { n.served <- n.srv.Serve(l) }()
}

// stop shuts n down gracefully: its own sessions first, then the HTTP
// server (which waits for the requests it forwards), then its Router.
func (n *lbNode) stop(t *testing.T) {
	t.Helper()
	if n.io == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.io.Shutdown(ctx); err != nil {
		t.Errorf("%s: Shutdown: %v", n.name, err)
	}
	if err := n.srv.Shutdown(ctx); err != nil {
		t.Errorf("%s: http Shutdown: %v", n.name, err)
	}
	if err := <-n.served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("%s: Serve: %v", n.name, err)
	}
	if n.router != nil {
		if err := n.router.Close(); err != nil {
			t.Errorf("%s: Router.Close: %v", n.name, err)
		}
	}
	n.io = nil
}

// onConnection: "whoami" answers the node's name, "echo" its arguments,
// "join" joins a room, "bcast" sends "msg" to a room across the cluster,
// "ask" asks the client a question and sends its answer back as "answer";
// every socket gets "hello" with the node's name and bytes on connect.
func (n *lbNode) onConnection(s *socket.Socket) {
	_ = s.Emit("hello", n.name, []byte{1, 2, 3})
	s.OnEvent("whoami", func(s *socket.Socket, _ socket.Args, ack socket.AckFunc) { _ = ack(n.name) })
	s.OnEvent("echo", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) { _ = ack(args.Values()...) })
	s.OnEvent("join", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
		s.Join(args.String(0))
		_ = ack()
	})
	s.OnEvent("bcast", func(s *socket.Socket, args socket.Args, _ socket.AckFunc) {
		_ = n.io.To(args.String(0)).Emit("msg", args.Value(1))
	})
	s.OnEvent("ask", func(s *socket.Socket, _ socket.Args, _ socket.AckFunc) {
		go func() {
			ctx, cancel := context.WithTimeout(s.Context(), 5*time.Second)
			defer cancel()
			reply, err := s.EmitWithAck(ctx, "question", "q?")
			if err == nil {
				_ = s.Emit("answer", reply.Values()...)
			}
		}()
	})
}

// lbCluster is three nodes on one Redis behind nginx.
type lbCluster struct {
	nodes []*lbNode
	url   string // nginx
}

func startLBCluster(t *testing.T, routed bool) *lbCluster {
	t.Helper()
	r := startRedis(t)
	c := &lbCluster{}
	var upstreams []string
	for _, name := range []string{"A", "B", "C"} {
		n := &lbNode{name: name, port: redispeer.FreePort(t), rdb: newClient(t, r), routed: routed}
		n.start(t)
		t.Cleanup(func() { n.stop(t) })
		c.nodes = append(c.nodes, n)
		upstreams = append(upstreams, "127.0.0.1:"+strconv.Itoa(n.port))
	}
	c.url = startNginx(t, upstreams)
	return c
}

// polling is the client option that keeps socket.io-client on polling.
var polling = map[string]any{"transports": []string{"polling"}}

// connectLB connects client name through nginx and returns the name of the
// node that holds its session.
func connectLB(t *testing.T, d *nodepeer.Driver, url, name string, opts map[string]any) string {
	t.Helper()
	d.Connect(name, url+"/", opts)
	d.Wait(match{"ev": "connect", "client": name}, waitFor)
	hello := d.Wait(match{"ev": "event", "client": name, "name": "hello"}, waitFor)
	if b, ok := nodepeer.DecodeBin(hello.Args()[1]); !ok || string(b) != "\x01\x02\x03" {
		t.Fatalf("%s: hello %v", name, hello.Args())
	}
	return hello.Args()[0].(string)
}

// whoami asks client's node for its name.
func whoami(t *testing.T, d *nodepeer.Driver, client string) string {
	t.Helper()
	ref := client + "-whoami-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	d.EmitWithAck(client, ref, "whoami", 0)
	return d.Wait(match{"ev": "ack", "ref": ref}, waitFor).Args()[0].(string)
}

func TestNoStickySessionsBehindNginx(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	c := startLBCluster(t, true)
	if status, body := handshakeThenPost(t, c.url); status != 200 || body != "ok" {
		t.Fatalf("POST after a handshake through nginx: %d %q", status, body)
	}
	d := peer.Client(t)
	owners := map[string]string{}
	for i := range 6 {
		name := "p" + strconv.Itoa(i)
		owners[name] = connectLB(t, d, c.url, name, polling)
	}
	checkSpread(t, owners)
	for name, owner := range owners {
		if got := whoami(t, d, name); got != owner {
			t.Fatalf("%s: session on %s, whoami says %s", name, owner, got)
		}
	}
	exerciseLB(t, d, []string{"p0", "p1", "p2", "p3", "p4", "p5"})

	if c.stats().Forwarded == 0 {
		t.Fatal("no request was forwarded")
	}

	// Upgrades through nginx: the WebSocket lands on any node; one that
	// does not hold the session carries it to the one that does. Clients
	// upgrade until one WebSocket was carried (each lands elsewhere with
	// probability 2/3).
	var upgraded []string
	for i := 0; c.stats().Upgrades == 0; i++ {
		if i == 10 {
			t.Fatal("10 WebSockets through nginx, none landed on another node than its session's")
		}
		name := "ws" + strconv.Itoa(i)
		owner := connectLB(t, d, c.url, name, nil)
		d.Wait(match{"ev": "upgrade", "client": name, "transport": "websocket"}, waitFor)
		if got := whoami(t, d, name); got != owner {
			t.Fatalf("%s: session on %s, whoami says %s after the upgrade", name, owner, got)
		}
		upgraded = append(upgraded, name)
	}
	exerciseLB(t, d, append(upgraded, "p0", "p3"))
	d.Never(match{"ev": "disconnect"}, 300*time.Millisecond)
}

// stats sums the Routers' counts.
func (c *lbCluster) stats() RouterStats {
	var sum RouterStats
	for _, n := range c.nodes {
		s := n.router.Stats()
		sum.Forwarded += s.Forwarded
		sum.Upgrades += s.Upgrades
		sum.Failures += s.Failures
	}
	return sum
}

// checkSpread fails the test unless the sessions live on at least two
// nodes: otherwise nothing crossed a node.
func checkSpread(t *testing.T, owners map[string]string) {
	t.Helper()
	seen := map[string]bool{}
	for _, o := range owners {
		seen[o] = true
	}
	if len(seen) < 2 {
		t.Fatalf("every session on one node (%v): round robin did not spread them", owners)
	}
}

// exerciseLB checks, for clients on any nodes: echo with binary (an ack
// from the server), an ack asked by the server, rooms and a broadcast that
// crosses nodes, sent by the last client to the room of the others.
func exerciseLB(t *testing.T, d *nodepeer.Driver, clients []string) {
	t.Helper()
	room := "room-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for i, cl := range clients {
		ref := fmt.Sprintf("%s-echo-%s", cl, room)
		d.EmitWithAck(cl, ref, "echo", 0, "hi "+cl, nodepeer.Bin([]byte{byte(i), 0xff}), map[string]any{"n": i})
		args := d.Wait(match{"ev": "ack", "ref": ref}, waitFor).Args()
		if b, ok := nodepeer.DecodeBin(args[1]); len(args) != 3 || args[0] != "hi "+cl || !ok || string(b) != string([]byte{byte(i), 0xff}) {
			t.Fatalf("%s: echo acked %v", cl, args)
		}
		d.Emit(cl, "ask")
		q := d.Wait(match{"ev": "event", "client": cl, "name": "question"}, waitFor)
		d.Ack(cl, q.Int("ackRef"), "answer of "+cl)
		d.Wait(match{"ev": "event", "client": cl, "name": "answer", "args": []any{"answer of " + cl}}, waitFor)
	}
	members, sender := clients[:len(clients)-1], clients[len(clients)-1]
	for _, cl := range members {
		d.EmitWithAck(cl, cl+"-join-"+room, "join", 0, room)
		d.Wait(match{"ev": "ack", "ref": cl + "-join-" + room}, waitFor)
	}
	d.Emit(sender, "bcast", room, "to "+room)
	for _, cl := range members {
		d.Wait(match{"ev": "event", "client": cl, "name": "msg", "args": []any{"to " + room}}, waitFor)
	}
	d.Never(match{"ev": "event", "client": sender, "name": "msg", "args": []any{"to " + room}}, 200*time.Millisecond)
}

func TestNoStickySessionsNodeRestart(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	c := startLBCluster(t, true)
	d := peer.Client(t)
	owners := map[string]string{}
	var names []string
	for i := range 6 {
		name := "r" + strconv.Itoa(i)
		owners[name] = connectLB(t, d, c.url, name, polling)
		names = append(names, name)
	}
	checkSpread(t, owners)
	stopped := owners["r0"]
	var onStopped, others []string
	for _, name := range names {
		if owners[name] == stopped {
			onStopped = append(onStopped, name)
		} else {
			others = append(others, name)
		}
	}
	node := c.nodes[strings.Index("ABC", stopped)]
	node.stop(t)
	for _, name := range onStopped { // they reconnect, to a node that is up
		d.Wait(match{"ev": "disconnect", "client": name}, waitFor)
		d.Wait(match{"ev": "connect", "client": name}, waitFor)
	}
	exerciseLB(t, d, others) // while the node is down
	node.start(t)
	// New clients, until one has its session on the restarted node (with
	// a new node id): each handshake lands there with probability 1/3.
	all := append([]string{}, names...)
	for i := 0; ; i++ {
		if i == 10 {
			t.Fatalf("10 new clients, none on the restarted node %s", stopped)
		}
		name := "late" + strconv.Itoa(i)
		all = append(all, name)
		if connectLB(t, d, c.url, name, polling) == stopped {
			break
		}
	}
	exerciseLB(t, d, all)
	for _, name := range others {
		d.Never(match{"ev": "disconnect", "client": name}, 0)
	}
}

// TestStickySessionsNeededWithoutRouter is the control: the same cluster
// without Routers cannot keep a polling client behind round robin.
func TestStickySessionsNeededWithoutRouter(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	c := startLBCluster(t, false)
	if status, body := handshakeThenPost(t, c.url); status != 400 || body != unknownSID {
		t.Fatalf("POST after a handshake through nginx: %d %q, want %q", status, body, unknownSID)
	}
	d := peer.Client(t)
	d.Connect("x", c.url+"/", polling)
	d.Wait(match{"ev": "reconnect_attempt", "client": "x"}, waitFor)
}

// handshakeThenPost opens a session through nginx and sends it a CONNECT
// through nginx: round robin sends the two requests to two nodes.
func handshakeThenPost(t *testing.T, url string) (int, string) {
	t.Helper()
	status, body := poll(t, url, "GET", "", "")
	var open struct{ SID string }
	if status != 200 || !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &open) != nil {
		t.Fatalf("handshake through nginx: %d %q", status, body)
	}
	return poll(t, url, "POST", open.SID, "40")
}
