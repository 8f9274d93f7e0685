package socket

// Dynamic namespaces under attack and under churn: a child costs nothing
// until a socket is admitted, goes when its last socket leaves, and names
// are bounded.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// adapterLog records the adapters a server makes and closes, by namespace
// name, and how many of each name are open at once.
type adapterLog struct {
	mu       sync.Mutex
	made     map[string]int
	closed   map[string]int
	open     map[string]int
	overlaps int // a second adapter made for a name while one was open
}

func newAdapterLog() *adapterLog {
	return &adapterLog{made: map[string]int{}, closed: map[string]int{}, open: map[string]int{}}
}

func (l *adapterLog) adapter(nsp *Namespace) Adapter {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.made[nsp.Name()]++
	l.open[nsp.Name()]++
	if l.open[nsp.Name()] > 1 {
		l.overlaps++
	}
	return &loggedAdapter{newMemoryAdapter(nsp), l, nsp.Name()}
}

// counts returns how many adapters of name were made and closed.
func (l *adapterLog) counts(name string) (made, closed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.made[name], l.closed[name]
}

// names returns how many distinct namespaces got an adapter.
func (l *adapterLog) names() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.made)
}

type loggedAdapter struct {
	*memoryAdapter
	log  *adapterLog
	name string
}

func (a *loggedAdapter) Close() error {
	a.log.mu.Lock()
	a.log.closed[a.name]++
	a.log.open[a.name]--
	a.log.mu.Unlock()
	return nil
}

// registered returns the names in the server's namespace table and in the
// parent's children.
func registered(srv *Server, parent *Namespace) (nsps, kids []string) {
	srv.mu.RLock()
	for name := range srv.nsps {
		nsps = append(nsps, name)
	}
	srv.mu.RUnlock()
	for _, c := range parent.children() {
		kids = append(kids, c.Name())
	}
	return nsps, kids
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestDynamicRefusedConnectsLeaveNothing: 10,000 CONNECTs to distinct
// names that a dynamic namespace matches and its middleware refuses leave
// no namespace, make no adapter, and do not grow the heap. Before the fix
// every one left a child namespace and its adapter behind.
func TestDynamicRefusedConnectsLeaveNothing(t *testing.T) {
	const (
		warmUp = 100
		attack = 10_000
		batch  = 200
		// Less than 100 bytes for each refused CONNECT.
		maxGrowth = 1 << 20
	)
	log := newAdapterLog()
	srv := NewServer(&Options{Adapter: log.adapter})
	var matched, refused atomic.Int64
	parent := srv.OfFunc(func(name string, _ json.RawMessage) bool {
		matched.Add(1)
		return strings.HasPrefix(name, "/dyn-")
	})
	parent.Use(func(_ context.Context, s *Socket) error {
		if s.Namespace().Adapter() != nil {
			return errors.New("the child has an adapter before admission")
		}
		refused.Add(1)
		return &ConnectError{Message: "unauthorized"}
	})
	url := serve(t, srv)
	c := dialWS(t, url, 0)
	refuse := func(from, to int) {
		t.Helper()
		for i := from; i < to; i += batch {
			n := min(batch, to-i)
			for j := range n {
				c.send(t, fmt.Sprintf("40/dyn-%d,", i+j))
			}
			for range n {
				if got := c.read(t); !strings.HasPrefix(got, "44/dyn-") ||
					!strings.HasSuffix(got, `,{"message":"unauthorized"}`) {
					t.Fatalf("reply = %q, want the middleware's refusal", got)
				}
			}
		}
	}
	refuse(0, warmUp)
	before := liveHeap()
	refuse(warmUp, warmUp+attack)
	grown := liveHeap() - before

	if m, r := matched.Load(), refused.Load(); m != warmUp+attack || r != warmUp+attack {
		t.Fatalf("matched %d, refused %d CONNECTs, want %d each", m, r, warmUp+attack)
	}
	if nsps, kids := registered(srv, parent); len(nsps) != 1 || len(kids) != 0 {
		t.Errorf("%d namespaces and %d children left behind, want / only", len(nsps), len(kids))
	}
	if n := log.names(); n != 1 {
		t.Errorf("adapters made for %d namespaces, want 1 (/)", n)
	}
	if grown > maxGrowth {
		t.Errorf("live heap grew by %d bytes (%d per refused CONNECT), want at most %d",
			grown, grown/attack, maxGrowth)
	}
	t.Logf("live heap grew by %d bytes across %d refused CONNECTs", grown, attack)
}

// TestDynamicLongNamesRefused: CONNECTs to 900 KB names that the dynamic
// namespace would match are refused as invalid before the match function
// or the middleware sees them, and nothing of them is kept.
func TestDynamicLongNamesRefused(t *testing.T) {
	const (
		names     = 40
		size      = 900_000
		maxGrowth = 4 << 20 // one name is 0.9 MB, all of them 36 MB
	)
	log := newAdapterLog()
	srv := NewServer(&Options{Adapter: log.adapter})
	var matched, middleware atomic.Int64
	parent := srv.OfFunc(func(name string, _ json.RawMessage) bool {
		matched.Add(1)
		return strings.HasPrefix(name, "/dyn-")
	})
	parent.Use(func(context.Context, *Socket) error { middleware.Add(1); return nil })
	url := serve(t, srv)
	c := dialWS(t, url, 0)
	long := func(i int) string { return fmt.Sprintf("/dyn-%02d-", i) + strings.Repeat("a", size) }
	c.send(t, "40"+long(0)+",") // warm up
	c.read(t)
	before := liveHeap()
	for i := 1; i <= names; i++ {
		c.send(t, "40"+long(i)+",")
		if got, want := c.read(t), "44"+long(i)+`,{"message":"Invalid namespace"}`; got != want {
			t.Fatalf("reply to name %d: %.40q...%q", i, got, got[max(0, len(got)-40):])
		}
	}
	grown := liveHeap() - before
	if m, n := matched.Load(), middleware.Load(); m != 0 || n != 0 {
		t.Errorf("match called %d times, middleware %d times, want 0", m, n)
	}
	if nsps, kids := registered(srv, parent); len(nsps) != 1 || len(kids) != 0 {
		t.Errorf("%d namespaces and %d children kept, want / only", len(nsps), len(kids))
	}
	if n := log.names(); n != 1 {
		t.Errorf("adapters made for %d namespaces, want 1 (/)", n)
	}
	if grown > maxGrowth {
		t.Errorf("live heap grew by %d bytes after %d names of %d bytes, want at most %d",
			grown, names, size, maxGrowth)
	}
	t.Logf("live heap grew by %d bytes across %d names of %d bytes", grown, names, size)
}

// TestInteropNamespaceLengthBound: socket.io-client joins a namespace whose
// name is exactly MaxNamespaceLength bytes long and gets "Invalid
// namespace" for one byte more, on a static and on a dynamic namespace.
func TestInteropNamespaceLengthBound(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	const bound = 64
	srv := NewServer(&Options{MaxNamespaceLength: bound})
	static := "/s" + strings.Repeat("x", bound-2)
	srv.Of(static)
	srv.Of(static + "x")
	srv.OfFunc(func(name string, _ json.RawMessage) bool { return strings.HasPrefix(name, "/d") })
	url := serve(t, srv)
	d := peer.Client(t)
	dynamic := "/d" + strings.Repeat("y", bound-2)
	for i, name := range []string{static, dynamic} {
		ok, long := fmt.Sprint("ok", i), fmt.Sprint("long", i)
		d.Connect(ok, url+name, nil)
		d.Connect(long, url+name+"x", map[string]any{"reconnection": false})
		d.Wait(match{"ev": "connect", "client": ok}, waitFor)
		if e := d.Wait(match{"ev": "connect_error", "client": long}, waitFor); e.String("message") != "Invalid namespace" {
			t.Errorf("%d bytes: connect_error %q, want Invalid namespace", len(name)+1, e.String("message"))
		}
	}
	if len(static) != bound || len(dynamic) != bound {
		t.Fatalf("names of %d and %d bytes, want %d", len(static), len(dynamic), bound)
	}
}

// TestInteropDynamicChildLifecycle: a child is made at the first admission,
// shared by the next, removed (its adapter closed) when the last socket
// leaves, and made anew at the next admission. A *Namespace kept from the
// removed child is harmless: it reaches nobody.
func TestInteropDynamicChildLifecycle(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	log := newAdapterLog()
	srv := NewServer(&Options{Adapter: log.adapter})
	parent := srv.OfFunc(func(name string, _ json.RawMessage) bool { return strings.HasPrefix(name, "/room-") })
	joined := make(chan *Namespace, 4)
	left := make(chan struct{}, 4)
	parent.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(*Socket, DisconnectReason) { left <- struct{}{} })
		joined <- s.Namespace()
	})
	url := serve(t, srv)
	d := peer.Client(t)

	d.Connect("a", url+"/room-1", nil)
	d.Connect("b", url+"/room-1", nil)
	first, second := wait(t, joined), wait(t, joined)
	if first != second {
		t.Fatal("two sockets of /room-1 are in different namespaces")
	}
	if made, _ := log.counts("/room-1"); made != 1 {
		t.Fatalf("%d adapters made for /room-1, want 1", made)
	}

	d.Disconnect("a")
	wait(t, left)
	if _, closed := log.counts("/room-1"); closed != 0 {
		t.Fatal("the child was closed while b was still in it")
	}
	d.Disconnect("b")
	wait(t, left)
	eventually(t, "the empty child is removed", func() bool {
		nsps, kids := registered(srv, parent)
		_, closed := log.counts("/room-1")
		return len(nsps) == 1 && len(kids) == 0 && closed == 1
	})
	ctx := context.Background()
	if first.Adapter() != nil || len(first.Sockets()) != 0 {
		t.Errorf("removed child: adapter %v, %d sockets", first.Adapter(), len(first.Sockets()))
	}
	if err := first.Emit("stale"); err != nil {
		t.Errorf("Emit on a removed child: %v", err)
	}
	if found, err := first.FetchSockets(ctx); len(found) != 0 || err != nil {
		t.Errorf("FetchSockets on a removed child: %v, %v", found, err)
	}
	if replies, err := first.EmitWithAck(ctx, "stale"); len(replies) != 0 || err != nil {
		t.Errorf("EmitWithAck on a removed child: %v, %v", replies, err)
	}
	if replies, err := first.ServerSideEmitWithAck(ctx, "stale"); len(replies) != 0 || err != nil {
		t.Errorf("ServerSideEmitWithAck on a removed child: %v, %v", replies, err)
	}

	d.Send(map[string]any{"cmd": "connect_again", "client": "a"})
	third := wait(t, joined)
	if third == first || third.Adapter() == nil {
		t.Fatal("the next admission did not make a new live child")
	}
	if made, _ := log.counts("/room-1"); made != 2 {
		t.Fatalf("%d adapters made for /room-1, want 2", made)
	}
	_ = first.Emit("stale")
	_ = third.Emit("fresh")
	d.Wait(match{"ev": "event", "client": "a", "name": "fresh"}, waitFor)
	d.Never(match{"ev": "event", "name": "stale"}, 100*time.Millisecond)
}

// TestDynamicConcurrentAdmissions: sockets admitted to a new child at the
// same moment end in one child with one adapter; then, as they leave and
// join again concurrently, there is never more than one adapter open for
// the name, a connection handler always sees its socket in the registered
// child, and once all have left the child is gone and every adapter made
// was closed.
func TestDynamicConcurrentAdmissions(t *testing.T) {
	t.Parallel()
	const (
		clients = 8
		rounds  = 50
		name    = "/race"
	)
	log := newAdapterLog()
	srv := NewServer(&Options{Adapter: log.adapter})
	parent := srv.OfFunc(func(n string, _ json.RawMessage) bool { return n == name })
	var arrived atomic.Int32
	all := make(chan struct{})
	parent.Use(func(ctx context.Context, _ *Socket) error {
		if n := arrived.Add(1); n == clients {
			close(all)
		} else if n > clients {
			return nil
		}
		select { // hold the first sockets until all are in the middleware
		case <-all:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("not all clients arrived")
		}
	})
	var firstRound sync.WaitGroup
	firstRound.Add(clients)
	var mu sync.Mutex
	seen := map[*Namespace]bool{}
	var misplaced, disconnects atomic.Int32
	parent.OnConnection(func(s *Socket) {
		srv.mu.RLock()
		live := srv.nsps[name]
		srv.mu.RUnlock()
		if live != s.Namespace() || live.Adapter() == nil {
			misplaced.Add(1)
		}
		mu.Lock()
		seen[s.Namespace()] = true
		mu.Unlock()
		s.OnDisconnect(func(*Socket, DisconnectReason) { disconnects.Add(1) })
		if int(arrived.Load()) <= clients {
			firstRound.Done()
		}
	})
	url := serve(t, srv)
	conns := make([]*wsClient, clients)
	for i := range conns {
		conns[i] = dialWS(t, url, 0)
	}
	joinAll := func() {
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() { defer wg.Done(); c.send(t, "40"+name+",") }()
		}
		wg.Wait()
	}
	joinAll()
	for _, c := range conns {
		if got := c.read(t); !strings.HasPrefix(got, "40"+name+`,{"sid":"`) {
			t.Fatalf("reply = %q", got)
		}
	}
	firstRound.Wait()
	if made, _ := log.counts(name); made != 1 || len(seen) != 1 {
		t.Fatalf("%d concurrent admissions made %d adapters and %d namespaces, want 1 each", clients, made, len(seen))
	}

	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if err := c.write("41" + name + ","); err != nil {
					t.Error(err)
					return
				}
				// Apart for a moment, so that the child is sometimes empty
				// as others join: removals race with admissions.
				time.Sleep(time.Duration(rand.IntN(1000)) * time.Microsecond)
				if err := c.write("40" + name + ","); err != nil {
					t.Error(err)
					return
				}
				b, err := c.next()
				if err != nil || !strings.HasPrefix(b, "40"+name+`,{"sid":"`) {
					t.Errorf("reply to a CONNECT after a DISCONNECT: %q, %v", b, err)
					return
				}
			}
			_ = c.write("41" + name + ",")
		}()
	}
	wg.Wait()
	const connects = clients * (rounds + 1)
	eventually(t, "every socket has left and the child is closed", func() bool {
		nsps, kids := registered(srv, parent)
		made, closed := log.counts(name)
		return disconnects.Load() == connects && len(nsps) == 1 && len(kids) == 0 && made == closed
	})
	made, _ := log.counts(name)
	t.Logf("%d admissions made %d children", connects, made)
	if n := misplaced.Load(); n != 0 {
		t.Errorf("%d connection handlers saw a socket outside the registered child", n)
	}
	if log.overlaps != 0 {
		t.Errorf("%d times two adapters were open for %s at once", log.overlaps, name)
	}
}

// TestDynamicChildChain: a dynamic child runs its parent's middleware and
// connection handlers first, then its own, including those registered on
// it after its first socket joined, and the parent's list is not changed
// by the child's.
func TestDynamicChildChain(t *testing.T) {
	srv := NewServer(nil)
	var mu sync.Mutex
	var ran []string
	record := func(what string) {
		mu.Lock()
		ran = append(ran, what)
		mu.Unlock()
	}
	parent := srv.OfFunc(func(name string, _ json.RawMessage) bool { return strings.HasPrefix(name, "/dyn-") })
	parent.Use(func(context.Context, *Socket) error { record("parent middleware"); return nil })
	joined := make(chan *Socket, 2)
	parent.OnConnection(func(s *Socket) { record("parent handler"); joined <- s })
	url := serve(t, srv)

	c1 := dialWS(t, url, 0)
	c1.send(t, "40/dyn-a,")
	c1.read(t)
	child := wait(t, joined).Namespace()
	child.Use(func(context.Context, *Socket) error { record("child middleware"); return nil })
	child.OnConnection(func(s *Socket) { record("child handler") })
	mu.Lock()
	first := strings.Join(ran, ", ")
	ran = nil
	mu.Unlock()

	c2 := dialWS(t, url, 0)
	c2.send(t, "40/dyn-a,")
	c2.read(t)
	wait(t, joined)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		second := strings.Join(ran, ", ")
		mu.Unlock()
		want := "parent middleware, child middleware, parent handler, child handler"
		if second == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second socket ran %q, want %q", second, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if want := "parent middleware, parent handler"; first != want {
		t.Errorf("first socket ran %q, want %q", first, want)
	}
	mw, handlers := parent.chain()
	if len(mw) != 1 || len(handlers) != 1 {
		t.Errorf("parent chain has %d middleware and %d handlers, want 1 and 1", len(mw), len(handlers))
	}
}
