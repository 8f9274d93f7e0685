package engine

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestDecodeTextPayload3(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string // typ, then data; "b" prefix for binary
		wantErr bool
	}{
		{in: "1:2", want: []string{"2"}},
		{in: "6:4hello1:3", want: []string{"4hello", "3"}},
		{in: "0:1:6", want: []string{"6"}},                 // an empty packet is skipped
		{in: "3:4é😀", wantErr: true},                       // é is 1 unit, 😀 2: 4 units
		{in: "4:4é😀", want: []string{"4é😀"}},               // UTF-16 lengths
		{in: "6:b4AQID", want: []string{"b4\x01\x02\x03"}}, // base64 binary
		{in: "", wantErr: true},
		{in: "4", wantErr: true},
		{in: ":4", wantErr: true},
		{in: "x:4", wantErr: true},
		{in: "-1:4", wantErr: true},
		{in: "9:4abc", wantErr: true},
		{in: "1:7", wantErr: true},
		{in: "2:4😀", wantErr: true}, // cuts the surrogate pair
		{in: "2:b9", wantErr: true},
		{in: "4:b4*=", wantErr: true},
		{in: "1000000000:4", wantErr: true},
		{in: "1:43:4x", want: []string{"4"}, wantErr: true}, // what came before the error
	}
	for _, tt := range tests {
		got, err := decodeTextPayload3([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("decodeTextPayload3(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if s := packetStrings(got); fmt.Sprint(s) != fmt.Sprint(tt.want) && tt.want != nil {
			t.Errorf("decodeTextPayload3(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func packetStrings(pkts []packet) []string {
	var out []string
	for _, p := range pkts {
		s := string(p.typ) + string(p.data)
		if p.binary {
			s = "b" + s
		}
		out = append(out, s)
	}
	return out
}

func TestDecodeBinaryPayload3(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "\x00\x01\xff2", want: []string{"2"}},
		{in: "\x01\x04\xff\x04\x00\xff\x01\x00\x06\xff4hello", want: []string{"b4\x00\xff\x01", "4hello"}},
		{in: "\x00\x01\x02\xff4" + strings.Repeat("x", 11), want: []string{"4" + strings.Repeat("x", 11)}},
		{in: "", want: nil},
		{in: "\x02\x01\xff2", wantErr: true},    // kind
		{in: "\x00\x01", wantErr: true},         // no 0xff
		{in: "\x00\xff2", wantErr: true},        // no digit
		{in: "\x00\x0a\xff2", wantErr: true},    // not a digit
		{in: "\x00\x05\xff2", wantErr: true},    // past the end
		{in: "\x01\x01\xff\x09", wantErr: true}, // binary type 9
		{in: "\x01\x00\xff", wantErr: true},     // empty binary packet
		{in: "\x00\x01\xff9", wantErr: true},    // text type 9
		{in: "\x00" + strings.Repeat("\x09", 12) + "\xff", wantErr: true},
	}
	for _, tt := range tests {
		got, err := decodeBinaryPayload3([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("decodeBinaryPayload3(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if s := packetStrings(got); !tt.wantErr && fmt.Sprint(s) != fmt.Sprint(tt.want) {
			t.Errorf("decodeBinaryPayload3(%q) = %q, want %q", tt.in, s, tt.want)
		}
	}
}

func TestAppendPayload3(t *testing.T) {
	t.Parallel()
	msgs := []*Message{NewTextMessage([]byte("é😀")), NewBinaryMessage([]byte{1, 2, 3}), pingMessage}
	text, bin := codec3{base64: true}.appendPayload(nil, msgs, typeClose)
	if want := "4:4é😀6:b4AQID1:21:1"; bin || string(text) != want {
		t.Errorf("text payload = %q (binary %v), want %q", text, bin, want)
	}
	raw, bin := codec3{}.appendPayload(nil, msgs, typeNoop)
	want := "\x00\x07\xff4é😀" + "\x01\x04\xff\x04\x01\x02\x03" + "\x00\x01\xff2" + "\x00\x01\xff6"
	if !bin || string(raw) != want {
		t.Errorf("binary payload = %q (binary %v), want %q", raw, bin, want)
	}
	if only, bin := (codec3{}).appendPayload(nil, msgs[:1], 0); bin || string(only) != "4:4é😀" {
		t.Errorf("text-only payload to a binary client = %q (binary %v)", only, bin)
	}
	if empty, _ := (codec3{}).appendPayload(nil, nil, 0); string(empty) != "0:" {
		t.Errorf("empty payload = %q", empty)
	}
	for _, body := range [][]byte{text} {
		if got, err := decodeTextPayload3(body); err != nil || len(got) != 4 {
			t.Errorf("decode(%q) = %q, %v", body, packetStrings(got), err)
		}
	}
	if got, err := decodeBinaryPayload3(raw); err != nil || fmt.Sprint(packetStrings(got)) != fmt.Sprint([]string{"4é😀", "b4\x01\x02\x03", "2", "6"}) {
		t.Errorf("decode(binary) = %q, %v", packetStrings(got), err)
	}
}

// FuzzDecodePayload3 feeds both v3 payload forms arbitrary bytes: no
// panic, and what decodes encodes back to a payload that decodes the same.
func FuzzDecodePayload3(f *testing.F) {
	for _, s := range []string{"1:2", "6:4hello1:3", "4:4é😀", "6:b4AQID", "0:", "\x00\x01\xff2",
		"\x01\x04\xff\x04\x00\xff\x01", "9:4abc", "\x00" + strings.Repeat("\x09", 12) + "\xff"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, binary bool) {
		pkts, err := codec3{}.decodePayload(in, binary)
		if err != nil {
			return
		}
		msgs := make([]*Message, 0, len(pkts))
		for _, p := range pkts {
			if p.binary && p.typ != typeMessage {
				return // only binary messages are ever sent
			}
			msgs = append(msgs, &Message{typ: p.typ, Binary: p.binary, Data: p.data})
		}
		for _, cd := range []codec3{{}, {base64: true}} {
			enc, bin := cd.appendPayload(nil, msgs, 0)
			back, err := cd.decodePayload(enc, bin)
			if err != nil {
				t.Fatalf("decode(encode(%q)) = %q: %v", in, enc, err)
			}
			if fmt.Sprint(packetStrings(back)) != fmt.Sprint(packetStrings(pkts)) {
				t.Fatalf("round trip of %q: %q, want %q", in, packetStrings(back), packetStrings(pkts))
			}
		}
	})
}

func eio3Server(t *testing.T, o Options) *testServer {
	o.AllowEIO3 = true
	return newTestServer(t, &o)
}

// handshake3 opens a v3 polling session, with query extra.
func (ts *testServer) handshake3(t *testing.T, extra string) (string, *recorder) {
	t.Helper()
	res := ts.do(t, "GET", "EIO=3&transport=polling"+extra, "")
	n, open, ok := cutLength([]byte(res.body), ':')
	if res.status != 200 || !ok || n != len(open) || res.header.Get("Content-Type") != "text/plain; charset=UTF-8" {
		t.Fatalf("v3 handshake: %d %q %v", res.status, res.body, res.header)
	}
	o := parseOpen(t, string(open))
	if o.PingInterval != 25000 || o.PingTimeout != 20000 || o.MaxPayload != 1e6 || len(o.Upgrades) != 1 {
		t.Errorf("open packet %+v", o)
	}
	return o.SID, ts.session(t)
}

func poll3(sid string) string { return "EIO=3&transport=polling&sid=" + sid }

// TestEIO3Polling: the length-prefixed payloads both ways, binary as
// XHR2 binary or base64 text as the client asks, and the client's pings.
func TestEIO3Polling(t *testing.T) {
	t.Parallel()
	ts := eio3Server(t, Options{})
	sid, h := ts.handshake3(t, "")
	if res := ts.do(t, "POST", poll3(sid), "5:4hé😀1:2"); res.status != 200 || res.body != "ok" {
		t.Fatalf("POST: %d %q", res.status, res.body)
	}
	if got := h.nextMessage(t); got != (received{"hé😀", false}) {
		t.Fatalf("got %+v", got)
	}
	if res := ts.do(t, "GET", poll3(sid), ""); res.body != "5:4hé😀1:3" {
		t.Fatalf("GET = %q, want the echo and the pong", res.body)
	}
	bin := "\x01\x04\xff\x04\x00\xff\x01"
	if res := ts.do(t, "POST", poll3(sid), bin, "Content-Type", "application/octet-stream"); res.status != 200 {
		t.Fatalf("binary POST: %d %q", res.status, res.body)
	}
	if got := h.nextMessage(t); got != (received{"\x00\xff\x01", true}) {
		t.Fatalf("got %+v", got)
	}
	res := ts.do(t, "GET", poll3(sid), "")
	if res.body != bin || res.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("binary GET = %q %v", res.body, res.header)
	}

	sid, h = ts.handshake3(t, "&b64=1")
	if res := ts.do(t, "POST", poll3(sid)+"&b64=1", "6:b4AP8B"); res.status != 200 {
		t.Fatalf("base64 POST: %d", res.status)
	}
	if got := h.nextMessage(t); got != (received{"\x00\xff\x01", true}) {
		t.Fatalf("got %+v", got)
	}
	if res := ts.do(t, "GET", poll3(sid), ""); res.body != "6:b4AP8B" {
		t.Fatalf("base64 GET = %q", res.body)
	}
}

// TestEIO3BadInput: a payload that does not decode, or a pong (the client
// must ping in v3), closes the session; later requests get 400.
func TestEIO3BadInput(t *testing.T) {
	t.Parallel()
	ts := eio3Server(t, Options{})
	for _, tt := range []struct{ body, ctype, reason string }{
		{"5:4abc", "", ReasonParseError},
		{"x", "", ReasonParseError},
		{"2:4😀", "", ReasonParseError},
		{"\x00\x09\xff4", "application/octet-stream", ReasonParseError},
		{"\x07", "application/octet-stream", ReasonParseError},
		{"1:3", "", ReasonTransportError},
	} {
		sid, h := ts.handshake3(t, "")
		res := ts.do(t, "POST", poll3(sid), tt.body, "Content-Type", tt.ctype)
		if tt.reason == ReasonParseError && res.status != 400 {
			t.Errorf("POST %q: %d, want 400", tt.body, res.status)
		}
		if got := h.closeReason(t); got != tt.reason {
			t.Errorf("POST %q closed with %q, want %q", tt.body, got, tt.reason)
		}
		if res := ts.do(t, "GET", poll3(sid), ""); res.status != 400 {
			t.Errorf("GET after %q: %d", tt.body, res.status)
		}
	}
}

// TestEIO3Refused: without AllowEIO3, EIO=3 is error 5 (and v4 stays
// as it was with it).
func TestEIO3Refused(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	res := ts.do(t, "GET", "EIO=3&transport=polling", "")
	if res.status != 400 || res.body != `{"code":5,"message":"Unsupported protocol version"}` {
		t.Fatalf("EIO=3 without AllowEIO3: %d %s", res.status, res.body)
	}
	ts = eio3Server(t, Options{})
	sid, _ := ts.handshake(t)
	if res := ts.do(t, "POST", pollQuery(sid), "\x01\x01\xff\x04", "Content-Type", "application/octet-stream"); res.status != 400 {
		t.Fatalf("binary POST to a v4 session: %d", res.status)
	}
}

// TestEIO3PingTimeout: a v3 client that does not ping within
// PingInterval+PingTimeout is closed; one that pings is answered.
func TestEIO3PingTimeout(t *testing.T) {
	t.Parallel()
	ts := eio3Server(t, Options{PingInterval: 50 * time.Millisecond, PingTimeout: 50 * time.Millisecond})
	c := ts.dialWS(t, "EIO=3&transport=websocket", nil)
	if _, p := c.read(); !openRE.MatchString(p) {
		t.Fatalf("open packet %q", p)
	}
	h := ts.session(t)
	c.write(ws.OpText, "2")
	c.expectText("3")
	if got := h.closeReason(t); got != ReasonPingTimeout {
		t.Fatalf("closed with %q", got)
	}
}

// TestEIO3WebSocket: binary frames carry the type byte both ways (or go
// as base64 text with b64=1); a binary frame without a valid type closes
// the connection.
func TestEIO3WebSocket(t *testing.T) {
	t.Parallel()
	ts := eio3Server(t, Options{})
	for _, b64 := range []bool{false, true} {
		q := "EIO=3&transport=websocket"
		if b64 {
			q += "&b64=1"
		}
		c := ts.dialWS(t, q, nil)
		c.read() // open
		h := ts.session(t)
		c.write(ws.OpBinary, "\x04\x00\x01")
		op, p := c.read()
		if !b64 && (op != ws.OpBinary || p != "\x04\x00\x01") || b64 && (op != ws.OpText || p != "b4AAE=") {
			t.Fatalf("b64=%v: binary echo %v %q", b64, op, p)
		}
		c.write(ws.OpText, "b4AAE=")
		if got := h.nextMessage(t); got != (received{"\x00\x01", true}) {
			t.Fatalf("got %+v", got)
		}
		c.read()
	}
	for _, bad := range []string{"", "\x09", "\x34"} {
		c := ts.dialWS(t, "EIO=3&transport=websocket", nil)
		c.read()
		h := ts.session(t)
		c.write(ws.OpBinary, bad)
		if got := h.closeReason(t); got != ReasonParseError {
			t.Errorf("binary frame %q closed with %q", bad, got)
		}
		c.expectClosed()
	}
}

// TestEIO3Upgrade: a v3 polling session upgrades, and binary goes out on
// the WebSocket with the type byte.
func TestEIO3Upgrade(t *testing.T) {
	t.Parallel()
	ts := eio3Server(t, Options{})
	sid, h := ts.handshake3(t, "")
	c := ts.dialWS(t, "EIO=3&transport=websocket&sid="+sid, nil)
	c.write(ws.OpText, "2probe")
	c.expectText("3probe")
	c.write(ws.OpText, "5")
	waitTransport(t, ts, sid, "websocket")
	if err := h.c.Send(NewBinaryMessage([]byte{7})); err != nil {
		t.Fatal(err)
	}
	if op, p := c.read(); op != ws.OpBinary || !bytes.Equal([]byte(p), []byte{4, 7}) {
		t.Fatalf("binary after upgrade %v %q", op, p)
	}
	if h.c.Protocol() != 3 {
		t.Errorf("Protocol() = %d", h.c.Protocol())
	}
}

// TestEIO3PingFlood: pings whose pongs are never read fill the write
// queue, which closes the session instead of growing.
func TestEIO3PingFlood(t *testing.T) {
	t.Parallel()
	ts := eio3Server(t, Options{WriteQueueSize: 8})
	sid, h := ts.handshake3(t, "")
	ts.do(t, "POST", poll3(sid), strings.Repeat("1:2", 20))
	if got := h.closeReason(t); got != ReasonTransportError {
		t.Fatalf("closed with %q", got)
	}
}

// TestFrame3Shared: the protocol 3 frame of a binary message is built once
// and shared, as the protocol 4 frame is.
func TestFrame3Shared(t *testing.T) {
	t.Parallel()
	m := NewBinaryMessage([]byte{1, 2})
	f := codec3{}.frame(m)
	if !bytes.Equal(f, []byte{0x82, 3, 4, 1, 2}) {
		t.Fatalf("frame = %x", f)
	}
	if g := (codec3{}).frame(m); &g[0] != &f[0] {
		t.Error("frame built twice")
	}
	if g := (codec4{}).frame(m); !bytes.Equal(g, []byte{0x82, 2, 1, 2}) {
		t.Errorf("protocol 4 frame = %x", g)
	}
	if g := (codec3{base64: true}).frame(m); string(g) != "\x81\x06b4AQI=" {
		t.Errorf("base64 frame = %q", g)
	}
}
