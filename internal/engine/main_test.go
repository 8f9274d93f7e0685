package engine

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait of a test.
const waitTimeout = 5 * time.Second

// received is one message a handler got.
type received struct {
	data   string
	binary bool
}

// recorder is a Handler that records what happens and, if echo is set,
// sends every message back.
type recorder struct {
	c      *Conn
	echo   bool
	msgs   chan received
	closed chan string
}

func (h *recorder) HandleMessage(data []byte, binary bool) {
	h.msgs <- received{string(data), binary}
	if h.echo {
		m := NewTextMessage(data)
		if binary {
			m = NewBinaryMessage(data)
		}
		_ = h.c.Send(m)
	}
}

func (h *recorder) HandleClose(reason string) { h.closed <- reason }

// nextMessage waits for the next message h receives.
func (h *recorder) nextMessage(t *testing.T) received {
	t.Helper()
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(waitTimeout):
		t.Fatal("no message received")
		return received{}
	}
}

// closeReason waits for HandleClose.
func (h *recorder) closeReason(t *testing.T) string {
	t.Helper()
	select {
	case r := <-h.closed:
		return r
	case <-time.After(waitTimeout):
		t.Fatal("HandleClose not called")
		return ""
	}
}

// testServer is an httptest server serving an engine Server whose sessions
// get a recorder each (echoing).
type testServer struct {
	*httptest.Server
	eng   *Server
	conns chan *recorder
}

func newTestServer(t *testing.T, opts *Options) *testServer {
	t.Helper()
	eng, conns := newRecordingServer(opts)
	ts := newTestServerWith(t, eng)
	ts.conns = conns
	return ts
}

// newRecordingServer returns an engine whose sessions echo what they
// receive and record it; their recorders come on the channel.
func newRecordingServer(opts *Options) (*Server, chan *recorder) {
	conns := make(chan *recorder, 64)
	eng := NewServer(opts, func(c *Conn) Handler {
		h := &recorder{c: c, echo: true, msgs: make(chan received, 256), closed: make(chan string, 1)}
		conns <- h
		return h
	})
	return eng, conns
}

// newTestServerWith serves eng over httptest until the test ends.
func newTestServerWith(t *testing.T, eng *Server) *testServer {
	t.Helper()
	ts := &testServer{eng: eng, Server: httptest.NewServer(eng)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := ts.eng.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	return ts
}

// session waits for the recorder of the next session.
func (ts *testServer) session(t *testing.T) *recorder {
	t.Helper()
	select {
	case h := <-ts.conns:
		return h
	case <-time.After(waitTimeout):
		t.Fatal("no session accepted")
		return nil
	}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	body   string
	header http.Header
}

// do sends a request to the server with the given query and body ("" for
// none) and reads the whole response.
func (ts *testServer) do(t *testing.T, method, query, body string, hdr ...string) response {
	t.Helper()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+"/?"+query, rb)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return ts.send(t, req)
}

func (ts *testServer) send(t *testing.T, req *http.Request) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(req.Context(), waitTimeout)
	defer cancel()
	res, err := ts.Client().Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return response{res.StatusCode, string(b), res.Header}
}

// doAsync is do on another goroutine; the channel yields its response.
func (ts *testServer) doAsync(t *testing.T, method, query, body string) <-chan response {
	ch := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest(method, ts.URL+"/?"+query, strings.NewReader(body))
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		res, err := ts.Client().Do(req.WithContext(ctx))
		if err != nil {
			ch <- response{status: -1, body: err.Error()}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		ch <- response{res.StatusCode, string(b), res.Header}
	}()
	return ch
}

func wait[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatal("timed out")
		var zero T
		return zero
	}
}

// openPacket is the JSON of a handshake.
type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"`
	PingTimeout  int      `json:"pingTimeout"`
	MaxPayload   int      `json:"maxPayload"`
}

func parseOpen(t *testing.T, s string) openPacket {
	t.Helper()
	if !strings.HasPrefix(s, "0{") {
		t.Fatalf("open packet = %q", s)
	}
	var o openPacket
	if err := json.Unmarshal([]byte(s[1:]), &o); err != nil {
		t.Fatalf("open packet %q: %v", s, err)
	}
	return o
}

// handshake opens a polling session and returns its sid and recorder.
func (ts *testServer) handshake(t *testing.T) (string, *recorder) {
	t.Helper()
	res := ts.do(t, "GET", "EIO=4&transport=polling", "")
	if res.status != 200 {
		t.Fatalf("handshake: %d %s", res.status, res.body)
	}
	return parseOpen(t, res.body).SID, ts.session(t)
}

func pollQuery(sid string) string { return "EIO=4&transport=polling&sid=" + sid }

// wsClient is a raw WebSocket client.
type wsClient struct {
	t    *testing.T
	conn net.Conn
	r    io.Reader
}

// dialWS opens a WebSocket to the server with query.
func (ts *testServer) dialWS(t *testing.T, query string, hdr http.Header) *wsClient {
	t.Helper()
	c, err := ts.tryDialWS(query, hdr)
	if err != nil {
		t.Fatalf("dial %s: %v", query, err)
	}
	c.t = t
	t.Cleanup(func() { c.conn.Close() })
	return c
}

func (ts *testServer) tryDialWS(query string, hdr http.Header) (*wsClient, error) {
	d := ws.Dialer{Timeout: waitTimeout}
	if hdr != nil {
		d.Header = ws.HandshakeHeaderHTTP(hdr)
	}
	u := "ws" + strings.TrimPrefix(ts.URL, "http") + "/?" + query
	conn, br, _, err := d.Dial(context.Background(), u)
	if err != nil {
		return nil, err
	}
	c := &wsClient{conn: conn, r: conn}
	if br != nil {
		c.r = br
	}
	return c, nil
}

// readFrame reads one frame, whatever its type.
func (c *wsClient) readFrame() (ws.OpCode, []byte, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	h, err := ws.ReadHeader(c.r)
	if err != nil {
		return 0, nil, err
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.r, p); err != nil {
		return 0, nil, err
	}
	if h.Masked {
		ws.Cipher(p, h.Mask, 0)
	}
	return h.OpCode, p, nil
}

// read reads the next data frame and fails the test on anything else.
func (c *wsClient) read() (ws.OpCode, string) {
	c.t.Helper()
	op, p, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("websocket read: %v", err)
	}
	if op != ws.OpText && op != ws.OpBinary {
		c.t.Fatalf("websocket read: opcode %v %q", op, p)
	}
	return op, string(p)
}

// readText reads the next frame and checks it is text s.
func (c *wsClient) expectText(s string) {
	c.t.Helper()
	op, p := c.read()
	if op != ws.OpText || p != s {
		c.t.Fatalf("websocket got %v %q, want text %q", op, p, s)
	}
}

// expectClosed reads until the connection ends and reports whether a close
// frame came first.
func (c *wsClient) expectClosed() (closeFrame []byte, sawClose bool) {
	c.t.Helper()
	for {
		op, p, err := c.readFrame()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatal("websocket not closed by the server")
			}
			return closeFrame, sawClose
		}
		if op == ws.OpClose {
			closeFrame, sawClose = p, true
			_ = wsutil.WriteClientMessage(c.conn, ws.OpClose, p)
		}
	}
}

func (c *wsClient) write(op ws.OpCode, p string) {
	c.t.Helper()
	if err := wsutil.WriteClientMessage(c.conn, op, []byte(p)); err != nil {
		c.t.Fatalf("websocket write: %v", err)
	}
}

// echoOnce checks a fresh polling session echoes a message: the server
// still serves after whatever the test did.
func (ts *testServer) echoOnce(t *testing.T) {
	t.Helper()
	sid, h := ts.handshake(t)
	if res := ts.do(t, "POST", pollQuery(sid), "4ping?"); res.status != 200 || res.body != "ok" {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.body != "4ping?" {
		t.Fatalf("GET after POST = %d %q", res.status, res.body)
	}
	if m := h.nextMessage(t); m.data != "ping?" {
		t.Fatalf("handler got %q", m.data)
	}
}

// syncBuffer is a goroutine-safe bytes sink.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
