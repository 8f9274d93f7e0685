package socket

// Inbound floods: a client that sends events faster than its handlers take
// them is held back (the connection is not read while its socket's queue
// is full) instead of growing the server's memory.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// floodHeapBound bounds how much the live heap may grow while a client
// floods a blocked handler. A full queue holds Options.MaxPendingEvents
// (256 by default) events of about 250 bytes, some 64 KB; a waiting
// polling POST adds its body (up to MaxPayload, 1 MB, read into a buffer
// that may be larger) and the engine's decoded packets of that body (32
// bytes each, about 1.7 MB for socket.io-client's 1 MB POSTs of small
// events): about 3 MiB in all. The rest is the measurement's own noise.
// Without the bound, the floods below grew the live heap by 24 to 47 MiB.
const floodHeapBound = 8 << 20

// heapPeak samples the live heap (after a full collection) until stop, and
// reports the largest growth over the heap when it started. It samples
// while the flood is held back: once the handler runs again, the
// collections count what the handler allocates meanwhile as live, which
// would measure the allocation rate rather than what is kept.
type heapPeak struct {
	base uint64
	peak atomic.Uint64
	quit chan struct{}
	done chan struct{}
}

func watchHeap() *heapPeak {
	h := &heapPeak{quit: make(chan struct{}), done: make(chan struct{})}
	h.base = uint64(liveHeap())
	h.peak.Store(h.base)
	go func() {
		defer close(h.done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.quit:
				return
			case <-tick.C:
				h.sample()
			}
		}
	}()
	return h
}

func (h *heapPeak) sample() {
	if v := uint64(liveHeap()); v > h.peak.Load() {
		h.peak.Store(v)
	}
}

// stop takes a last sample and returns the peak growth in bytes.
func (h *heapPeak) stop() int64 {
	close(h.quit)
	<-h.done
	h.sample()
	return int64(h.peak.Load()) - int64(h.base)
}

// since returns how much the live heap has grown since the watch started.
func (h *heapPeak) since() int64 { return int64(liveHeap()) - int64(h.base) }

// checkHeap fails the test if the heap grew by more than floodHeapBound
// while the flood was held back (held) or once it was handled (after).
func checkHeap(t *testing.T, what string, held, after int64) {
	t.Helper()
	t.Logf("%s: heap grew by at most %s while held back, %s once handled (bound %s)",
		what, mib(held), mib(after), mib(floodHeapBound))
	if held > floodHeapBound || after > floodHeapBound {
		t.Errorf("heap grew by %s while held back, %s once handled; bound %s",
			mib(held), mib(after), mib(floodHeapBound))
	}
}

func mib(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// sequence checks that a socket's handler sees 0, 1, 2, ... in order.
type sequence struct {
	next atomic.Int64
	bad  atomic.Value // string: the first event out of order
}

func (q *sequence) see(i int64) {
	if want := q.next.Load(); i != want && q.bad.Load() == nil {
		q.bad.Store(fmt.Sprintf("got event %d, want %d", i, want))
	}
	q.next.Add(1)
}

// waitAll waits, with a generous deadline, until n events were seen in
// order.
func (q *sequence) waitAll(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for q.next.Load() < n && q.bad.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if bad := q.bad.Load(); bad != nil {
		t.Fatalf("events reordered or lost: %s", bad)
	}
	if got := q.next.Load(); got != n {
		t.Fatalf("handled %d of %d events", got, n)
	}
}

// TestInboundFloodBlockedHandler floods, with the official socket.io-client,
// a handler that blocks: the server's heap stays bounded while another
// client's acks come back, and once the handler unblocks every event arrives
// in order.
func TestInboundFloodBlockedHandler(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range transports[:2] { // websocket, polling
		t.Run(tr.name, func(t *testing.T) {
			const events = 200_000
			// The flooder's pong waits behind its flood: heartbeats under push
			// back are TestInboundBlockedHandlerEnds's subject, not this one's.
			srv := NewServer(&Options{EngineOptions: EngineOptions{PingInterval: time.Minute, PingTimeout: time.Minute}})
			release := make(chan struct{})
			blocked := make(chan struct{})
			var once sync.Once
			var seq sequence
			srv.OnConnection(func(s *Socket) {
				s.OnEvent("n", func(s *Socket, args Args, _ AckFunc) {
					once.Do(func() { close(blocked) })
					<-release
					var i int64
					_ = args.Decode(0, &i)
					seq.see(i)
				})
				s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) { _ = ack(args.Values()...) })
			})
			url := serve(t, srv)
			flooder, bystander := peer.Client(t), peer.Client(t)
			opts := map[string]any{"transports": tr.opts["transports"], "reconnection": false}
			flooder.Connect("f", url, opts)
			bystander.Connect("b", url, opts)
			flooder.Wait(match{"ev": "connect", "client": "f"}, waitFor)
			bystander.Wait(match{"ev": "connect", "client": "b"}, waitFor)

			heap := watchHeap()
			flooder.Send(map[string]any{"cmd": "emit_many", "client": "f", "name": "n", "count": events})
			wait(t, blocked)
			// The flood is held back; the other client is served meanwhile.
			for i := range 20 {
				ref := fmt.Sprint("r", i)
				bystander.EmitWithAck("b", ref, "echo", 0, i)
				if a := bystander.Wait(match{"ev": "ack", "ref": ref}, waitFor).Args(); len(a) != 1 || a[0] != float64(i) {
					t.Fatalf("ack %d = %v", i, a)
				}
			}
			// Give the flood time to reach whatever it can; a server that
			// read it all would hold it now.
			time.Sleep(2 * time.Second)
			held := heap.stop()
			close(release)
			seq.waitAll(t, events)
			checkHeap(t, fmt.Sprintf("%s, %d events to a blocked handler", tr.name, events), held, heap.since())
			flooder.Never(match{"ev": "disconnect", "client": "f"}, 0)
		})
	}
}

// TestInboundAttackAtLineRate is the hardening issue's attack: 300,000
// events written as fast as TCP takes them to a handler that takes 20 ms
// each. The attacker is held back with bounded memory and stays connected;
// once the handler is quick again (at 20 ms the 300,000 would take 100
// minutes), every one of its events is handled, in order.
func TestInboundAttackAtLineRate(t *testing.T) {
	const events = 300_000
	srv := NewServer(&Options{EngineOptions: EngineOptions{PingInterval: time.Minute, PingTimeout: time.Minute}})
	var slow atomic.Bool
	slow.Store(true)
	var seq sequence
	disconnected := make(chan string, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(_ *Socket, reason DisconnectReason) { disconnected <- string(reason) })
		s.OnEvent("n", func(s *Socket, args Args, _ AckFunc) {
			if slow.Load() {
				time.Sleep(20 * time.Millisecond)
			}
			var i int64
			_ = args.Decode(0, &i)
			seq.see(i)
		})
	})
	url := serve(t, srv)
	c := dialWS(t, url, 0)

	heap := watchHeap()
	f := startFlood(c.conn, events)
	f.waitHeldBack(10 * time.Second)
	held := heap.stop()
	t.Logf("attacker held back after %d of %d events written; %d handled", f.written.Load(), events, seq.next.Load())
	slow.Store(false)
	seq.waitAll(t, events)
	if err := f.wait(); err != nil {
		t.Fatalf("attacker's writes: %v", err)
	}
	checkHeap(t, "attack", held, heap.since())
	select {
	case r := <-disconnected:
		t.Errorf("attacker disconnected: %q", r)
	default:
	}
}

// flood writes events 42["n",i] for i in [0, n) to a raw WebSocket, as fast
// as the connection takes them, from a goroutine of its own.
type flood struct {
	written atomic.Int64 // events handed to the connection
	err     chan error
}

func startFlood(conn net.Conn, n int) *flood {
	f := &flood{err: make(chan error, 1)}
	go func() { f.err <- f.run(conn, n) }()
	return f
}

func (f *flood) run(conn net.Conn, n int) error {
	w := bufio.NewWriterSize(conn, 16<<10)
	var frame []byte
	for i := range n {
		// A masked text frame with a zero key: the payload goes as is.
		frame = append(frame[:0], 0x81, 0x80, 0, 0, 0, 0)
		frame = append(frame, `42["n",`...)
		frame = strconv.AppendInt(frame, int64(i), 10)
		frame = append(frame, ']')
		frame[1] |= byte(len(frame) - 6)
		if _, err := w.Write(frame); err != nil {
			return err
		}
		f.written.Store(int64(i + 1))
	}
	return w.Flush()
}

// waitHeldBack returns once the writes have stalled (the server stopped
// reading) or all were written, or after limit.
func (f *flood) waitHeldBack(limit time.Duration) {
	deadline := time.Now().Add(limit)
	last := int64(-1)
	for time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		n := f.written.Load()
		if n == last || len(f.err) > 0 {
			return
		}
		last = n
	}
}

func (f *flood) wait() error { return <-f.err }

// waitingForRoom reports whether an event from s's client waits for room in
// s's queue (a handler that does not return keeps it waiting).
func waitingForRoom(s *Socket) bool {
	s.queue.mu.Lock()
	defer s.queue.mu.Unlock()
	return s.queue.room != nil
}

// heldBack waits until the read path of sock's connection waits for room.
func heldBack(t *testing.T, sock <-chan *Socket) *Socket {
	t.Helper()
	s := wait(t, sock)
	deadline := time.Now().Add(10 * time.Second)
	for !waitingForRoom(s) {
		if time.Now().After(deadline) {
			t.Fatal("the flood never filled the socket's queue")
		}
		time.Sleep(time.Millisecond)
	}
	return s
}

// blockingServer serves a server whose "n" handler blocks until release is
// closed or its socket disconnects. Each socket of "/" is sent on sockets;
// each disconnect reason on reasons.
func blockingServer(t *testing.T, opts *Options) (url string, sockets chan *Socket, reasons chan string, release chan struct{}) {
	srv := NewServer(opts)
	sockets, reasons, release = make(chan *Socket, 1), make(chan string, 1), make(chan struct{})
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(_ *Socket, reason DisconnectReason) { reasons <- string(reason) })
		s.OnEvent("n", func(s *Socket, _ Args, _ AckFunc) {
			select {
			case <-release:
			case <-s.Context().Done():
			}
		})
		sockets <- s
	})
	url = serve(t, srv)
	t.Cleanup(func() { close(release) }) // before the Shutdown of serve
	return url, sockets, reasons, release
}

// TestInboundBlockedHandlerEnds checks that a read path waiting for room
// behind a handler that does not return stops waiting when the session or
// the socket ends: the session closes, the socket's disconnect hooks run,
// Shutdown finds nothing left running, and TestMain's leak check finds no
// goroutine behind.
func TestInboundBlockedHandlerEnds(t *testing.T) {
	short := &Options{MaxPendingEvents: 8, EngineOptions: EngineOptions{PingInterval: time.Second, PingTimeout: 500 * time.Millisecond}}

	t.Run("websocket ping timeout", func(t *testing.T) {
		t.Parallel()
		url, sockets, reasons, _ := blockingServer(t, short)
		c := dialWS(t, url, 0)
		f := startFlood(c.conn, 100_000)
		heldBack(t, sockets)
		// The client's pong would wait behind its flood; this one sends none.
		if r := waitLong(t, reasons); r != "ping timeout" {
			t.Errorf("reason = %q, want ping timeout", r)
		}
		closedByServer(t, c.conn)
		_ = f.wait()
	})

	t.Run("websocket client gone", func(t *testing.T) {
		t.Parallel()
		url, sockets, reasons, _ := blockingServer(t, short)
		c := dialWS(t, url, 0)
		f := startFlood(c.conn, 100_000)
		heldBack(t, sockets)
		c.conn.Close()
		_ = f.wait()
		// The server reads nothing while it waits: it learns that the client
		// is gone from its heartbeat, or from a write that fails.
		switch r := waitLong(t, reasons); r {
		case "ping timeout", "transport error", "transport close":
		default:
			t.Errorf("reason = %q", r)
		}
	})

	t.Run("polling client gone", func(t *testing.T) {
		t.Parallel()
		url, sockets, reasons, _ := blockingServer(t, short)
		c := dialRaw(t, url)
		if status := c.post("40"); status != 200 {
			t.Fatalf("CONNECT: %d", status)
		}
		if status, packets := c.get(); status != 200 || !strings.HasPrefix(packets[0], "40{") {
			t.Fatalf("CONNECT reply: %d %q", status, packets)
		}
		events := make([]string, 1000)
		for i := range events {
			events[i] = `42["n",` + strconv.Itoa(i) + `]`
		}
		ctx, cancel := context.WithCancel(context.Background())
		posted := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(strings.Join(events, "\x1e")))
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
			}
			posted <- err
		}()
		heldBack(t, sockets)
		cancel() // the client gives up on its POST and polls no more
		if err := wait(t, posted); err == nil {
			t.Error("the POST was answered while its events waited for room")
		}
		if r := waitLong(t, reasons); r != "ping timeout" {
			t.Errorf("reason = %q, want ping timeout", r)
		}
	})

	t.Run("socket disconnected", func(t *testing.T) {
		t.Parallel()
		srv := NewServer(&Options{MaxPendingEvents: 8})
		sockets := make(chan *Socket, 1)
		release, running := make(chan struct{}), make(chan struct{})
		var once sync.Once
		srv.OnConnection(func(s *Socket) {
			s.OnEvent("n", func(*Socket, Args, AckFunc) {
				once.Do(func() { close(running) })
				<-release // ignores its socket's end
			})
			sockets <- s
		})
		srv.Of("/other").OnConnection(func(s *Socket) {
			s.OnEvent("echo", func(_ *Socket, args Args, ack AckFunc) { _ = ack(args.Values()...) })
		})
		url := serve(t, srv)
		t.Cleanup(func() { close(release) })
		c := dialWS(t, url, 0)
		c.send(t, "40/other,")
		c.readUntil(t, "40/other,{")
		f := startFlood(c.conn, 20_000)
		s := heldBack(t, sockets)
		// Disconnected before its first handler ran, the socket would skip
		// every queued event and be gone, and the rest of the flood would
		// be packets for a namespace the client is not in (which close
		// the connection, as with Node).
		wait(t, running)
		s.Disconnect()
		if err := f.wait(); err != nil {
			t.Fatalf("flood: %v", err)
		}
		// Behind the flood, an event for the connection's other namespace:
		// it is answered only if the read path stopped waiting for the
		// disconnected socket, whose handler never returns.
		c.send(t, `42/other,1["echo","hi"]`)
		c.readUntil(t, `43/other,1["hi"]`)
	})

	t.Run("shutdown", func(t *testing.T) {
		t.Parallel()
		srv := NewServer(short)
		reasons := make(chan string, 1)
		sockets := make(chan *Socket, 1)
		srv.OnConnection(func(s *Socket) {
			s.OnDisconnect(func(_ *Socket, reason DisconnectReason) { reasons <- string(reason) })
			s.OnEvent("n", func(s *Socket, _ Args, _ AckFunc) { <-s.Context().Done() })
			sockets <- s
		})
		url := serve(t, srv)
		c := dialWS(t, url, 0)
		f := startFlood(c.conn, 100_000)
		heldBack(t, sockets)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatalf("Shutdown with a read path waiting for room: %v", err)
		}
		if r := wait(t, reasons); r != "server shutting down" {
			t.Errorf("reason = %q", r)
		}
		c.conn.Close()
		_ = f.wait()
	})
}

// waitLong is wait with room for a heartbeat to run out under -race.
func waitLong[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %T", *new(T))
		panic("unreachable")
	}
}

// readUntil reads messages until one starts with prefix.
func (c *wsClient) readUntil(t *testing.T, prefix string) {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	defer c.conn.SetReadDeadline(time.Time{})
	for !strings.HasPrefix(c.read(t), prefix) {
	}
}

// closedByServer reads conn to its end, which the server must bring.
func closedByServer(t *testing.T, conn net.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err := io.Copy(io.Discard, conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server did not close the connection")
	}
}
