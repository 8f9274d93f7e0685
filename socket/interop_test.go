package socket

// Interop tests: the official socket.io-client, driven under Node through
// internal/nodepeer, against a live Server.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

const waitFor = 10 * time.Second

type match = nodepeer.Match

// transports are the ways socket.io-client reaches the server.
var transports = []struct {
	name    string
	opts    map[string]any
	settled string // the transport the client ends on
}{
	{"websocket", map[string]any{"transports": []string{"websocket"}}, WebSocket},
	{"polling", map[string]any{"transports": []string{"polling"}}, Polling},
	{"upgrade", map[string]any{"transports": []string{"polling", "websocket"}}, WebSocket},
}

// echoServer answers "echo" with its arguments and "whoami" with the
// socket's id.
func echoServer(t *testing.T) (*Server, string) {
	srv := NewServer(nil)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) {
			if ack != nil {
				_ = ack(args.Values()...)
			} else {
				_ = s.Emit("echo", args.Values()...)
			}
		})
	})
	return srv, serve(t, srv)
}

func TestInteropTransports(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			_, url := echoServer(t)
			d := peer.Client(t)
			d.Connect("c", url, tr.opts)
			d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
			if tr.name == "upgrade" {
				d.Wait(match{"ev": "upgrade", "transport": "websocket"}, waitFor)
			}
			// 20 echoes in a row, text and binary, answered in order.
			for i := range 20 {
				ref := fmt.Sprint("r", i)
				d.EmitWithAck("c", ref, "echo", 0, i, "é\u2028", nodepeer.Bin([]byte{byte(i), 0, 255}))
			}
			for i := range 20 {
				args := d.Wait(match{"ev": "ack", "ref": fmt.Sprint("r", i)}, waitFor).Args()
				if len(args) != 3 || args[0] != float64(i) || args[1] != "é\u2028" {
					t.Fatalf("echo %d: got %v", i, args)
				}
				if b, ok := nodepeer.DecodeBin(args[2]); !ok || !bytes.Equal(b, []byte{byte(i), 0, 255}) {
					t.Fatalf("echo %d: binary came back as %v", i, args[2])
				}
			}
		})
	}
}

func TestInteropAuthAndRefusal(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	auths := make(chan string, 4)
	srv.Use(func(ctx context.Context, s *Socket) error {
		auths <- string(s.Handshake().Auth)
		var a struct{ Token string }
		if err := s.Handshake().DecodeAuth(&a); err != nil || a.Token != "123" {
			return &ConnectError{Message: "invalid token", Data: map[string]any{"code": "E_TOKEN"}}
		}
		return nil
	})
	connected := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { connected <- s })
	url := serve(t, srv)

	d := peer.Client(t)
	d.Connect("good", url, map[string]any{"auth": map[string]any{"token": "123"}, "extraHeaders": map[string]any{"x-app": "demo"}})
	d.Wait(match{"ev": "connect", "client": "good"}, waitFor)
	if got := wait(t, auths); got != `{"token":"123"}` {
		t.Errorf("auth seen by middleware = %s, want the client's bytes", got)
	}
	s := wait(t, connected)
	if h := s.Handshake(); net.ParseIP(h.Address) == nil || h.Query().Get("EIO") != "4" ||
		h.Headers.Get("x-app") != "demo" || !strings.HasSuffix(url, h.Headers.Get("Host")) {
		t.Errorf("handshake = %+v", h)
	}

	d.Connect("bad", url, map[string]any{"auth": map[string]any{"token": "nope"}, "reconnection": false})
	e := d.Wait(match{"ev": "connect_error", "client": "bad"}, waitFor)
	if e.String("message") != "invalid token" {
		t.Errorf("connect_error message = %q", e.String("message"))
	}
	if data, _ := e["data"].(map[string]any); data["code"] != "E_TOKEN" {
		t.Errorf("connect_error data = %v", e["data"])
	}
	if got := wait(t, auths); got != `{"token":"nope"}` {
		t.Errorf("auth = %s", got)
	}
}

func TestInteropNamespaces(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	chat := srv.Of("/chat")
	chat.Use(func(ctx context.Context, s *Socket) error {
		s.Set("nsp-middleware", true)
		return nil
	})
	chat.OnConnection(func(s *Socket) {
		_, ok := s.Get("nsp-middleware")
		_ = s.Emit("hello", s.Namespace().Name(), ok)
	})
	parent := srv.OfFunc(func(name string, _ json.RawMessage) bool { return len(name) > 6 && name[:6] == "/team-" })
	parent.OnConnection(func(s *Socket) { _ = s.Emit("hello", s.Namespace().Name(), false) })
	url := serve(t, srv)

	d := peer.Client(t)
	d.Connect("chat", url+"/chat", nil)
	e := d.Wait(match{"ev": "event", "client": "chat", "name": "hello"}, waitFor)
	if args := e.Args(); args[0] != "/chat" || args[1] != true {
		t.Errorf("hello on /chat = %v", args)
	}
	d.Connect("team", url+"/team-42", nil)
	e = d.Wait(match{"ev": "event", "client": "team", "name": "hello"}, waitFor)
	if args := e.Args(); args[0] != "/team-42" {
		t.Errorf("hello on dynamic namespace = %v", args)
	}
	if err := parent.Emit("news", "to all teams"); err != nil {
		t.Fatal(err)
	}
	d.Wait(match{"ev": "event", "client": "team", "name": "news"}, waitFor)

	d.Connect("nowhere", url+"/nowhere", map[string]any{"reconnection": false})
	e = d.Wait(match{"ev": "connect_error", "client": "nowhere"}, waitFor)
	if e.String("message") != "Invalid namespace" {
		t.Errorf("unknown namespace: %q", e.String("message"))
	}
}

func TestInteropServerAcks(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(nil)
			sockets := make(chan *Socket, 1)
			srv.OnConnection(func(s *Socket) { sockets <- s })
			url := serve(t, srv)
			d := peer.Client(t)
			d.Connect("c", url, tr.opts)
			s := wait(t, sockets)

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

			// A client that never answers: the context's deadline ends the wait.
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := s.EmitWithAck(ctx, "question", "silence")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("unanswered ack: err = %v", err)
			}
		})
	}
}

func TestInteropTypedEvents(t *testing.T) {
	peer := nodepeer.Require(t)
	type message struct {
		Room    string `json:"roomId"`
		Content string `json:"content"`
	}
	type sum struct {
		Total int `json:"total"`
	}
	var (
		chatMessage = Event[message]{Name: "chat:message"}
		add         = AckEvent[[]int, sum]{Name: "add"}
	)
	errs := make(chan error, 4)
	srv := NewServer(&Options{OnError: func(s *Socket, event string, err error) { errs <- err }})
	srv.OnConnection(func(s *Socket) {
		chatMessage.On(s, func(s *Socket, m message) error {
			return chatMessage.Emit(s, message{Room: m.Room, Content: "echo: " + m.Content})
		})
		add.On(s, func(ctx context.Context, s *Socket, in []int) (sum, error) {
			if len(in) == 0 {
				return sum{}, errors.New("nothing to add")
			}
			total := 0
			for _, v := range in {
				total += v
			}
			return sum{total}, nil
		})
	})
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("c", url, nil)
	d.Wait(match{"ev": "connect"}, waitFor)

	d.Emit("c", "chat:message", map[string]any{"roomId": "r1", "content": "hi"})
	e := d.Wait(match{"ev": "event", "name": "chat:message"}, waitFor)
	if m, _ := e.Args()[0].(map[string]any); m["content"] != "echo: hi" || m["roomId"] != "r1" {
		t.Errorf("typed echo = %v", e.Args())
	}
	d.EmitWithAck("c", "sum", "add", 0, []int{1, 2, 3})
	if got := d.Wait(match{"ev": "ack", "ref": "sum"}, waitFor).Args(); fmt.Sprint(got) != "[map[total:6]]" {
		t.Errorf("add = %v", got)
	}
	d.EmitWithAck("c", "empty", "add", 0, []int{})
	if got := d.Wait(match{"ev": "ack", "ref": "empty"}, waitFor).Args(); fmt.Sprint(got) != "[map[error:nothing to add]]" {
		t.Errorf("add error = %v", got)
	}
	if err := wait(t, errs); err.Error() != "nothing to add" {
		t.Errorf("OnError got %v", err)
	}
	d.Emit("c", "chat:message", "not an object")
	if err := wait(t, errs); err == nil {
		t.Error("a payload of the wrong type reached the handler")
	}
	// Arguments that do not decode: the client gets a stable message, not
	// encoding/json's (which names Go types); OnError gets the detail.
	d.EmitWithAck("c", "bad", "add", 0, "not a list")
	if got := d.Wait(match{"ev": "ack", "ref": "bad"}, waitFor).Args(); fmt.Sprint(got) != "[map[error:invalid arguments for add]]" {
		t.Errorf("reply to undecodable arguments = %v", got)
	}
	if err := wait(t, errs); !strings.Contains(err.Error(), "json") {
		t.Errorf("OnError got %v, want the decoding error", err)
	}
}

func TestInteropRoomsAndBroadcasts(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	var joined sync.WaitGroup
	joined.Add(3)
	byName := sync.Map{}
	srv.OnConnection(func(s *Socket) {
		var name string
		_ = s.Handshake().DecodeAuth(&struct{ Name *string }{&name})
		byName.Store(name, s)
		if name != "carol" {
			s.Join("room1")
		}
		s.Join("user:" + name)
		s.OnEvent("shout", func(s *Socket, args Args, _ AckFunc) {
			_ = s.To("room1").Emit("shouted", args.String(0))
		})
		joined.Done()
	})
	url := serve(t, srv)
	d := peer.Client(t)
	for i, name := range []string{"alice", "bob", "carol"} {
		d.Connect(name, url, map[string]any{"auth": map[string]any{"name": name}, "transports": transports[i].opts["transports"]})
	}
	joined.Wait()

	check := func(event string, want ...string) {
		t.Helper()
		for _, name := range want {
			d.Wait(match{"ev": "event", "client": name, "name": event}, waitFor)
		}
		for _, name := range []string{"alice", "bob", "carol"} {
			if !contains(want, name) {
				d.Never(match{"ev": "event", "client": name, "name": event}, 100*time.Millisecond)
			}
		}
	}
	_ = srv.To("room1").Emit("to-room")
	check("to-room", "alice", "bob")
	_ = srv.Except("room1").Emit("except-room")
	check("except-room", "carol")
	_ = srv.To("room1", "user:carol").Except("user:bob").Emit("union")
	check("union", "alice", "carol")
	_ = srv.Emit("all")
	check("all", "alice", "bob", "carol")
	d.Emit("alice", "shout", "hey")
	check("shouted", "bob") // socket.To excludes the sender

	ctx := context.Background()
	n, err := srv.To("room1").Count(ctx)
	if err != nil || n != 2 {
		t.Errorf("Count(room1) = %d, %v", n, err)
	}
	if err := srv.In("user:carol").SocketsJoin(ctx, "room1"); err != nil {
		t.Fatal(err)
	}
	_ = srv.To("room1").Emit("after-join")
	check("after-join", "alice", "bob", "carol")
	found, _ := srv.To("room1").FetchSockets(ctx)
	var ids []string
	for _, r := range found {
		ids = append(ids, r.ID)
	}
	sort.Strings(ids)
	if len(ids) != 3 {
		t.Errorf("FetchSockets = %v", ids)
	}
	if err := srv.In("user:bob").DisconnectSockets(ctx); err != nil {
		t.Fatal(err)
	}
	if r := d.Wait(match{"ev": "disconnect", "client": "bob"}, waitFor).String("reason"); r != "io server disconnect" {
		t.Errorf("bob's disconnect reason = %q", r)
	}
}

func TestInteropBroadcastWithAck(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	var joined sync.WaitGroup
	joined.Add(3)
	srv.OnConnection(func(s *Socket) { s.Join("voters"); joined.Done() })
	url := serve(t, srv)
	d := peer.Client(t)
	for _, c := range []string{"a", "b", "c"} {
		d.Connect(c, url, nil)
	}
	joined.Wait()
	type result struct {
		replies []Args
		err     error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r, err := srv.To("voters").EmitWithAck(ctx, "vote")
		done <- result{r, err}
	}()
	for _, c := range []string{"a", "b"} {
		e := d.Wait(match{"ev": "event", "client": c, "name": "vote"}, waitFor)
		d.Ack(c, e.Int("ackRef"), "yes from "+c)
	}
	r := wait(t, done) // c never answers
	var incomplete *AckIncompleteError
	if !errors.As(r.err, &incomplete) || incomplete.Expected != 3 || incomplete.Received != 2 || len(r.replies) != 2 {
		t.Fatalf("replies = %v, err = %v", r.replies, r.err)
	}
	if !errors.Is(r.err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline", r.err)
	}
}

func TestInteropDisconnectReasons(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := NewServer(nil)
	reasons := make(chan string, 4)
	roomsWhileLeaving := make(chan []string, 4)
	srv.OnConnection(func(s *Socket) {
		s.Join("lobby")
		s.OnDisconnecting(func(s *Socket, reason DisconnectReason) { roomsWhileLeaving <- s.Rooms() })
		s.OnDisconnect(func(s *Socket, reason DisconnectReason) { reasons <- string(reason) })
	})
	url := serve(t, srv)
	d := peer.Client(t)
	d.Connect("c", url, nil)
	d.Wait(match{"ev": "connect"}, waitFor)
	d.Disconnect("c")
	if r := wait(t, reasons); r != "client namespace disconnect" {
		t.Errorf("reason = %q", r)
	}
	if rooms := wait(t, roomsWhileLeaving); !contains(rooms, "lobby") {
		t.Errorf("rooms while disconnecting = %v", rooms)
	}
	if n, _ := srv.To("lobby").Count(context.Background()); n != 0 {
		t.Errorf("%d sockets left in lobby", n)
	}
}

// TestInteropReconnect restarts the server under a connected client, which
// sees "transport close" and reconnects by itself.
func TestInteropReconnect(t *testing.T) {
	peer := nodepeer.Require(t)
	var current atomic.Pointer[Server]
	var connections atomic.Int32
	start := func() *Server {
		srv := NewServer(nil)
		srv.OnConnection(func(s *Socket) { connections.Add(1) })
		current.Store(srv)
		return srv
	}
	first := start()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		current.Load().ServeHTTP(w, r)
	}))
	defer ts.Close()
	d := peer.Client(t)
	d.Connect("c", ts.URL, map[string]any{"reconnectionDelay": 50, "reconnectionDelayMax": 100})
	d.Wait(match{"ev": "connect"}, waitFor)
	d.Wait(match{"ev": "upgrade"}, waitFor)

	second := start()
	defer func() { _ = second.Shutdown(context.Background()) }()
	if err := first.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := d.Wait(match{"ev": "disconnect"}, waitFor).String("reason"); r != "transport close" {
		t.Errorf("client saw %q", r)
	}
	d.Wait(match{"ev": "reconnect"}, waitFor)
	d.Wait(match{"ev": "connect"}, waitFor)
	if n := connections.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
