package socket

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// pollingSession opens an Engine.IO polling session in process, without a
// network, and joins it to "/".
type pollingSession struct {
	srv *Server
	url string
}

func openSession(tb testing.TB, srv *Server) *pollingSession {
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil))
	var open struct{ SID string }
	if err := json.Unmarshal(rec.Body.Bytes()[1:], &open); err != nil {
		tb.Fatalf("handshake %q: %v", rec.Body.String(), err)
	}
	s := &pollingSession{srv: srv, url: "/socket.io/?EIO=4&transport=polling&sid=" + open.SID}
	s.post("40")
	return s
}

func (s *pollingSession) post(body string) {
	s.srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, s.url, strings.NewReader(body)))
}

// drain answers one GET: what is queued (it must not be empty).
func (s *pollingSession) drain() string {
	rec := httptest.NewRecorder()
	s.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, s.url, nil))
	return rec.Body.String()
}

// connectedServer returns a server with n sockets on "/", each in room
// "bench", and their sessions.
func connectedServer(tb testing.TB, n int, opts *Options) (*Server, []*pollingSession) {
	srv := NewServer(opts)
	var joined sync.WaitGroup
	joined.Add(n)
	srv.OnConnection(func(s *Socket) {
		s.Join("bench")
		joined.Done()
	})
	sessions := make([]*pollingSession, n)
	for i := range sessions {
		sessions[i] = openSession(tb, srv)
	}
	joined.Wait()
	for _, s := range sessions {
		s.drain() // the CONNECT reply
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return srv, sessions
}

// BenchmarkBroadcastRoom10k emits to a room of 10,000 sockets: one encoding,
// then one queue entry per recipient. Allocations per op must not grow with
// the room.
//
// The queues are drained as a live server writes them, often enough that a
// drained queue's array is kept for the next (a session keeps one of up to
// 64 entries), and the drains' garbage is collected before the timer
// starts again: the time is the broadcast's, not the harness's.
func BenchmarkBroadcastRoom10k(b *testing.B) {
	const batch = 32 // emits between drains, below WriteQueueSize
	srv, sessions := connectedServer(b, 10_000, &Options{EngineOptions: EngineOptions{WriteQueueSize: batch + 1}})
	payload := json.RawMessage(`{"t":1700000000000000,"pad":"` + strings.Repeat("x", 64) + `"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := srv.To("bench").Emit("msg", payload); err != nil {
			b.Fatal(err)
		}
		if (i+1)%batch == 0 {
			b.StopTimer()
			for _, s := range sessions {
				s.drain()
			}
			runtime.GC()
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(sessions)), "ns/recipient")
}

// BenchmarkDispatchTyped measures one incoming event from its text packet
// to a typed handler, including the hand-off to the socket's goroutine.
func BenchmarkDispatchTyped(b *testing.B) {
	type move struct {
		X, Y int
	}
	srv := NewServer(nil)
	var handled sync.WaitGroup
	ready := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) {
		On(s, "move", func(s *Socket, m move) error {
			handled.Done()
			return nil
		})
		ready <- s
	})
	defer srv.Shutdown(context.Background())
	session := openSession(b, srv)
	s := <-ready
	packet := []byte(`2["move",{"X":12,"Y":34}]`)
	b.ReportAllocs()
	b.ResetTimer()
	handled.Add(b.N)
	for range b.N {
		msg := make([]byte, len(packet)) // the engine hands over a fresh buffer
		copy(msg, packet)
		s.client.HandleMessage(msg, false)
	}
	handled.Wait()
	_ = session
}

// BenchmarkEventAck measures the round of the bench server's echo: an
// event with an ack id from its text packet, through the socket's queue
// to an untyped handler, and its ack encoded and queued for the client.
func BenchmarkEventAck(b *testing.B) {
	const batch = 256 // acks between drains, below WriteQueueSize
	srv := NewServer(nil)
	var handled sync.WaitGroup
	ready := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) {
			_ = ack(args.Values()...)
			handled.Done()
		})
		ready <- s
	})
	defer srv.Shutdown(context.Background())
	session := openSession(b, srv)
	s := <-ready
	session.drain() // the CONNECT reply
	packet := []byte(`21["echo","` + strings.Repeat("x", 64) + `"]`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		msg := make([]byte, len(packet)) // the engine hands over a fresh buffer
		copy(msg, packet)
		handled.Add(1)
		s.client.HandleMessage(msg, false)
		if (i+1)%batch == 0 {
			handled.Wait()
			b.StopTimer()
			session.drain()
			b.StartTimer()
		}
	}
	handled.Wait()
}

// BenchmarkJoinLeave100k joins and leaves a room while 100,000 sockets are
// in rooms of their own.
func BenchmarkJoinLeave100k(b *testing.B) {
	srv := NewServer(nil)
	nsp := srv.Of("/")
	a := nsp.Adapter().(*memoryAdapter)
	sockets := make([]*Socket, 100_000)
	for i := range sockets {
		s := &Socket{id: "s" + strconv.Itoa(i), nsp: nsp}
		nsp.sockets[s.id] = s
		a.AddAll(s.id, s.id, "room"+strconv.Itoa(i%100))
		sockets[i] = s
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s := sockets[i%len(sockets)]
		a.AddAll(s.id, "busy")
		a.Del(s.id, "busy")
	}
}

// BenchmarkRecoveryStoreBroadcast measures what connection state recovery
// adds to a broadcast: numbering the packet and keeping it, in a store
// kept full at MaxPackets (10,000) so that each broadcast also drops the
// oldest.
func BenchmarkRecoveryStoreBroadcast(b *testing.B) {
	r := newRecoveryStore(ConnectionStateRecovery{}.withDefaults())
	p, err := newEventPacket("/", "msg", json.RawMessage(`{"t":1700000000000000,"text":"hello"}`))
	if err != nil {
		b.Fatal(err)
	}
	opts := BroadcastOptions{Rooms: []string{"room-1"}}
	for range r.cfg.MaxPackets {
		r.broadcast(p, opts, func(*Packet) {})
	}
	b.ReportAllocs()
	for b.Loop() {
		r.broadcast(p, opts, func(*Packet) {})
	}
}

// BenchmarkRecoveryStoreRestore measures a recovery: a session that missed
// the last 100 of 10,000 kept packets, half of them to its room.
func BenchmarkRecoveryStoreRestore(b *testing.B) {
	r := newRecoveryStore(ConnectionStateRecovery{}.withDefaults())
	p, _ := newEventPacket("/", "msg", json.RawMessage(`{"text":"hello"}`))
	for i := range r.cfg.MaxPackets {
		room := "room-1"
		if i%2 == 1 {
			room = "room-2"
		}
		r.broadcast(p, BroadcastOptions{Rooms: []string{room}}, func(*Packet) {})
	}
	offset := strconv.FormatUint(r.first+uint64(len(r.packets))-101, 10)
	b.ReportAllocs()
	for b.Loop() {
		r.persist(&Session{ID: "sid", PID: "pid", Rooms: []string{"sid", "room-1"}})
		missed := 0
		if !r.restore("pid", offset, func(_ *Session, ps []*Packet) { missed = len(ps) }) || missed != 50 {
			b.Fatalf("restored %d packets, want 50", missed)
		}
	}
}

// BenchmarkConnectWebSocket is one client's whole visit over loopback TCP,
// as compare's connect load makes it: the WebSocket upgrade and the open
// packet, CONNECT to "/" and its reply, then the close handshake. The
// client (gobwas/ws) runs in the same process, so the figures include its
// work; allocs/op is what a change to the connect path moves.
func BenchmarkConnectWebSocket(b *testing.B) {
	srv := NewServer(nil)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) {})
	})
	url := "ws" + strings.TrimPrefix(serve(b, srv), "http") + "/socket.io/?EIO=4&transport=websocket"
	b.ReportAllocs()
	for b.Loop() {
		if err := visit(url); err != nil {
			b.Fatal(err)
		}
	}
}

// visit connects a WebSocket client to "/" at url and leaves with a
// close handshake.
func visit(url string) error {
	conn, br, _, err := ws.Dial(context.Background(), url)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second)) // a server that hangs fails the benchmark
	var rw io.ReadWriter = conn
	if br != nil { // frames that arrived with the upgrade response
		rw = bufferedConn{conn, br}
	}
	if open, err := wsutil.ReadServerText(rw); err != nil || !strings.HasPrefix(string(open), "0{") {
		return fmt.Errorf("open packet %q: %v", open, err)
	}
	if err := wsutil.WriteClientText(conn, []byte("40")); err != nil {
		return err
	}
	if reply, err := wsutil.ReadServerText(rw); err != nil || !strings.HasPrefix(string(reply), "40{") {
		return fmt.Errorf("CONNECT reply %q: %v", reply, err)
	}
	if err := ws.WriteFrame(conn, ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))); err != nil {
		return err
	}
	// The server answers the close frame and closes the connection.
	_, err = io.Copy(io.Discard, rw)
	return err
}
