package socket

import (
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// wsClient is a raw Engine.IO v4 WebSocket client joined to "/". It
// answers the server's pings itself, so a test that runs longer than the
// ping interval reads only what it asserts on.
type wsClient struct {
	conn net.Conn
	wmu  sync.Mutex // a pong from read must not interleave with send
}

func dialWS(t testing.TB, base string, readBuffer int) *wsClient {
	t.Helper()
	d := ws.Dialer{NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil && readBuffer > 0 {
			_ = c.(*net.TCPConn).SetReadBuffer(readBuffer)
		}
		return c, err
	}}
	url := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	conn, br, _, err := d.Dial(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	if br != nil { // frames that arrived with the upgrade response
		conn = bufferedConn{conn, br}
	}
	t.Cleanup(func() { conn.Close() })
	c := &wsClient{conn: conn}
	if open := c.read(t); !strings.HasPrefix(open, "0{") {
		t.Fatalf("open packet = %q", open)
	}
	if err := wsutil.WriteClientText(conn, []byte("40")); err != nil {
		t.Fatal(err)
	}
	if reply := c.read(t); !strings.HasPrefix(reply, "40{") {
		t.Fatalf("CONNECT reply = %q", reply)
	}
	return c
}

// bufferedConn reads what the dialer buffered before the connection itself.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// read returns the next message other than a ping, which it answers.
func (c *wsClient) read(t testing.TB) string {
	t.Helper()
	m, err := c.next()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// next is read for a goroutine other than the test's, which cannot stop it.
func (c *wsClient) next() (string, error) {
	for {
		b, err := wsutil.ReadServerText(c.conn)
		if err != nil || string(b) != "2" {
			return string(b), err
		}
		if err := c.write("3"); err != nil {
			return "", err
		}
	}
}

func (c *wsClient) send(t testing.TB, text string) {
	t.Helper()
	if err := c.write(text); err != nil {
		t.Fatal(err)
	}
}

// write is send for a goroutine other than the test's.
func (c *wsClient) write(text string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return wsutil.WriteClientText(c.conn, []byte(text))
}

// TestSlowConsumer floods a room in which one client has stopped reading:
// that client is disconnected once its write queue is full, every other
// member receives every message, and the server's memory stays bounded.
func TestSlowConsumer(t *testing.T) {
	const (
		readers   = 8
		messages  = 4000
		queueSize = 64
		batch     = queueSize / 2
	)
	srv := NewServer(&Options{EngineOptions: EngineOptions{WriteQueueSize: queueSize}})
	reasons := make(chan string, readers+1)
	var members sync.WaitGroup
	members.Add(readers + 1)
	srv.OnConnection(func(s *Socket) {
		s.Join("room")
		s.OnDisconnect(func(s *Socket, reason DisconnectReason) { reasons <- string(reason) })
		members.Done()
	})
	url := serve(t, srv)

	slow := dialWS(t, url, 4096)
	_ = slow // never reads again
	received := make([]atomic.Int64, readers)
	var readLoops sync.WaitGroup
	var clients []*wsClient
	for i := range readers {
		c := dialWS(t, url, 0)
		clients = append(clients, c)
		readLoops.Add(1)
		go func() {
			defer readLoops.Done()
			for {
				b, err := c.next()
				if err != nil {
					return
				}
				if strings.HasPrefix(b, `42["tick"`) {
					received[i].Add(1)
				}
			}
		}()
	}
	members.Wait()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	payload := strings.Repeat("x", 4096)
	deadline := time.Now().Add(60 * time.Second)
	for sent := 1; sent <= messages; sent++ {
		if err := srv.To("room").Emit("tick", payload); err != nil {
			t.Fatal(err)
		}
		if sent%batch == 0 { // pace the flood to what a reading client keeps up with
			for i := range received {
				for received[i].Load() < int64(sent-batch) {
					if time.Now().After(deadline) {
						t.Fatalf("reader %d stalled at %d of %d", i, received[i].Load(), sent)
					}
					time.Sleep(100 * time.Microsecond)
				}
			}
		}
	}
	if r := wait(t, reasons); r != "transport error" {
		t.Errorf("slow client's disconnect reason = %q, want transport error", r)
	}
	for i := range received {
		for received[i].Load() < messages && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if n := received[i].Load(); n != messages {
			t.Errorf("reader %d received %d of %d messages", i, n, messages)
		}
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 16<<20 {
		t.Errorf("heap grew by %d MiB during the flood", grown>>20)
	}
	select {
	case r := <-reasons:
		t.Errorf("a reading client was disconnected too: %q", r)
	default:
	}
	for _, c := range clients {
		c.conn.Close()
	}
	readLoops.Wait()
}
