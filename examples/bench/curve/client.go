package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// client is one lean Engine.IO v4 / Socket.IO v5 client over WebSocket on
// the main namespace: it answers pings, notices the ack of its join and
// counts "msg" events. Its reader goroutine owns r and ctl; writes go
// through send, which holds mu for one whole frame.
type client struct {
	conn net.Conn
	r    io.Reader    // conn, behind what the handshake left buffered
	ctl  bytes.Buffer // control frames the reader owes the server
	mu   sync.Mutex   // serializes frames on conn
	msgs atomic.Int32 // "msg" events received
}

// fleet holds the clients of one count and what their readers saw.
type fleet struct {
	n       int64
	clients []*client
	readers sync.WaitGroup

	joined    atomic.Int64
	joinedAll chan struct{}
	got       atomic.Int64 // clients that received the broadcast
	lastAt    atomic.Int64 // unix ns of the last first receipt
	gotAll    chan struct{}
}

func newFleet(n int) *fleet {
	return &fleet{n: int64(n), joinedAll: make(chan struct{}), gotAll: make(chan struct{})}
}

// send writes one masked text frame.
func (c *client) send(p string) error {
	frame, err := ws.CompileFrame(ws.MaskFrame(ws.NewTextFrame([]byte(p))))
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err = c.conn.Write(frame)
	return err
}

// read returns the next text message, answering control frames.
func (c *client) read() ([]byte, error) {
	p, _, err := wsutil.ReadServerData(struct {
		io.Reader
		io.Writer
	}{c.r, &c.ctl})
	if c.ctl.Len() > 0 {
		c.mu.Lock()
		_, _ = c.conn.Write(c.ctl.Bytes())
		c.mu.Unlock()
		c.ctl.Reset()
	}
	return p, err
}

// dialClient opens one WebSocket from the source address src and waits
// for the namespace CONNECT reply, within timeout.
func dialClient(ctx context.Context, url string, src net.IP, timeout time.Duration) (*client, error) {
	d := ws.Dialer{Timeout: timeout, NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
		return nd.DialContext(ctx, network, addr)
	}}
	conn, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn, r: conn}
	if br != nil {
		c.r = &bufferedConn{br: br, conn: conn}
	}
	if err := c.handshake(timeout); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// handshake reads the open packet, joins the main namespace and waits for
// its CONNECT reply.
func (c *client) handshake(timeout time.Duration) error {
	_ = c.conn.SetDeadline(time.Now().Add(timeout))
	defer c.conn.SetDeadline(time.Time{})
	p, err := c.read()
	if err != nil {
		return fmt.Errorf("open packet: %w", err)
	}
	if !bytes.HasPrefix(p, []byte("0{")) {
		return fmt.Errorf("open packet: got %.80q", p)
	}
	if err := c.send("40"); err != nil {
		return err
	}
	for {
		p, err := c.read()
		switch {
		case err != nil:
			return fmt.Errorf("connect: %w", err)
		case bytes.HasPrefix(p, []byte("40")):
			return nil
		case bytes.HasPrefix(p, []byte("44")):
			return fmt.Errorf("connect_error: %.200s", p)
		case bytes.Equal(p, []byte("2")):
			_ = c.send("3")
		}
	}
}

// readLoop reads until the connection ends: it answers ping with pong and
// reports the join ack and each "msg" to f.
func (f *fleet) readLoop(c *client) {
	defer f.readers.Done()
	for {
		p, err := c.read()
		if err != nil {
			return
		}
		switch {
		case bytes.Equal(p, []byte("2")):
			_ = c.send("3")
		case bytes.HasPrefix(p, []byte(`42["msg"`)):
			if c.msgs.Add(1) == 1 && f.got.Add(1) == f.n {
				f.lastAt.Store(time.Now().UnixNano())
				close(f.gotAll)
			}
		case bytes.HasPrefix(p, []byte("431[")):
			if f.joined.Add(1) == f.n {
				close(f.joinedAll)
			}
		}
	}
}

// connect dials f.n clients, concurrency at a time, and starts their
// readers. Client i binds to the source address src(i). On the first
// failure it stops dialling and returns the error; the clients already
// connected stay in f for close.
func (f *fleet) connect(ctx context.Context, url string, concurrency int, src func(int) net.IP) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	f.clients = make([]*client, f.n)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < f.n && ctx.Err() == nil; i = next.Add(1) - 1 {
				c, err := dialClient(ctx, url, src(int(i)), 30*time.Second)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("client %d: %w", i, err)
					cancel()
				}
				if err == nil {
					f.clients[i] = c
					f.readers.Add(1)
					go f.readLoop(c)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// close closes every client and waits for their readers to end.
func (f *fleet) close() {
	for _, c := range f.clients {
		if c != nil {
			c.conn.Close()
		}
	}
	f.readers.Wait()
}

// bufferedConn reads what the handshake left in br, then conn.
type bufferedConn struct {
	br   *bufio.Reader
	conn net.Conn
}

func (b *bufferedConn) Read(p []byte) (int, error) {
	if b.br != nil {
		if b.br.Buffered() > 0 {
			return b.br.Read(p)
		}
		ws.PutReader(b.br)
		b.br = nil
	}
	return b.conn.Read(p)
}
