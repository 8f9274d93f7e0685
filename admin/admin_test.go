package admin

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
)

const waitFor = 10 * time.Second

type match = nodepeer.Match

func hash(t testing.TB, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// TestInstrumentOptions checks that the authentication must be chosen,
// once, and that the password must be a bcrypt hash.
func TestInstrumentOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"neither", Options{}, ErrNoAuth.Error()},
		{"both", Options{NoAuth: true, Auth: &BasicAuth{Username: "a", PasswordHash: hash(t, "b")}}, ErrNoAuth.Error()},
		{"plain password", Options{Auth: &BasicAuth{Username: "a", PasswordHash: "secret"}}, "not a bcrypt hash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Instrument(socket.NewServer(nil), tc.opts)
			if err == nil {
				a.Close()
				t.Fatal("Instrument accepted the options")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if tc.want == ErrNoAuth.Error() && !errors.Is(err, ErrNoAuth) {
				t.Errorf("err = %v, want ErrNoAuth", err)
			}
		})
	}
}

// instrumented serves a server with the admin namespace, whose "join"
// event joins the room it names.
func instrumented(t *testing.T, opts Options) (*socket.Server, *Admin, string) {
	t.Helper()
	srv := socket.NewServer(nil)
	srv.OnConnection(func(s *socket.Socket) {
		s.OnEvent("join", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
			s.Join(args.String(0))
			if ack != nil {
				_ = ack()
			}
		})
	})
	if opts.StatsInterval == 0 {
		opts.StatsInterval = 300 * time.Millisecond
	}
	a, err := Instrument(srv, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close) // after the server's shutdown
	return srv, a, sockettest.Serve(t, srv, srv)
}

// remarshal decodes v, from a client.js report, into out.
func remarshal(t *testing.T, v any, out any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

// TestAdminProtocol plays the admin UI with the official client: a wrong
// password is refused; the right one gets a session id, the features, the
// socket list (without the handshake's auth payload) and the stats; the
// session id alone lets it in again; then checkLive.
func TestAdminProtocol(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	_, _, url := instrumented(t, Options{ServerID: "go-1", Auth: &BasicAuth{Username: "admin", PasswordHash: hash(t, "s3cret")}})
	d := peer.Client(t)
	d.Connect("u", url, map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"token": "t"}})
	u := d.Wait(match{"ev": "connect", "client": "u"}, waitFor).String("id")
	d.EmitWithAck("u", "j", "join", 0, "lobby")
	d.Wait(match{"ev": "ack", "ref": "j"}, waitFor)

	d.Connect("bad", url+"/admin", map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"username": "admin", "password": "wrong"}})
	if msg := d.Wait(match{"ev": "connect_error", "client": "bad"}, waitFor).String("message"); msg != "invalid credentials" {
		t.Errorf("wrong password: connect_error %q", msg)
	}

	d.Connect("ui", url+"/admin", map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"username": "admin", "password": "s3cret"}})
	d.Wait(match{"ev": "connect", "client": "ui"}, waitFor)
	session := d.Wait(match{"ev": "event", "client": "ui", "name": "session"}, waitFor).Args()
	var config struct{ SupportedFeatures []string }
	remarshal(t, d.Wait(match{"ev": "event", "client": "ui", "name": "config"}, waitFor).Args()[0], &config)
	if got := strings.Join(config.SupportedFeatures, ","); got != "EMIT,JOIN,LEAVE,DISCONNECT,MJOIN,MLEAVE,MDISCONNECT,AGGREGATED_EVENTS,ALL_EVENTS" {
		t.Errorf("features = %s", got)
	}
	var all []serializedSocket
	remarshal(t, d.Wait(match{"ev": "event", "client": "ui", "name": "all_sockets"}, waitFor).Args()[0], &all)
	checkListed(t, all, u, 2)

	// u and the UI (the refused client's connection may take a moment to go).
	waitEvent(t, d, "server_stats", func(args []any) bool {
		var st serverStats
		remarshal(t, args[0], &st)
		return st.ServerID == "go-1" && st.ClientsCount == 2 && st.PollingClientsCount == 0 && st.PID > 0 && st.Uptime > 0
	})

	// The session id alone lets the UI in again.
	d.Connect("ui2", url+"/admin", map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"sessionId": session[0]}})
	d.Wait(match{"ev": "connect", "client": "ui2"}, waitFor)
	d.Never(match{"ev": "event", "client": "ui2", "name": "session"}, 200*time.Millisecond)

	checkLive(t, d, url)
	d.Never(match{"ev": "disconnect", "client": "u"}, 200*time.Millisecond)
}

// checkLive connects a socket v and checks that the UI "ui" is told of it,
// of its join and of its events, and that the UI's actions reach it:
// join, leave, emit (reported as event_sent), and _disconnect, which is
// reported.
func checkLive(t *testing.T, d *nodepeer.Driver, url string) {
	t.Helper()
	d.Connect("v", url, map[string]any{"transports": []string{"websocket"}})
	v := d.Wait(match{"ev": "connect", "client": "v"}, waitFor).String("id")
	var connected serializedSocket
	remarshal(t, waitEvent(t, d, "socket_connected", func(args []any) bool {
		m, _ := args[0].(map[string]any)
		return m["id"] == v
	})[0], &connected)
	if connected.NSP != "/" || connected.Transport != "websocket" || len(connected.ClientID) != 12 || len(connected.Rooms) != 1 {
		t.Errorf("socket_connected %+v", connected)
	}
	d.Emit("v", "join", "r1")
	waitEvent(t, d, "room_joined", func(args []any) bool { return args[0] == "/" && args[1] == "r1" && args[2] == v })
	d.Emit("v", "hello", 1, "two")
	got := waitEvent(t, d, "event_received", func(args []any) bool { e, _ := args[2].([]any); return args[1] == v && len(e) > 0 && e[0] == "hello" })
	if b, _ := json.Marshal(got[:3]); string(b) != `["/","`+v+`",["hello",1,"two"]]` {
		t.Errorf("event_received %s", b)
	}

	d.Emit("ui", "join", "/", "vip", v)
	waitEvent(t, d, "room_joined", func(args []any) bool { return args[1] == "vip" && args[2] == v })
	d.Emit("ui", "leave", "/", "vip", "r1") // the sockets of room r1: v
	waitEvent(t, d, "room_left", func(args []any) bool { return args[1] == "vip" && args[2] == v })
	d.Emit("ui", "emit", "/", "r1", "news", map[string]any{"n": 1})
	d.Wait(match{"ev": "event", "client": "v", "name": "news", "args": []any{map[string]any{"n": 1}}}, waitFor)
	got = waitEvent(t, d, "event_sent", func(args []any) bool { return args[1] == v })
	if b, _ := json.Marshal(got[:3]); string(b) != `["/","`+v+`",["news",{"n":1}]]` {
		t.Errorf("event_sent %s", b)
	}

	d.Emit("ui", "_disconnect", "/", false, v)
	d.Wait(match{"ev": "disconnect", "client": "v", "reason": "io server disconnect"}, waitFor)
	got = waitEvent(t, d, "socket_disconnected", func(args []any) bool { return args[1] == v })
	if got[0] != "/" || got[2] != "server namespace disconnect" {
		t.Errorf("socket_disconnected %v", got)
	}
}

// waitEvent waits for the first UI event name whose arguments ok accepts
// and returns them; other events of that name are dropped.
func waitEvent(t *testing.T, d *nodepeer.Driver, name string, ok func(args []any) bool) []any {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		args := d.Wait(match{"ev": "event", "client": "ui", "name": name}, time.Until(deadline)).Args()
		if len(args) > 0 && ok(args) {
			return args
		}
	}
	t.Fatalf("no %s event as expected", name)
	return nil
}

// checkListed checks that the socket id is in list, in "/" on WebSocket
// with rooms rooms, with Node's handshake but not its auth payload.
func checkListed(t *testing.T, list []serializedSocket, id string, rooms int) {
	t.Helper()
	for _, s := range list {
		if s.ID != id {
			continue
		}
		var hs map[string]any
		_ = json.Unmarshal(s.Handshake, &hs)
		if s.NSP != "/" || s.Transport != "websocket" || len(s.ClientID) != 12 || len(s.Rooms) != rooms {
			t.Errorf("listed as %+v", s)
		}
		if _, ok := hs["auth"]; ok || hs["address"] == nil || hs["headers"] == nil || hs["query"] == nil {
			t.Errorf("handshake %v: want Node's form without auth", hs)
		}
		return
	}
	t.Errorf("%s is not in all_sockets %+v", id, list)
}

// TestAdminReadOnlyProduction checks the read-only production mode
// without authentication: the UI may connect with empty credentials and
// gets only the aggregated-events feature and the stats (which count the
// connections, packets and bytes), no socket list nor socket events, and its actions are
// ignored.
func TestAdminReadOnlyProduction(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	_, _, url := instrumented(t, Options{NoAuth: true, ReadOnly: true, Production: true})
	d := peer.Client(t)
	d.Connect("ui", url+"/admin", map[string]any{"transports": []string{"websocket"}, "auth": map[string]any{"username": "", "password": ""}})
	d.Wait(match{"ev": "connect", "client": "ui"}, waitFor)
	d.Wait(match{"ev": "event", "client": "ui", "name": "config", "args": []any{map[string]any{"supportedFeatures": []any{"AGGREGATED_EVENTS"}}}}, waitFor)

	d.Connect("u", url, map[string]any{"transports": []string{"polling"}})
	u := d.Wait(match{"ev": "connect", "client": "u"}, waitFor).String("id")
	d.Emit("ui", "_disconnect", "/", true, u)
	d.Emit("u", "join", "r")
	counts := map[string]int{}
	waitEvent(t, d, "server_stats", func(args []any) bool {
		var st serverStats
		remarshal(t, args[0], &st)
		for _, e := range st.AggregatedEvents {
			if e.SubType == "" && e.Timestamp%1000 == 0 {
				counts[e.Type] += e.Count
			}
		}
		// Two connections, and traffic both ways: at least u's CONNECT
		// and join, the CONNECT replies and the stats themselves.
		return st.ClientsCount == 2 && st.PollingClientsCount == 1 && counts["rawConnection"] == 2 &&
			counts["packetsIn"] >= 4 && counts["packetsOut"] >= 3 && counts["bytesIn"] > counts["packetsIn"] && counts["bytesOut"] > 100
	})
	for _, name := range []string{"all_sockets", "socket_connected", "room_joined", "event_received", "session"} {
		d.Never(match{"ev": "event", "client": "ui", "name": name}, 0)
	}
	d.Never(match{"ev": "disconnect", "client": "u"}, 300*time.Millisecond)
}

// TestAdminUpgrade checks that a client that upgrades from polling to
// WebSocket is reported as it happens (socket_updated) and listed with
// its new transport.
func TestAdminUpgrade(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	_, _, url := instrumented(t, Options{NoAuth: true})
	d := peer.Client(t)
	d.Connect("ui", url+"/admin", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "ui"}, waitFor)
	d.Connect("u", url, map[string]any{"transports": []string{"polling", "websocket"}})
	u := d.Wait(match{"ev": "connect", "client": "u"}, waitFor).String("id")
	d.Wait(match{"ev": "upgrade", "client": "u"}, waitFor)
	waitEvent(t, d, "socket_updated", func(args []any) bool {
		m, _ := args[0].(map[string]any)
		return m["id"] == u && m["nsp"] == "/" && m["transport"] == "websocket"
	})
	d.Connect("ui2", url+"/admin", map[string]any{"transports": []string{"websocket"}})
	var all []serializedSocket
	remarshal(t, d.Wait(match{"ev": "event", "client": "ui2", "name": "all_sockets"}, waitFor).Args()[0], &all)
	checkListed(t, all, u, 1)
}
