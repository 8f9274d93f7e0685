package socket

// Protocol tests with a raw long-polling client: what the server sends
// byte for byte, and how it treats packets that break the protocol.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rawClient speaks Engine.IO v4 long-polling by hand.
type rawClient struct {
	t   testing.TB
	url string
	sid string
}

func dialRaw(t testing.TB, base string) *rawClient {
	t.Helper()
	c := &rawClient{t: t, url: base + "/socket.io/?EIO=4&transport=polling"}
	status, body := c.do(http.MethodGet, c.url, "")
	if status != http.StatusOK || !strings.HasPrefix(body, "0{") {
		t.Fatalf("handshake: %d %q", status, body)
	}
	var open struct{ SID string }
	if err := json.Unmarshal([]byte(body[1:]), &open); err != nil || open.SID == "" {
		t.Fatalf("handshake body %q: %v", body, err)
	}
	c.sid = open.SID
	c.url += "&sid=" + open.SID
	return c
}

func (c *rawClient) do(method, url, body string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends packets joined by the record separator.
func (c *rawClient) post(packets ...string) int {
	status, _ := c.do(http.MethodPost, c.url, strings.Join(packets, "\x1e"))
	return status
}

// get long-polls once and returns the packets.
func (c *rawClient) get() (int, []string) {
	status, body := c.do(http.MethodGet, c.url, "")
	return status, strings.Split(body, "\x1e")
}

// closed reports whether the session is gone: a GET answers the close
// packet or 400.
func (c *rawClient) closed() bool {
	for range 3 {
		status, packets := c.get()
		if status == http.StatusBadRequest {
			return true
		}
		if status == http.StatusOK && packets[len(packets)-1] == "1" {
			return true
		}
	}
	return false
}

// connectReplyRE matches the CONNECT reply, with a socket id of 20 URL-safe
// base64 characters (randid.Len).
var connectReplyRE = regexp.MustCompile(`^40\{"sid":"([A-Za-z0-9_-]{20})"\}$`)

func TestProtocolConnectAndEvents(t *testing.T) {
	t.Parallel()
	_, url := echoServer(t)
	c := dialRaw(t, url)
	c.post(`40{"token":"123"}`)
	_, packets := c.get()
	if len(packets) != 1 || !connectReplyRE.MatchString(packets[0]) {
		t.Fatalf("CONNECT reply = %q", packets)
	}
	if id := connectReplyRE.FindStringSubmatch(packets[0])[1]; id == c.sid {
		t.Errorf("socket id %q is the Engine.IO session id", id)
	}
	c.post(`421["echo",{"b":1,"a":[true,null]},"x"]`, `42["echo",1]`)
	var got []string
	for len(got) < 2 {
		_, packets := c.get()
		got = append(got, packets...)
	}
	if got[0] != `431[{"b":1,"a":[true,null]},"x"]` || got[1] != `42["echo",1]` {
		t.Errorf("echo replies = %q", got)
	}
}

func TestProtocolUnknownNamespace(t *testing.T) {
	t.Parallel()
	_, url := echoServer(t)
	c := dialRaw(t, url)
	c.post(`40/nope,`)
	_, packets := c.get()
	if len(packets) != 1 || packets[0] != `44/nope,{"message":"Invalid namespace"}` {
		t.Fatalf("reply = %q", packets)
	}
	// The connection stays usable for other namespaces.
	c.post(`40`)
	if _, packets := c.get(); !strings.HasPrefix(packets[0], `40{"sid":`) {
		t.Fatalf("CONNECT after refusal = %q", packets)
	}
}

// TestProtocolViolations sends each malformed packet to a live server: the
// connection closes, and the server goes on serving others.
func TestProtocolViolations(t *testing.T) {
	t.Parallel()
	_, url := echoServer(t)
	cases := map[string][]string{
		"bad ack id":             {`40`, `42abc["echo"]`},
		"unknown type":           {`40`, `49`},
		"event not an array":     {`40`, `42{"a":1}`},
		"empty event":            {`40`, `42[]`},
		"reserved event name":    {`40`, `42["disconnect"]`},
		"event name an object":   {`40`, `42[{}]`},
		"invalid JSON":           {`40`, `42["echo",`},
		"CONNECT with an array":  {`40[]`},
		"DISCONNECT with data":   {`40`, `41{}`},
		"ACK not an array":       {`40`, `431{}`},
		"CONNECT_ERROR":          {`40`, `44{"message":"x"}`},
		"namespace not joined":   {`40`, `42/admin,["echo"]`},
		"second CONNECT":         {`40`, `40`},
		"too many attachments":   {`40`, `4511-["echo",1]`},
		"attachment unannounced": {`40`, `bAQID`},
		"huge ack id":            {`40`, `4299999999999999999999["echo"]`},
	}
	for name, packets := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, url)
			for _, p := range packets {
				c.post(p)
				time.Sleep(10 * time.Millisecond) // keep CONNECT ahead of the rest
			}
			if !c.closed() {
				t.Fatalf("connection still open after %q", packets)
			}
			fresh := dialRaw(t, url)
			fresh.post(`40`)
			fresh.get()
			fresh.post(`42["echo","still here"]`)
			if _, got := fresh.get(); got[0] != `42["echo","still here"]` {
				t.Fatalf("server no longer serves others: %q", got)
			}
		})
	}
}

func TestProtocolConnectTimeout(t *testing.T) {
	t.Parallel()
	srv := NewServer(&Options{ConnectTimeout: 200 * time.Millisecond})
	url := serve(t, srv)
	c := dialRaw(t, url)
	if !c.closed() {
		t.Fatal("a client that never joined a namespace is still connected")
	}
}

// TestProtocolConnectTimeoutSparesJoined: of clients that arrive one
// after another, each that never joins is closed once its own time is up,
// and one that joined stays connected past everyone's deadline.
func TestProtocolConnectTimeoutSparesJoined(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	srv := NewServer(&Options{ConnectTimeout: timeout})
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("echo", func(s *Socket, args Args, _ AckFunc) { _ = s.Emit("echo", args.Values()...) })
	})
	url := serve(t, srv)
	first := dialRaw(t, url)
	joined := dialRaw(t, url)
	joined.post(`40`)
	if _, got := joined.get(); !connectReplyRE.MatchString(got[0]) {
		t.Fatalf("CONNECT reply %q", got)
	}
	time.Sleep(timeout / 2)
	last := dialRaw(t, url)
	start := time.Now()
	if !first.closed() {
		t.Fatal("the first client, which never joined, is still connected")
	}
	if !last.closed() {
		t.Fatal("the last client, which never joined, is still connected")
	}
	if d := time.Since(start); d < timeout*3/4 {
		t.Errorf("the last client was closed %v after it came, before its own deadline", d)
	}
	joined.post(`42["echo","still here"]`)
	if _, got := joined.get(); got[0] != `42["echo","still here"]` {
		t.Fatalf("the client that joined got %q", got)
	}
}

func TestProtocolPanicCostsOneSocket(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	reasons := make(chan string, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("boom", func(*Socket, Args, AckFunc) { panic("handler bug") })
		s.OnEvent("ping", func(s *Socket, _ Args, _ AckFunc) { _ = s.Emit("pong") })
		s.OnDisconnect(func(s *Socket, reason DisconnectReason) { reasons <- string(reason) })
	})
	url := serve(t, srv)
	victim, bystander := dialRaw(t, url), dialRaw(t, url)
	victim.post(`40`)
	bystander.post(`40`)
	victim.get()
	bystander.get()
	victim.post(`42["boom"]`)
	if r := wait(t, reasons); r != "server namespace disconnect" {
		t.Errorf("reason = %q", r)
	}
	if _, packets := victim.get(); packets[0] != "41" {
		t.Errorf("victim got %q, want the DISCONNECT packet", packets)
	}
	bystander.post(`42["ping"]`)
	if _, packets := bystander.get(); packets[0] != `42["pong"]` {
		t.Errorf("bystander got %q", packets)
	}
}

func TestProtocolShutdown(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	reasons := make(chan string, 1)
	srv.OnConnection(func(s *Socket) {
		s.OnDisconnect(func(s *Socket, reason DisconnectReason) { reasons <- string(reason) })
	})
	url := serve(t, srv)
	c := dialRaw(t, url)
	c.post(`40`)
	c.get()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, reasons); r != "server shutting down" {
		t.Errorf("reason = %q", r)
	}
}

// TestProtocolVolatile: a volatile event is dropped for a client that is
// not ready to receive (a polling client with no GET pending), a plain one
// waits for it.
func TestProtocolVolatile(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	url := serve(t, srv)
	c := dialRaw(t, url)
	c.post(`40`)
	c.get()
	if err := srv.Volatile().Emit("volatile"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Emit("plain"); err != nil {
		t.Fatal(err)
	}
	if _, packets := c.get(); len(packets) != 1 || packets[0] != `42["plain"]` {
		t.Fatalf("got %q, want only the plain event", packets)
	}
	got := make(chan []string, 1)
	go func() { _, p := c.get(); got <- p }() // now a GET is pending
	time.Sleep(100 * time.Millisecond)
	_ = srv.Volatile().Emit("volatile")
	if packets := wait(t, got); packets[0] != `42["volatile"]` {
		t.Fatalf("got %q, want the volatile event", packets)
	}
}

// TestProtocolMiddlewareSeesClientLeave: a middleware waiting on its
// context is released when the client goes away mid-handshake.
func TestProtocolMiddlewareSeesClientLeave(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	entered, released := make(chan struct{}), make(chan error, 1)
	srv.Use(func(ctx context.Context, s *Socket) error {
		close(entered)
		<-ctx.Done()
		released <- ctx.Err()
		return ctx.Err()
	})
	url := serve(t, srv)
	c := dialRaw(t, url)
	c.post(`40`)
	wait(t, entered)
	c.post(`1`) // Engine.IO close from the client
	if err := wait(t, released); !errors.Is(err, context.Canceled) {
		t.Fatalf("middleware released with %v", err)
	}
}

// TestProtocolSocketContext: a socket's context lives while it is
// connected, ends when it disconnects, and is born ended when first asked
// for afterwards.
func TestProtocolSocketContext(t *testing.T) {
	t.Parallel()
	srv := NewServer(nil)
	connected := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { connected <- s })
	url := serve(t, srv)
	c := dialRaw(t, url)
	c.post(`40`)
	s := wait(t, connected)
	ctx := s.Context()
	if ctx.Err() != nil || s.Context() != ctx {
		t.Fatalf("context of a connected socket: err %v, same %v", ctx.Err(), s.Context() == ctx)
	}
	gone := make(chan string, 1)
	s.OnDisconnect(func(_ *Socket, reason DisconnectReason) { gone <- string(reason) })
	s.Disconnect()
	wait(t, ctx.Done())
	wait(t, gone)

	c.post(`40`)
	late := wait(t, connected)
	late.Disconnect()
	if err := late.Context().Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("context first asked for after disconnect: %v", err)
	}
}
