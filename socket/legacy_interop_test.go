package socket

// Interop tests with socket.io-client 2.5.0 (Engine.IO v3, Socket.IO
// protocol v4), driven under Node through internal/nodepeer, against a
// Server with AllowEIO3.

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/envivo/socketio/internal/nodepeer"
)

// legacyTransports are the ways socket.io-client 2.x reaches the server.
// forceBase64 makes it send and ask for binary as base64 text (b64=1).
var legacyTransports = []struct {
	name    string
	opts    map[string]any
	settled string
}{
	{"websocket", map[string]any{"transports": []string{"websocket"}}, WebSocket},
	{"polling", map[string]any{"transports": []string{"polling"}}, Polling},
	{"polling-base64", map[string]any{"transports": []string{"polling"}, "forceBase64": true}, Polling},
	{"websocket-base64", map[string]any{"transports": []string{"websocket"}, "forceBase64": true}, WebSocket},
	{"upgrade", map[string]any{"transports": []string{"polling", "websocket"}}, WebSocket},
}

func legacyServer() *Server {
	return NewServer(&Options{EngineOptions: EngineOptions{AllowEIO3: true}})
}

// TestLegacyInteropEvents: over every transport, a 2.x client is joined to
// "/" without asking, with the id it computes itself (the Engine.IO sid);
// events and acks go both ways in order, binary included.
func TestLegacyInteropEvents(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range legacyTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			srv := legacyServer()
			sockets := make(chan *Socket, 1)
			srv.OnConnection(func(s *Socket) {
				s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) {
					if ack != nil {
						_ = ack(args.Values()...)
					}
				})
				sockets <- s
			})
			url := serve(t, srv)
			d := peer.Client(t)
			d.ConnectV2("c", url, tr.opts)
			e := d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
			s := wait(t, sockets)
			if e.String("id") != s.ID() {
				t.Errorf("client id %q, server id %q", e.String("id"), s.ID())
			}
			if tr.name == "upgrade" {
				d.Wait(match{"ev": "upgrade", "transport": "websocket"}, waitFor)
			}
			for i := range 20 {
				d.EmitWithAck("c", fmt.Sprint("r", i), "echo", 0, i, "é\u2028😀", nodepeer.Bin([]byte{byte(i), 0, 255}))
			}
			for i := range 20 {
				args := d.Wait(match{"ev": "ack", "ref": fmt.Sprint("r", i)}, waitFor).Args()
				if len(args) != 3 || args[0] != float64(i) || args[1] != "é\u2028😀" {
					t.Fatalf("echo %d: got %v", i, args)
				}
				if b, ok := nodepeer.DecodeBin(args[2]); !ok || !bytes.Equal(b, []byte{byte(i), 0, 255}) {
					t.Fatalf("echo %d: binary came back as %v", i, args[2])
				}
			}
			legacyServerAck(t, d, s)
			if got := s.Transport(); got != tr.settled {
				t.Errorf("transport = %s, want %s", got, tr.settled)
			}
		})
	}
}

// TestLegacyInteropHeartbeat: the 2.x client pings and the server answers,
// so the connection outlives several PingIntervals; PingTimeout is long
// enough that a slow machine does not matter.
func TestLegacyInteropHeartbeat(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range legacyTransports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(&Options{EngineOptions: EngineOptions{AllowEIO3: true, PingInterval: 200e6, PingTimeout: 3e9}})
			url := serve(t, srv)
			d := peer.Client(t)
			d.ConnectV2("c", url, tr.opts)
			d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
			d.Never(match{"ev": "disconnect", "client": "c"}, 4e9) // PingInterval+PingTimeout is 3.2s
		})
	}
}

// legacyServerAck asks the client for an ack with binary both ways.
func legacyServerAck(t *testing.T, d *nodepeer.Driver, s *Socket) {
	t.Helper()
	type answer struct {
		args Args
		err  error
	}
	answers := make(chan answer, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		args, err := s.EmitWithAck(ctx, "question", "6x7", []byte{9, 9})
		answers <- answer{args, err}
	}()
	q := d.Wait(match{"ev": "event", "name": "question"}, waitFor)
	if b, ok := nodepeer.DecodeBin(q.Args()[1]); !ok || !bytes.Equal(b, []byte{9, 9}) {
		t.Fatalf("binary argument arrived as %v", q.Args()[1])
	}
	d.Ack("c", q.Int("ackRef"), 42, nodepeer.Bin([]byte("ok")))
	a := wait(t, answers)
	var n int
	var b []byte
	if a.err != nil || a.args.Decode(0, &n) != nil || a.args.Decode(1, &b) != nil || n != 42 || string(b) != "ok" {
		t.Fatalf("ack = %v, %v", a.args, a.err)
	}
}

// TestLegacyInteropNamespaces: a 2.x client joins a namespace whose query
// is its auth, is refused by middleware with the message as the "error"
// event's string (or the ConnectError's data), and gets "Invalid
// namespace" as an object, as from Node.
func TestLegacyInteropNamespaces(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := legacyServer()
	admin := srv.Of("/admin")
	admin.Use(func(ctx context.Context, s *Socket) error {
		var a struct{ Token string }
		_ = s.Handshake().DecodeAuth(&a)
		switch a.Token {
		case "x":
			return nil
		case "data":
			return &ConnectError{Message: "ignored", Data: map[string]any{"code": 7}}
		}
		return &ConnectError{Message: "Not authorized"}
	})
	reasons := make(chan string, 4)
	admin.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(_ *Socket, reason DisconnectReason) { reasons <- string(reason) })
		_ = s.Emit("hello", s.ID(), string(s.Handshake().Auth))
	})
	url := serve(t, srv)
	d := peer.Client(t)

	// The query is sent in the order of its keys: Go sorts those of a map.
	d.ConnectV2("ok", url+"/admin", map[string]any{"query": map[string]any{"token": "x", "b": "é&="}})
	e := d.Wait(match{"ev": "connect", "client": "ok"}, waitFor)
	hello := d.Wait(match{"ev": "event", "client": "ok", "name": "hello"}, waitFor).Args()
	if hello[0] != e.String("id") || hello[1] != `{"b":"é&=","token":"x"}` {
		t.Errorf("hello = %v, client id %q", hello, e.String("id"))
	}

	d.ConnectV2("no", url+"/admin", map[string]any{"query": map[string]any{"token": "y"}, "reconnection": false})
	if got := d.Wait(match{"ev": "socket_error", "client": "no"}, waitFor)["data"]; got != "Not authorized" {
		t.Errorf("refusal = %#v, want the message", got)
	}
	d.ConnectV2("data", url+"/admin", map[string]any{"query": map[string]any{"token": "data"}, "reconnection": false})
	if got, _ := d.Wait(match{"ev": "socket_error", "client": "data"}, waitFor)["data"].(map[string]any); got["code"] != float64(7) {
		t.Errorf("refusal with data = %#v", got)
	}
	d.ConnectV2("nowhere", url+"/nowhere", map[string]any{"reconnection": false})
	if got, _ := d.Wait(match{"ev": "socket_error", "client": "nowhere"}, waitFor)["data"].(map[string]any); got["message"] != "Invalid namespace" {
		t.Errorf("unknown namespace = %#v", got)
	}
	d.Never(match{"ev": "disconnect", "client": "ok"}, 100e6)

	// Leaving a namespace (41/admin) ends that socket only: "/" on the same
	// connection still gets events.
	d.ConnectV2("root", url, nil)
	d.Wait(match{"ev": "connect", "client": "root"}, waitFor)
	d.Send(map[string]any{"cmd": "connect", "client": "sub", "manager": "root", "nsp": "/admin",
		"opts": map[string]any{"query": map[string]any{"token": "x"}}})
	d.Wait(match{"ev": "connect", "client": "sub"}, waitFor)
	d.Disconnect("sub")
	if got := wait(t, reasons); got != "client namespace disconnect" {
		t.Errorf("server-side reason %q", got)
	}
	if err := srv.Emit("still", 1); err != nil {
		t.Fatal(err)
	}
	d.Wait(match{"ev": "event", "client": "root", "name": "still"}, waitFor)
}

// TestLegacyInteropRooms: 2.x and 4.x clients in one room, on /chat and on
// the same Manager as "/", receive the same broadcast, binary included.
func TestLegacyInteropRooms(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := legacyServer()
	chat := srv.Of("/chat")
	joined := make(chan string, 4)
	chat.OnConnection(func(s *Socket) {
		s.OnEvent("join", func(s *Socket, args Args, ack AckFunc) {
			var room string
			_ = args.Decode(0, &room)
			s.Join(room)
			joined <- s.ID()
			_ = ack()
		})
	})
	url := serve(t, srv)
	d := peer.Client(t)
	d.ConnectV2("old", url, map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "old"}, waitFor)
	d.Send(map[string]any{"cmd": "connect", "client": "oldchat", "manager": "old", "nsp": "/chat"})
	d.ConnectV2("oldpoll", url+"/chat", map[string]any{"transports": []string{"polling"}})
	d.Connect("new", url+"/chat", nil)
	for _, c := range []string{"oldchat", "oldpoll", "new"} {
		d.Wait(match{"ev": "connect", "client": c}, waitFor)
		d.EmitWithAck(c, "j-"+c, "join", 0, "r")
		d.Wait(match{"ev": "ack", "ref": "j-" + c}, waitFor)
	}
	if err := chat.To("r").Emit("news", "hi", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"oldchat", "oldpoll", "new"} {
		args := d.Wait(match{"ev": "event", "client": c, "name": "news"}, waitFor).Args()
		if b, ok := nodepeer.DecodeBin(args[1]); len(args) != 2 || args[0] != "hi" || !ok || !bytes.Equal(b, []byte{1, 2, 3}) {
			t.Errorf("%s got news %v", c, args)
		}
	}
	d.Never(match{"ev": "event", "client": "old", "name": "news"}, 100e6)
}
