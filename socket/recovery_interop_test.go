package socket

// Connection state recovery against the official socket.io-client, driven
// under Node through internal/nodepeer.

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// reconnectFast makes the client reconnect after exactly delay. The
// server must have noticed the old connection is gone by then: 200ms is
// far more than that takes, even on a loaded machine.
func reconnectFast(transports []string, delay time.Duration) map[string]any {
	return map[string]any{
		"transports":           transports,
		"reconnectionDelay":    delay.Milliseconds(),
		"reconnectionDelayMax": delay.Milliseconds(),
		"randomizationFactor":  0,
	}
}

// arrival is what a connection handler saw of a socket.
type arrival struct {
	id        string
	recovered bool
	inRoom    bool
	user      any
}

// recoveryServer serves a server with recovery configured by cfg. A new
// socket joins "room" and stores user "ann"; every socket is reported on
// the returned channel, and the latest is in cur.
func recoveryServer(t *testing.T, cfg *ConnectionStateRecovery, mw Middleware) (*Server, string, chan arrival, *atomic.Pointer[Socket]) {
	srv := NewServer(&Options{ConnectionStateRecovery: cfg})
	if mw != nil {
		srv.Use(mw)
	}
	arrivals := make(chan arrival, 16)
	var cur atomic.Pointer[Socket]
	srv.OnConnection(func(s *Socket) {
		if !s.Recovered() {
			s.Join("room")
			s.Set("user", "ann")
		}
		user, _ := s.Get("user")
		cur.Store(s)
		arrivals <- arrival{id: s.ID(), recovered: s.Recovered(), inRoom: s.InRoom("room"), user: user}
	})
	return srv, serve(t, srv), arrivals, &cur
}

// TestInteropRecoveryStream closes the client's transport in the middle
// of a stream of events, half broadcast to a room, half emitted to the
// socket itself; the client recovers its session and sees every event
// once, in order, each with an offset.
func TestInteropRecoveryStream(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range []string{WebSocket, Polling} {
		t.Run(tr, func(t *testing.T) {
			t.Parallel()
			srv, url, arrivals, cur := recoveryServer(t, &ConnectionStateRecovery{}, nil)
			d := peer.Client(t)
			d.Connect("c", url, reconnectFast([]string{tr}, 200*time.Millisecond))
			d.Wait(match{"ev": "connect", "recovered": false}, waitFor)
			first := wait(t, arrivals)

			const n = 400
			var emitted atomic.Int64 // ticks emitted so far
			var atDisconnect atomic.Int64
			cur.Load().OnDisconnect(func(*Socket, DisconnectReason) { atDisconnect.Store(emitted.Load()) })
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := range n {
					if i%2 == 0 {
						_ = srv.To("room").Emit("tick", i)
					} else {
						_ = cur.Load().Emit("tick", i) // an old socket's emits are kept for it too
					}
					emitted.Store(int64(i + 1))
					select {
					case <-stop:
						return
					case <-time.After(2 * time.Millisecond):
					}
				}
			}()
			t.Cleanup(func() { close(stop); <-done })

			offsets := make(map[string]bool)
			for i := range n {
				e := d.Wait(match{"ev": "event", "name": "tick"}, waitFor)
				args := e.Args()
				if len(args) != 2 || args[0] != float64(i) {
					t.Fatalf("tick %d: got args %v", i, args)
				}
				off, ok := args[1].(string)
				if !ok || offsets[off] {
					t.Fatalf("tick %d: offset %v missing or repeated", i, args[1])
				}
				offsets[off] = true
				if i == 100 {
					d.CloseTransport("c")
				}
			}
			if e := d.Wait(match{"ev": "disconnect"}, waitFor); e.String("reason") != "forced close" {
				t.Fatalf("client saw %v, want reason forced close", e)
			}
			d.Wait(match{"ev": "connect", "id": first.id, "recovered": true}, waitFor)
			again := wait(t, arrivals)
			want := arrival{id: first.id, recovered: true, inRoom: true, user: "ann"}
			if again != want {
				t.Fatalf("recovered socket: got %+v, want %+v", again, want)
			}
			if missed := emitted.Load() - atDisconnect.Load(); atDisconnect.Load() == 0 || missed < 5 {
				t.Fatalf("the outage spanned %d ticks: too few to test a replay", missed)
			}
			d.Never(match{"ev": "event", "name": "tick"}, 100*time.Millisecond)
		})
	}
}

// TestInteropRecoveryNotStored checks that events with an ack and volatile
// events carry no offset, and that the CONNECT reply carries a pid only
// when recovery is on (socket.recovered is computed from it).
func TestInteropRecoveryNotStored(t *testing.T) {
	peer := nodepeer.Require(t)
	srv, url, arrivals, cur := recoveryServer(t, &ConnectionStateRecovery{}, nil)
	d := peer.Client(t)
	d.Connect("c", url, map[string]any{"transports": []string{WebSocket}})
	d.Wait(match{"ev": "connect"}, waitFor)
	wait(t, arrivals)
	// A volatile emit is dropped while the CONNECT reply's write is in flight.
	eventually(t, "the connection writable", func() bool { return cur.Load().client.conn.Writable() })
	if err := srv.Volatile().Emit("v", 1); err != nil {
		t.Fatal(err)
	}
	if args := d.Wait(match{"ev": "event", "name": "v"}, waitFor).Args(); len(args) != 1 || args[0] != float64(1) {
		t.Fatalf("volatile event: got args %v, want no offset", args)
	}
	go func() { _, _ = cur.Load().EmitWithAck(context.Background(), "a", 1) }()
	e := d.Wait(match{"ev": "event", "name": "a"}, waitFor)
	if args := e.Args(); len(args) != 1 {
		t.Fatalf("event with ack: got args %v, want no offset", args)
	}
	d.Ack("c", e.Int("ackRef"))
	d.Connect("c2", url, map[string]any{"transports": []string{Polling}})
	d.Wait(match{"ev": "connect", "client": "c2"}, waitFor)
	wait(t, arrivals)
	if err := srv.Emit("b", nodepeer.Bin([]byte{1, 2})); err != nil {
		t.Fatal(err)
	}
	// One broadcast, one offset: the packet is numbered and encoded once
	// for every recipient.
	args1 := d.Wait(match{"ev": "event", "client": "c", "name": "b"}, waitFor).Args()
	args2 := d.Wait(match{"ev": "event", "client": "c2", "name": "b"}, waitFor).Args()
	if len(args1) != 2 || len(args2) != 2 || args1[1] != args2[1] {
		t.Fatalf("binary broadcast: got args %v and %v, want the payload and one offset", args1, args2)
	}
}

// TestInteropRecoveryFails checks the cases where the client must get a
// new session: recovery off, the session expired, a client's own
// disconnect.
func TestInteropRecoveryFails(t *testing.T) {
	peer := nodepeer.Require(t)
	cases := []struct {
		name  string
		cfg   *ConnectionStateRecovery
		delay time.Duration
		leave func(d *nodepeer.Driver)
	}{
		{"off", nil, 50 * time.Millisecond, func(d *nodepeer.Driver) { d.CloseTransport("c") }},
		{"expired", &ConnectionStateRecovery{MaxDisconnectionDuration: 200 * time.Millisecond},
			600 * time.Millisecond, func(d *nodepeer.Driver) { d.CloseTransport("c") }},
		{"client disconnect", &ConnectionStateRecovery{}, 50 * time.Millisecond, func(d *nodepeer.Driver) {
			d.Disconnect("c")
			d.Wait(match{"ev": "disconnect", "reason": "io client disconnect"}, waitFor)
			d.Send(map[string]any{"cmd": "connect_again", "client": "c"})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, url, arrivals, _ := recoveryServer(t, tc.cfg, nil)
			d := peer.Client(t)
			d.Connect("c", url, reconnectFast([]string{WebSocket}, tc.delay))
			d.Wait(match{"ev": "connect", "recovered": false}, waitFor)
			first := wait(t, arrivals)
			_ = srv.Emit("tick", 0) // gives the client an offset
			d.Wait(match{"ev": "event", "name": "tick"}, waitFor)
			tc.leave(d)
			e := d.Wait(match{"ev": "connect"}, waitFor)
			again := wait(t, arrivals)
			if e["recovered"] != false || e.String("id") == first.id || again.recovered || again.id == first.id {
				t.Fatalf("reconnect: client saw %v, server %+v; want a new session (old id %s)", e, again, first.id)
			}
		})
	}
}

// TestInteropRecoveryAfterRestart checks that a session does not survive
// the server: a new server on the same address gives a new id.
func TestInteropRecoveryAfterRestart(t *testing.T) {
	peer := nodepeer.Require(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	start := func(ln net.Listener) (*Server, chan arrival, func()) {
		srv := NewServer(&Options{ConnectionStateRecovery: &ConnectionStateRecovery{}})
		arrivals := make(chan arrival, 4)
		srv.OnConnection(func(s *Socket) { arrivals <- arrival{id: s.ID(), recovered: s.Recovered()} })
		hs := &http.Server{Handler: srv}
		go func() { _ = hs.Serve(ln) }()
		return srv, arrivals, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
			_ = hs.Shutdown(ctx)
		}
	}
	srv1, arrivals1, stop1 := start(ln)
	d := peer.Client(t)
	d.Connect("c", "http://"+addr, reconnectFast([]string{WebSocket}, 300*time.Millisecond))
	d.Wait(match{"ev": "connect"}, waitFor)
	first := wait(t, arrivals1)
	_ = srv1.Emit("tick", 0)
	d.Wait(match{"ev": "event", "name": "tick"}, waitFor)
	stop1()
	d.Wait(match{"ev": "disconnect"}, waitFor)

	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	_, arrivals2, stop2 := start(ln2)
	defer stop2()
	e := d.Wait(match{"ev": "connect"}, waitFor)
	again := wait(t, arrivals2)
	if e["recovered"] != false || again.recovered || again.id == first.id {
		t.Fatalf("after a restart: client saw %v, server %+v; want a new session", e, again)
	}
}

// TestInteropRecoveryMiddleware checks that a recovering client skips the
// middleware by default, and goes through it with RunMiddlewares, which
// may also refuse it.
func TestInteropRecoveryMiddleware(t *testing.T) {
	peer := nodepeer.Require(t)
	cases := []struct {
		name     string
		run      bool
		refuse   bool
		wantRuns int32
	}{
		{"skipped", false, false, 1},
		{"run", true, false, 2},
		{"run and refuse", true, true, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			var mu sync.Mutex
			var seen []string // what the middleware saw: recovered or not
			mw := func(_ context.Context, s *Socket) error {
				mu.Lock()
				seen = append(seen, strconv.FormatBool(s.Recovered()))
				mu.Unlock()
				if runs.Add(1) > 1 && tc.refuse {
					return errors.New("go away")
				}
				return nil
			}
			cfg := &ConnectionStateRecovery{RunMiddlewares: tc.run}
			srv, url, arrivals, _ := recoveryServer(t, cfg, mw)
			d := peer.Client(t)
			d.Connect("c", url, reconnectFast([]string{WebSocket}, 200*time.Millisecond))
			d.Wait(match{"ev": "connect"}, waitFor)
			first := wait(t, arrivals)
			_ = srv.Emit("tick", 0)
			d.Wait(match{"ev": "event", "name": "tick"}, waitFor)
			d.CloseTransport("c")
			if tc.refuse {
				d.Wait(match{"ev": "connect_error", "message": "go away"}, waitFor)
			} else {
				d.Wait(match{"ev": "connect", "id": first.id, "recovered": true}, waitFor)
				if again := wait(t, arrivals); !again.recovered || again.id != first.id || !again.inRoom {
					t.Fatalf("recovered socket: %+v", again)
				}
			}
			if got := runs.Load(); got != tc.wantRuns {
				t.Fatalf("middleware ran %d times, want %d", got, tc.wantRuns)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, recovered := range seen { // the middleware sees the socket before recovery
				if recovered != "false" {
					t.Fatalf("middleware saw Recovered() %v", seen)
				}
			}
		})
	}
}

// TestProtocolRecovery checks the wire of recovery with a raw polling
// client: the CONNECT reply's pid, the offset as the last argument, and a
// CONNECT with pid and offset (merged with the client's own auth) that
// gets the old id and the missed event, once; and that only Node's
// recoverable reasons leave a session behind.
func TestProtocolRecovery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		leave    func(c *rawClient, s *Socket)
		reason   string
		recovers bool
	}{
		{"transport close", func(c *rawClient, _ *Socket) { c.post(`1`) }, "transport close", true},
		{"ping timeout", func(*rawClient, *Socket) {}, "ping timeout", true},
		{"client namespace disconnect", func(c *rawClient, _ *Socket) { c.post(`41`) }, "client namespace disconnect", false},
		{"server namespace disconnect", func(_ *rawClient, s *Socket) { s.Disconnect() }, "server namespace disconnect", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testProtocolRecovery(t, tc.leave, tc.reason, tc.recovers)
		})
	}
}

func testProtocolRecovery(t *testing.T, leave func(*rawClient, *Socket), reason string, recovers bool) {
	opts := &Options{ConnectionStateRecovery: &ConnectionStateRecovery{}}
	opts.PingInterval, opts.PingTimeout = 300*time.Millisecond, 200*time.Millisecond
	srv := NewServer(opts)
	sockets := make(chan *Socket, 4)
	gone := make(chan string, 4)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(_ *Socket, reason DisconnectReason) { gone <- string(reason) }) // runs once the session is kept
		sockets <- s
	})
	url := serve(t, srv)
	c1 := dialRaw(t, url)
	first, _ := rawConnect(t, c1, "")
	s1 := wait(t, sockets)
	_ = srv.Emit("e", 1)
	packets := rawGet(c1)
	var args []any
	if len(packets) != 1 || json.Unmarshal([]byte(strings.TrimPrefix(packets[0], "42")), &args) != nil || len(args) != 3 {
		t.Fatalf("event %q, want [\"e\",1,offset]", packets)
	}
	offset := args[2].(string)
	leave(c1, s1)
	if got := wait(t, gone); got != reason {
		t.Fatalf("disconnect reason %q, want %q", got, reason)
	}
	_ = srv.Emit("missed", 2)

	c2 := dialRaw(t, url)
	auth := `{"pid":"` + first.PID + `","offset":"` + offset + `","token":"t"}`
	again, rest := rawConnect(t, c2, auth)
	s2 := wait(t, sockets)
	if got := string(s2.Handshake().Auth); got != auth {
		t.Fatalf("handshake auth %s, want %s", got, auth)
	}
	if !recovers {
		if again.SID == first.SID || s2.Recovered() {
			t.Fatalf("recovered after %q", reason)
		}
		return
	}
	if again != first || !s2.Recovered() {
		t.Fatalf("recovered as %+v (%v), want %+v", again, s2.Recovered(), first)
	}
	if len(rest) == 0 {
		rest = rawGet(c2)
	}
	if len(rest) != 1 || !strings.HasPrefix(rest[0], `42["missed",2,"`) {
		t.Fatalf("replay %q, want the missed event alone", rest)
	}
	c3 := dialRaw(t, url)
	if third, _ := rawConnect(t, c3, auth); third.SID == first.SID || third.PID == first.PID {
		t.Fatalf("a session was recovered twice: %+v", third)
	}
}

// rawConnect joins the main namespace with auth and returns the CONNECT
// reply, which must carry a pid, and the packets that came with it.
func rawConnect(t *testing.T, c *rawClient, auth string) (reply struct{ SID, PID string }, rest []string) {
	t.Helper()
	c.post(`40` + auth)
	packets := rawGet(c)
	if len(packets) == 0 || !strings.HasPrefix(packets[0], `40{"sid":"`) || json.Unmarshal([]byte(packets[0][2:]), &reply) != nil ||
		!strings.HasPrefix(packets[0], `40{"sid":"`+reply.SID+`","pid":"`) || reply.PID == "" {
		t.Fatalf("CONNECT reply %q, want sid and pid", packets)
	}
	return reply, packets[1:]
}

// rawGet long-polls until packets other than pings come, answering pings.
func rawGet(c *rawClient) []string {
	for {
		_, packets := c.get()
		var out []string
		for _, p := range packets {
			if p == "2" {
				c.post("3")
			} else {
				out = append(out, p)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
}
