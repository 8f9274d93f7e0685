package webtransport

// Tests with a WebTransport client written with webtransport-go, which
// speaks the Engine.IO framing by hand: what the server does with each
// packet and with bad input. The browser tests (browser_test.go) check the
// same server against socket.io-client in Chromium.

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/envivo/socketio/socket"
)

// openSession sends the open packet of a new session and returns the
// server's open packet, decoded.
func (c *goClient) openSession() (sid string, upgrades []string) {
	c.t.Helper()
	c.sendText("0")
	p, bin := c.next()
	var open struct {
		SID      string   `json:"sid"`
		Upgrades []string `json:"upgrades"`
	}
	if bin || !strings.HasPrefix(p, "0") || json.Unmarshal([]byte(p[1:]), &open) != nil || open.SID == "" {
		c.t.Fatalf("first packet %q, want an open packet", p)
	}
	return open.SID, open.Upgrades
}

// recorder records what the server's sockets saw.
type recorder struct {
	transports chan string
	bins       chan []byte
	reasons    chan socket.DisconnectReason
}

func record(srv *socket.Server) *recorder {
	r := &recorder{make(chan string, 4), make(chan []byte, 4), make(chan socket.DisconnectReason, 4)}
	srv.OnConnection(func(s *socket.Socket) {
		r.transports <- s.Transport()
		s.OnEvent("echo", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
			_ = ack(args.Values()...)
		})
		s.OnEvent("bin", func(s *socket.Socket, args socket.Args, _ socket.AckFunc) {
			var b []byte
			_ = args.Decode(0, &b)
			r.bins <- b
		})
		s.OnDisconnect(func(_ *socket.Socket, reason socket.DisconnectReason) { r.reasons <- reason })
	})
	return r
}

// TestGoClientSession: a session opened over WebTransport gets an open
// packet offering no upgrade, connects to "/", gets acks, sends binary,
// and runs on transport "webtransport"; when the client closes its
// session, the socket leaves with "transport close".
func TestGoClientSession(t *testing.T) {
	srv := socket.NewServer(withWebTransport(socket.Polling))
	rec := record(srv)
	ts := startServer(t, srv)
	c, status := dial(t, ts, "")
	if status != http.StatusOK {
		t.Fatalf("CONNECT answered %d", status)
	}
	if _, upgrades := c.openSession(); len(upgrades) != 0 {
		t.Fatalf("upgrades %q on WebTransport, want none", upgrades)
	}
	c.sendText("40")
	if p, _ := c.next(); !strings.HasPrefix(p, `40{"sid":"`) {
		t.Fatalf("CONNECT answered %q", p)
	}
	if got := wait(t, rec.transports); got != socket.WebTransport {
		t.Fatalf("the socket's transport is %q", got)
	}
	big := strings.Repeat("x", 70_000) // a frame with a 64-bit length, both ways
	c.sendText(`421["echo","é",1,"` + big + `"]`)
	if p, _ := c.next(); p != `431["é",1,"`+big+`"]` {
		t.Fatalf("ack %.40q..., want the echo", p)
	}
	c.sendText(`451-["bin",{"_placeholder":true,"num":0}]`)
	c.sendBinary([]byte{0, 1, 0xff})
	if got := wait(t, rec.bins); string(got) != "\x00\x01\xff" {
		t.Fatalf("binary %x", got)
	}
	_ = c.sess.CloseWithError(0, "")
	if got := wait(t, rec.reasons); got != "transport close" {
		t.Fatalf("disconnect reason %q", got)
	}
}

// TestGoClientBadInput: a stream that does not hold Engine.IO packets
// closes the session with "parse error", whatever the claimed length.
func TestGoClientBadInput(t *testing.T) {
	srv := socket.NewServer(withWebTransport())
	rec := record(srv)
	ts := startServer(t, srv)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"length prefix of 2^62", []byte{127, 0x40, 0, 0, 0, 0, 0, 0, 0}},
		{"length over MaxPayload", []byte{127, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x41}},
		{"length 0", []byte{0}},
		{"unknown packet type", frame([]byte("9x"), false)},
		{"text that is not UTF-8", frame([]byte("4\xff\xfe"), false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := dial(t, ts, "")
			c.openSession()
			c.sendText("40")
			c.next()
			<-rec.transports
			c.send(tc.in)
			if got := wait(t, rec.reasons); got != "parse error" {
				t.Fatalf("disconnect reason %q", got)
			}
			if !c.closed() {
				t.Fatal("the session stayed open")
			}
		})
	}
}

// TestGoClientBadStart: a first packet other than an open packet, or one
// naming a session that does not exist, closes the WebTransport session
// without opening an Engine.IO session.
func TestGoClientBadStart(t *testing.T) {
	srv := socket.NewServer(withWebTransport(socket.Polling))
	ts := startServer(t, srv)
	for _, first := range []string{"4hello", "2", `0{"sid":"nope"}`, `0{"sid":1}`, "0[]"} {
		c, _ := dial(t, ts, "")
		c.sendText(first)
		if !c.closed() {
			t.Fatalf("first packet %q: the session stayed open", first)
		}
	}
	if n := srv.ClientsCount(); n != 0 {
		t.Fatalf("%d Engine.IO sessions", n)
	}
}

// TestRefusals: the CONNECT of a server whose Transports lack WebTransport
// gets Node's 400 "Transport unknown", EIO=3 gets 400; an HTTP request for
// transport=webtransport gets error 0 even with this package linked, as
// in Node.
func TestRefusals(t *testing.T) {
	ts := startServer(t, socket.NewServer(nil))
	if c, status := dial(t, ts, ""); c != nil || status != http.StatusBadRequest {
		t.Fatalf("without WebTransport in Transports: status %d", status)
	}
	ts = startServer(t, socket.NewServer(withWebTransport(socket.Polling)))
	if c, status := dial(t, ts, "EIO=3&transport=webtransport"); c != nil || status != http.StatusBadRequest {
		t.Fatalf("EIO=3: status %d", status)
	}
	if c, status := dialWith(t, ts, "/elsewhere/", "", nil); c != nil || status != http.StatusNotFound {
		t.Fatalf("another path: status %d", status)
	}
	rsp, err := http.Get(ts.httpURL + "/socket.io/?EIO=4&transport=webtransport")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rsp.Body)
	rsp.Body.Close()
	if rsp.StatusCode != http.StatusBadRequest || string(body) != `{"code":0,"message":"Transport unknown"}` {
		t.Fatalf("HTTP GET: %d %s", rsp.StatusCode, body)
	}
}

// TestAdmission: the CONNECT goes through CORS and AllowRequest: an origin
// CORS does not allow and a request AllowRequest refuses get 403 and open
// no session; an allowed origin connects.
func TestAdmission(t *testing.T) {
	opts := withWebTransport()
	opts.CORS.Origins = []string{"http://good.example"}
	opts.AllowRequest = func(r *http.Request) error {
		if r.Header.Get("X-Token") != "ok" {
			return errors.New("no token")
		}
		return nil
	}
	srv := socket.NewServer(opts)
	ts := startServer(t, srv)
	for _, tc := range []struct {
		origin, token string
		want          int
	}{
		{"http://evil.example", "ok", http.StatusForbidden},
		{"http://good.example", "", http.StatusForbidden},
		{"http://good.example", "ok", http.StatusOK},
	} {
		h := http.Header{"Origin": {tc.origin}, "X-Token": {tc.token}}
		c, status := dialWith(t, ts, "/socket.io/", "", h)
		if status != tc.want {
			t.Fatalf("origin %s token %q: status %d, want %d", tc.origin, tc.token, status, tc.want)
		}
		if c != nil {
			c.openSession()
		}
	}
	if n := srv.ClientsCount(); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}
