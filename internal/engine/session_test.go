package engine

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/envivo/socketio/internal/workers"
)

func TestSendQueueFull(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{WriteQueueSize: 3})
	sid, h := ts.handshake(t)
	msg := NewTextMessage([]byte("x"))
	if err := h.c.Send(msg, msg); err != nil {
		t.Fatal(err)
	}
	if err := h.c.Send(msg, msg); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send over the limit = %v", err)
	}
	if r := h.closeReason(t); r != ReasonTransportError {
		t.Fatalf("close reason %q", r)
	}
	if err := h.c.Send(msg); !errors.Is(err, ErrClosed) {
		t.Fatalf("Send after close = %v", err)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.status != 400 {
		t.Fatalf("GET after overflow: %d %q", res.status, res.body)
	}
}

func TestSendQueueFullWebSocket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{WriteQueueSize: 64})
	c, h := ts.openWS(t)
	// The client reads nothing: the socket buffers fill, then the queue.
	big := NewBinaryMessage(make([]byte, 256<<10))
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = h.c.Send(big)
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("Send never failed: %v", err)
	}
	if r := h.closeReason(t); r != ReasonTransportError {
		t.Fatalf("close reason %q", r)
	}
	c.conn.Close()
}

// blockingHandler holds HandleMessage until released.
type blockingHandler struct {
	c       *Conn
	entered chan struct{}
	release chan struct{}
	events  chan string
}

func (h *blockingHandler) HandleMessage(data []byte, _ bool) {
	h.events <- "message " + string(data)
	if string(data) == "block" {
		close(h.entered)
		<-h.release
	}
	if string(data) == "close me" {
		h.c.Close("from handler") // must not deadlock
	}
	if string(data) == "panic" {
		panic("boom")
	}
	h.events <- "message done"
}

func (h *blockingHandler) HandleClose(reason string) { h.events <- "close " + reason }

func newBlockingServer(t *testing.T) (*testServer, chan *blockingHandler) {
	t.Helper()
	hs := make(chan *blockingHandler, 4)
	eng := NewServer(nil, func(c *Conn) Handler {
		h := &blockingHandler{c: c, entered: make(chan struct{}), release: make(chan struct{}), events: make(chan string, 16)}
		hs <- h
		return h
	})
	return newTestServerWith(t, eng), hs
}

func TestHandleCloseAfterHandleMessage(t *testing.T) {
	t.Parallel()
	ts, hs := newBlockingServer(t)
	c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	c.read()
	h := wait(t, hs)
	c.write(ws.OpText, "4block")
	wait(t, h.entered)
	h.c.Close("") // while HandleMessage runs
	time.Sleep(20 * time.Millisecond)
	close(h.release)
	want := []string{"message block", "message done", "close forced close"}
	for _, w := range want {
		if got := wait(t, h.events); got != w {
			t.Fatalf("event %q, want %q", got, w)
		}
	}
}

func TestCloseFromHandleMessage(t *testing.T) {
	t.Parallel()
	ts, hs := newBlockingServer(t)
	sid := parseOpen(t, ts.do(t, "GET", "EIO=4&transport=polling", "").body).SID
	h := wait(t, hs)
	if res := ts.do(t, "POST", pollQuery(sid), "4close me\x1e4ignored"); res.status != 200 {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	for _, w := range []string{"message close me", "message done", "close from handler"} {
		if got := wait(t, h.events); got != w {
			t.Fatalf("event %q, want %q", got, w)
		}
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.body != "1" {
		t.Fatalf("GET = %q", res.body)
	}
}

func TestHandlerPanic(t *testing.T) {
	t.Parallel()
	ts, hs := newBlockingServer(t)
	c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	c.read()
	h := wait(t, hs)
	c.write(ws.OpText, "4panic")
	for _, w := range []string{"message panic", "close transport error"} {
		if got := wait(t, h.events); got != w {
			t.Fatalf("event %q, want %q", got, w)
		}
	}
	c.expectClosed()
}

func TestCloseInAccept(t *testing.T) {
	t.Parallel()
	closed := make(chan string, 2)
	eng := NewServer(nil, func(c *Conn) Handler {
		_ = c.Send(NewTextMessage([]byte("sorry")))
		c.Close("refused")
		return closeRecorder(closed)
	})
	ts := newTestServerWith(t, eng)
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	open, rest, _ := strings.Cut(res.body, "\x1e")
	parseOpen(t, open)
	if rest != "4sorry\x1e1" {
		t.Fatalf("handshake response %q", res.body)
	}
	if r := wait(t, closed); r != "refused" {
		t.Fatalf("close reason %q", r)
	}

	c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	c.read()
	c.expectText("4sorry")
	if _, sawClose := c.expectClosed(); !sawClose {
		t.Fatal("no close frame")
	}
	if r := wait(t, closed); r != "refused" {
		t.Fatalf("close reason %q", r)
	}
}

type closeRecorder chan string

func (closeRecorder) HandleMessage([]byte, bool)  {}
func (r closeRecorder) HandleClose(reason string) { r <- reason }

func TestNilAcceptAndHandler(t *testing.T) {
	t.Parallel()
	ts := newTestServerWith(t, NewServer(nil, nil))
	sid := parseOpen(t, ts.do(t, "GET", "EIO=4&transport=polling", "").body).SID
	if res := ts.do(t, "POST", pollQuery(sid), "4ignored"); res.status != 200 {
		t.Fatalf("POST: %d", res.status)
	}
}

// TestIdleWebSocketGoroutines checks what idle WebSocket connections cost
// in goroutines: none each on Linux, where they wait in the server's epoll
// set (one goroutine for the set), one each (its read loop) elsewhere; no
// writer either way. The server keeps at most workers.MaxIdle parked
// workers besides.
func TestIdleWebSocketGoroutines(t *testing.T) {
	ts := newTestServer(t, &Options{})
	const n = 50
	settle := func() int {
		var g int
		for range 50 {
			time.Sleep(10 * time.Millisecond)
			runtime.GC()
			g = runtime.NumGoroutine()
		}
		return g
	}
	parked := ts.eng.workers.Parked
	before := settle() - parked()
	for range n {
		c, _ := ts.openWS(t)
		c.write(ws.OpText, "4x")
		c.expectText("4x")
	}
	after := settle() - parked()
	want := n*idleGoroutinesPerWebSocket + pollerGoroutines
	if d := after - before; d != want || parked() > workers.MaxIdle {
		t.Fatalf("%d idle connections use %d goroutines (want %d), and %d workers are parked", n, d, want, parked())
	}
}

// discardConn is a net.Conn that accepts every write.
type discardConn struct {
	net.Conn
	writes atomic.Int64
}

func (d *discardConn) Write(p []byte) (int, error) { d.writes.Add(1); return len(p), nil }

func (d *discardConn) SetWriteDeadline(time.Time) error { return nil }
func (d *discardConn) Close() error                     { return nil }
func (d *discardConn) Read([]byte) (int, error)         { return 0, io.EOF }

// newBenchConns returns n open WebSocket sessions writing to discardConns.
func newBenchConns(s *Server, n int) []*Conn {
	conns := make([]*Conn, n)
	for i := range conns {
		conns[i] = newBenchConn(s, &discardConn{})
	}
	return conns
}

// newBenchConn returns an open WebSocket session writing to nc.
func newBenchConn(s *Server, nc net.Conn) *Conn {
	c := &Conn{srv: s, id: newSID(), handler: nopHandler{}, stripe: s.nextStripe()}
	c.heartbeat = newTimerEntry(c)
	w := &wsConn{codec: codec4{}, vectored: true}
	w.in.nc = nc
	w.attach(c)
	c.tr = w
	return c
}

// loopbackPairs returns n connected pairs of loopback TCP connections,
// which are closed when the test ends.
func loopbackPairs(tb testing.TB, n int) (clients, servers []net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	clients, servers = make([]net.Conn, n), make([]net.Conn, n)
	tb.Cleanup(func() {
		for _, c := range append(clients, servers...) {
			if c != nil {
				c.Close()
			}
		}
	})
	for i := range n {
		if clients[i], err = net.Dial("tcp", ln.Addr().String()); err != nil {
			tb.Fatal(err)
		}
		if servers[i], err = ln.Accept(); err != nil {
			tb.Fatal(err)
		}
	}
	return clients, servers
}

// waitFlushed waits until no flusher runs on conns.
func waitFlushed(conns []*Conn) {
	for _, c := range conns {
		for {
			c.mu.Lock()
			busy := c.tr.(*wsConn).flushing
			c.mu.Unlock()
			if !busy {
				break
			}
			runtime.Gosched()
		}
	}
}

func BenchmarkBroadcastFrame(b *testing.B) { benchmarkBroadcastYield(b, 1) }

// BenchmarkBroadcastFrameBatch sends 10 messages to each of 1000
// connections, as a busy room does: frames queued together are written
// together.
func BenchmarkBroadcastFrameBatch(b *testing.B) { benchmarkBroadcastYield(b, 10) }

// benchmarkBroadcastYield runs benchmarkBroadcast with and without the
// flusher's yield (flushYield).
func benchmarkBroadcastYield(b *testing.B, perConn int) {
	for _, yield := range []bool{true, false} {
		name := "yield"
		if !yield {
			name = "noyield"
		}
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { flushYield = old }(flushYield)
			flushYield = yield
			benchmarkBroadcast(b, perConn)
		})
	}
}

// benchmarkBroadcast sends k messages, one after the other, each to 1000
// connections.
func benchmarkBroadcast(b *testing.B, k int) {
	s := NewServer(nil, nil)
	defer s.workers.Stop(true)
	conns := newBenchConns(s, 1000)
	for _, c := range conns {
		c.tr.(*wsConn).vectored = false // one Write per batch, as writev does on TCP
	}
	data := []byte(`2["news",{"title":"something happened","id":12345}]`)
	for _, c := range conns { // warm the queues up
		_ = c.Send(NewTextMessage(data))
	}
	waitFlushed(conns)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		for range k {
			m := NewTextMessage(data)
			for _, c := range conns {
				if err := c.Send(m); err != nil {
					b.Fatal(err)
				}
			}
		}
		waitFlushed(conns)
	}
	var writes int64
	for _, c := range conns {
		writes += c.tr.(*wsConn).in.nc.(*discardConn).writes.Load()
	}
	n := float64(b.N * len(conns) * k)
	b.ReportMetric(float64(cpuTime()-cpu0)/n, "cpu-ns/msg")
	b.ReportMetric(float64(writes-int64(len(conns)))/n, "writes/msg")
}

// syscallWrites returns how many write system calls the process made.
func syscallWrites() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkBroadcastTCP sends k messages, each to 1000 WebSocket sessions
// over loopback TCP, and reports write system calls per message.
func BenchmarkBroadcastTCP(b *testing.B) {
	for _, k := range []int{1, 10} {
		for _, yield := range []bool{true, false} {
			b.Run(fmt.Sprintf("msgs=%d/yield=%v", k, yield), func(b *testing.B) {
				defer func(old bool) { flushYield = old }(flushYield)
				flushYield = yield
				benchmarkBroadcastTCP(b, 1000, k)
			})
		}
	}
}

func benchmarkBroadcastTCP(b *testing.B, n, k int) {
	s := NewServer(nil, nil)
	b.Cleanup(func() { s.workers.Stop(true) })
	var wg sync.WaitGroup
	b.Cleanup(wg.Wait) // after the connections close: cleanups run last first
	clients, servers := loopbackPairs(b, n)
	conns := make([]*Conn, n)
	for i := range conns {
		wg.Go(func() { _, _ = io.Copy(io.Discard, clients[i]) })
		conns[i] = newBenchConn(s, servers[i])
	}
	data := []byte(`2["news",{"title":"something happened","id":12345}]`)
	b.ReportAllocs()
	cpu0, w0 := cpuTime(), syscallWrites()
	for b.Loop() {
		for range k {
			m := NewTextMessage(data)
			for _, c := range conns {
				if err := c.Send(m); err != nil {
					b.Fatal(err)
				}
			}
		}
		waitFlushed(conns)
	}
	total := float64(b.N * n * k)
	b.ReportMetric(float64(cpuTime()-cpu0)/total, "cpu-ns/msg")
	b.ReportMetric(float64(syscallWrites()-w0)/total, "writes/msg")
}
