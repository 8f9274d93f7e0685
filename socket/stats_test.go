package socket

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// hookLog records what the hooks of a server received.
type hookLog struct {
	connects    chan *Socket
	disconnects chan DisconnectReason
	refusals    chan Refusal
	slow        chan SlowClient
}

func newHookLog() (*hookLog, Hooks) {
	l := &hookLog{make(chan *Socket, 8), make(chan DisconnectReason, 8), make(chan Refusal, 8), make(chan SlowClient, 8)}
	return l, Hooks{
		OnConnect:    func(s *Socket) { l.connects <- s },
		OnDisconnect: func(_ *Socket, r DisconnectReason) { l.disconnects <- r },
		OnRefuse:     func(r *Refusal) { l.refusals <- *r },
		OnSlowClient: func(c *SlowClient) { l.slow <- *c },
	}
}

// TestInteropHooksAndStats drives the official client through a
// connection, an ack the server asked for, a refusal by middleware, one
// for an unknown namespace and a disconnect, and checks that each hook
// saw it and Stats counted exactly that.
func TestInteropHooksAndStats(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	hooks, h := newHookLog()
	srv := NewServer(&Options{Hooks: h})
	acked := make(chan error, 1)
	srv.OnConnection(func(s *Socket) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := s.EmitWithAck(ctx, "question", 1)
			acked <- err
		}()
	})
	srv.Of("/secure").Use(func(context.Context, *Socket) error { return &ConnectError{Message: "nope"} })
	url := serve(t, srv)

	d := peer.Client(t)
	d.Connect("main", url, map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "main"}, waitFor)
	if s := wait(t, hooks.connects); s.Namespace().Name() != "/" {
		t.Fatalf("OnConnect for namespace %q", s.Namespace().Name())
	}
	q := d.Wait(match{"ev": "event", "client": "main", "name": "question"}, waitFor)
	d.Ack("main", q.Int("ackRef"), "answer")
	if err := wait(t, acked); err != nil {
		t.Fatalf("EmitWithAck: %v", err)
	}
	if st := srv.Stats(); namespaceSockets(st, "/") != 1 {
		t.Fatalf("sockets on / while connected: %+v", st.Namespaces)
	}
	for _, nsp := range []string{"/secure", "/nope"} {
		d.Send(map[string]any{"cmd": "connect", "client": nsp, "manager": "main", "nsp": nsp})
		d.Wait(match{"ev": "connect_error", "client": nsp}, waitFor)
	}
	checkRefusal(t, wait(t, hooks.refusals), Refusal{Reason: RefusedMiddleware, Code: -1, Message: "nope", Namespace: "/secure"})
	checkRefusal(t, wait(t, hooks.refusals), Refusal{Reason: RefusedNamespace, Code: -1, Message: "Invalid namespace", Namespace: "/nope"})
	d.Disconnect("main")
	if r := wait(t, hooks.disconnects); r != ReasonClientNamespaceDisconnect {
		t.Fatalf("OnDisconnect reason %q", r)
	}

	st := srv.Stats()
	if st.Connections != 1 || st.Disconnections[ReasonClientNamespaceDisconnect] != 1 || sum(st.Disconnections) != 1 {
		t.Errorf("connections %d, disconnections %v", st.Connections, st.Disconnections)
	}
	if st.Refusals[RefusedMiddleware] != 1 || st.Refusals[RefusedNamespace] != 1 || sum(st.Refusals) != 2 {
		t.Errorf("refusals %v", st.Refusals)
	}
	if n := st.AckLatency.Count(); n != 1 || st.AckLatency.Sum <= 0 {
		t.Errorf("ack latency: %d observed, sum %v", n, st.AckLatency.Sum)
	}
	// In: CONNECT /, the ack, CONNECT /secure, CONNECT /nope, DISCONNECT.
	// Out: the CONNECT reply, the question, two CONNECT_ERRORs.
	if ws := st.WebSocket; ws.PacketsIn != 5 || ws.PacketsOut != 4 || ws.BytesIn == 0 || ws.BytesOut == 0 {
		t.Errorf("WebSocket traffic %+v", ws)
	}
	if st.Polling != (TransportStats{}) {
		t.Errorf("polling traffic %+v, want none", st.Polling)
	}
	if n := namespaceSockets(st, "/"); n != 0 {
		t.Errorf("sockets on / after the disconnect: %d", n)
	}
}

// TestStatsTrafficBytes counts the exact packets and payload bytes of a
// known exchange.
func TestStatsTrafficBytes(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("echo", func(s *Socket, a Args, _ AckFunc) { _ = s.Emit("echo", a.String(0)) })
	})
	c := dialWS(t, serve(t, srv), 0) // sends 40, reads 40{"sid":"<20 chars>"}
	c.send(t, `42["echo","hi"]`)
	if got := c.read(t); got != `42["echo","hi"]` {
		t.Fatalf("echo = %q", got)
	}
	st := srv.Stats().WebSocket
	want := TransportStats{PacketsIn: 2, PacketsOut: 2, BytesIn: 1 + 14, BytesOut: uint64(len(`0{"sid":""}`) + 20 + 14)}
	if st != want {
		t.Fatalf("WebSocket = %+v, want %+v", st, want)
	}
}

// TestSlowClientHooks: a client that stops reading is dropped (outbound),
// one that sends faster than its handler pauses the reading (inbound);
// both reach OnSlowClient and Stats.
func TestSlowClientHooks(t *testing.T) {
	t.Parallel()
	hooks, h := newHookLog()
	srv := NewServer(&Options{Hooks: h, MaxPendingEvents: 1,
		EngineOptions: EngineOptions{WriteQueueSize: 8, BatchInterval: -1}})
	release := make(chan struct{})
	sockets := make(chan *Socket, 2)
	srv.OnConnection(func(s *Socket) {
		sockets <- s
		s.OnEvent("block", func(*Socket, Args, AckFunc) { <-release })
	})
	url := serve(t, srv)

	slow := dialWS(t, url, 4096)
	s := wait(t, sockets)
	payload := strings.Repeat("x", 64<<10)
	for deadline := time.Now().Add(5 * time.Second); s.Emit("flood", payload) == nil; {
		if time.Now().After(deadline) {
			t.Fatal("a client that does not read was never dropped")
		}
	}
	out := wait(t, hooks.slow)
	if out.Direction != Outbound || out.Transport != WebSocket || out.ID == "" || out.Socket != nil {
		t.Fatalf("outbound slow client %+v", out)
	}
	if r := wait(t, hooks.disconnects); r != ReasonTransportError {
		t.Fatalf("slow client's disconnect reason %q", r)
	}
	slow.conn.Close()

	busy := dialWS(t, url, 0)
	b := wait(t, sockets)
	busy.send(t, `42["block"]`) // runs, and blocks
	busy.send(t, `42["block"]`) // waits in the queue
	busy.send(t, `42["block"]`) // finds the queue full
	in := wait(t, hooks.slow)
	// Read while the handler still blocks: once released, the third event
	// may find the queue full again behind the second, a second pause.
	st := srv.Stats()
	close(release)
	if in.Direction != Inbound || in.Socket != b || in.Transport != WebSocket {
		t.Fatalf("inbound slow client %+v", in)
	}
	if st.SlowClients[Outbound] != 1 || st.SlowClients[Inbound] != 1 {
		t.Fatalf("SlowClients = %v", st.SlowClients)
	}
}

// TestEngineRefusalHook: a request the Engine.IO layer refuses reaches
// OnRefuse as Node's connection_error does, with its code, message and
// request.
func TestEngineRefusalHook(t *testing.T) {
	t.Parallel()
	hooks, h := newHookLog()
	srv := NewServer(&Options{Hooks: h})
	url := serve(t, srv)
	res, err := http.Get(url + "/socket.io/?EIO=9&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	r := wait(t, hooks.refusals)
	if r.Reason != RefusedBadRequest || r.Code != 5 || r.Message != "Unsupported protocol version" ||
		r.Request == nil || r.Socket != nil {
		t.Fatalf("refusal %+v", r)
	}
	if n := srv.Stats().Refusals[RefusedBadRequest]; n != 1 {
		t.Fatalf("Refusals[bad_request] = %d", n)
	}
}

// TestHandlerErrorLoggedAtWarning: without OnError, a handler's error is
// logged at warning level.
func TestHandlerErrorLoggedAtWarning(t *testing.T) {
	t.Parallel()
	logs := &levelRecorder{records: make(chan slog.Record, 16)}
	srv := NewServer(&Options{EngineOptions: EngineOptions{Logger: slog.New(logs)}})
	srv.OnConnection(func(s *Socket) {
		On(s, "fail", func(*Socket, string) error { return errors.New("boom") })
	})
	c := dialWS(t, serve(t, srv), 0)
	c.send(t, `42["fail","x"]`)
	for {
		r := wait(t, logs.records)
		if r.Message != "socket: handler error" {
			continue
		}
		if r.Level != slog.LevelWarn {
			t.Fatalf("handler error logged at %v", r.Level)
		}
		return
	}
}

// TestDisconnectLoggedAtDebug: with a logger that takes debug records, a
// client's leaving is logged twice, for its socket and for its connection,
// with who left and why.
func TestDisconnectLoggedAtDebug(t *testing.T) {
	t.Parallel()
	logs := &levelRecorder{records: make(chan slog.Record, 16)}
	srv := NewServer(&Options{EngineOptions: EngineOptions{Logger: slog.New(logs)}})
	ids := make(chan string, 1)
	srv.OnConnection(func(s *Socket) { ids <- s.ID() })
	c := dialWS(t, serve(t, srv), 0)
	id := wait(t, ids)
	c.conn.Close()
	want := map[string]string{"socket disconnected": id, "socket: connection closed": ""}
	for len(want) > 0 {
		r := wait(t, logs.records)
		wantID, ok := want[r.Message]
		if !ok {
			continue
		}
		attrs := map[string]string{}
		r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value.String(); return true })
		if r.Level != slog.LevelDebug || attrs["reason"] != string(ReasonTransportClose) || (wantID != "" && attrs["id"] != wantID) {
			t.Fatalf("%q at %v with %v", r.Message, r.Level, attrs)
		}
		delete(want, r.Message)
	}
}

// levelRecorder is a slog.Handler that passes on every record.
type levelRecorder struct{ records chan slog.Record }

func (h *levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelRecorder) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.records <- r:
	default:
	}
	return nil
}
func (h *levelRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *levelRecorder) WithGroup(string) slog.Handler      { return h }

func checkRefusal(t *testing.T, got, want Refusal) {
	t.Helper()
	if got.Socket == nil && want.Reason == RefusedMiddleware {
		t.Errorf("middleware refusal without its socket")
	}
	got.Socket, got.Request = nil, nil
	if got != want {
		t.Errorf("refusal %+v, want %+v", got, want)
	}
}

func namespaceSockets(st Stats, name string) int {
	for _, n := range st.Namespaces {
		if n.Name == name {
			return n.Sockets
		}
	}
	return -1
}

func sum[K comparable](m map[K]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
