package engine

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

func TestPickEncoding(t *testing.T) {
	t.Parallel()
	for accept, want := range map[string]string{
		"gzip":                       "gzip",
		"gzip, deflate, br":          "gzip",
		"deflate":                    "deflate",
		"br, deflate":                "deflate",
		"deflate;q=1, gzip;q=0.5":    "deflate",
		"gzip;q=0, deflate;q=0.1":    "deflate",
		"gzip;q=0":                   "",
		"identity":                   "",
		"br":                         "",
		"*":                          "gzip",
		"*;q=0.5, gzip;q=0.2":        "deflate",
		"GZIP ; Q=0.8 , deflate;q=x": "gzip",
		"":                           "",
	} {
		if got := pickEncoding(accept); got != want {
			t.Errorf("pickEncoding(%q) = %q, want %q", accept, got, want)
		}
	}
}

// decodeBody undoes a content coding.
func decodeBody(t *testing.T, enc, body string) string {
	t.Helper()
	var r io.Reader
	var err error
	switch enc {
	case "":
		return body
	case "gzip":
		r, err = gzip.NewReader(strings.NewReader(body))
	case "deflate":
		r, err = zlib.NewReader(strings.NewReader(body))
	default:
		t.Fatalf("unexpected Content-Encoding %q", enc)
	}
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	return string(b)
}

// TestPollingCompression checks that a polling answer is compressed as
// the request's Accept-Encoding asks, from the threshold on, unless its
// messages say NoCompress or compression is off; and that it decodes to
// the payload.
func TestPollingCompression(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("compressible ", 100) // 1300 bytes
	tests := []struct {
		name      string
		threshold int
		accept    string
		msgs      []*Message
		wantEnc   string
	}{
		{"gzip", 0, "gzip, deflate", []*Message{NewTextMessage([]byte(big))}, "gzip"},
		{"deflate", 0, "deflate", []*Message{NewTextMessage([]byte(big))}, "deflate"},
		{"deflate preferred", 0, "gzip;q=0.5, deflate", []*Message{NewTextMessage([]byte(big))}, "deflate"},
		{"binary", 0, "gzip", []*Message{NewBinaryMessage([]byte(big))}, "gzip"},
		{"not accepted", 0, "identity", []*Message{NewTextMessage([]byte(big))}, ""},
		{"under threshold", 0, "gzip", []*Message{NewTextMessage([]byte(big[:1000]))}, ""},
		{"several make the threshold", 0, "gzip", []*Message{NewTextMessage([]byte(big[:600])), NewTextMessage([]byte(big[:600]))}, "gzip"},
		{"threshold set", 100, "gzip", []*Message{NewTextMessage([]byte(big[:200]))}, "gzip"},
		{"off", -1, "gzip", []*Message{NewTextMessage([]byte(big))}, ""},
		{"no compress", 0, "gzip", []*Message{{Data: []byte(big), NoCompress: true}}, ""},
		{"one compressible", 0, "gzip", []*Message{{Data: []byte(big), NoCompress: true}, NewTextMessage([]byte("x"))}, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, &Options{HTTPCompressionThreshold: tt.threshold})
			sid, h := ts.handshake(t)
			if err := h.c.Send(tt.msgs...); err != nil {
				t.Fatal(err)
			}
			res := ts.do(t, "GET", pollQuery(sid), "", "Accept-Encoding", tt.accept)
			enc := res.header.Get("Content-Encoding")
			if res.status != 200 || enc != tt.wantEnc {
				t.Fatalf("GET: %d, Content-Encoding %q, want %q", res.status, enc, tt.wantEnc)
			}
			if n := res.header.Get("Content-Length"); n != fmt.Sprint(len(res.body)) {
				t.Fatalf("Content-Length %s for %d bytes", n, len(res.body))
			}
			if got, want := decodeBody(t, enc, res.body), string(encodePayload(nil, tt.msgs)); got != want {
				t.Fatalf("payload %.80q..., want %.80q...", got, want)
			}
			if enc != "" && len(res.body) >= len(big)/4 {
				t.Fatalf("compressed to %d bytes", len(res.body))
			}
		})
	}
}

// rawWS is a WebSocket client that sees the reserved bits of every frame.
type rawWS struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	ext  string // the server's Sec-WebSocket-Extensions
}

// dialRawWS opens a WebSocket offering extensions ("" for none).
func (ts *testServer) dialRawWS(t *testing.T, query, extensions string) *rawWS {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := "GET /?" + query + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if extensions != "" {
		req += "Sec-WebSocket-Extensions: " + extensions + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %d", res.StatusCode)
	}
	return &rawWS{t: t, conn: conn, r: br, ext: res.Header.Get("Sec-WebSocket-Extensions")}
}

// frame reads one frame, unmasked, with its header.
func (c *rawWS) frame() ws.Frame {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
	f, err := ws.ReadFrame(c.r)
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	return f
}

// message reads one data frame: its opcode, whether RSV1 was set, and its
// payload, inflated if it was.
func (c *rawWS) message() (op ws.OpCode, compressed bool, p string) {
	c.t.Helper()
	f := c.frame()
	if f.Header.Rsv&^ws.Rsv(true, false, false) != 0 {
		c.t.Fatalf("frame with RSV2/RSV3: %+v", f.Header)
	}
	compressed, err := wsflate.IsCompressed(f.Header)
	if err != nil {
		c.t.Fatal(err)
	}
	if compressed {
		if f, err = wsflate.DecompressFrame(f); err != nil {
			c.t.Fatalf("inflate: %v", err)
		}
	}
	return f.Header.OpCode, compressed, string(f.Payload)
}

// send writes one masked frame; with compress, deflated with RSV1 set.
func (c *rawWS) send(op ws.OpCode, p string, compress bool) {
	c.t.Helper()
	f := ws.NewFrame(op, true, []byte(p))
	if compress {
		var err error
		if f, err = wsflate.CompressFrame(f); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := ws.WriteFrame(c.conn, ws.MaskFrame(f)); err != nil {
		c.t.Fatal(err)
	}
}

// closeStatus reads until the close frame and returns its status code.
func (c *rawWS) closeStatus() ws.StatusCode {
	c.t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(waitTimeout))
		f, err := ws.ReadFrame(c.r)
		if err != nil {
			c.t.Fatalf("no close frame: %v", err)
		}
		if f.Header.OpCode == ws.OpClose {
			code, _ := ws.ParseCloseFrameData(f.Payload)
			return code
		}
	}
}

const deflateOffer = "permessage-deflate; client_max_window_bits"

// TestWebSocketDeflate negotiates permessage-deflate as Node's ws client
// and browsers offer it, and checks both directions: what the client sends
// compressed is inflated, what the server sends from the threshold on goes
// compressed (RSV1), and what is smaller or says NoCompress does not.
func TestWebSocketDeflate(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PerMessageDeflate: true})
	c := ts.dialRawWS(t, "EIO=4&transport=websocket", deflateOffer)
	if c.ext != "permessage-deflate;server_no_context_takeover;client_no_context_takeover" {
		t.Fatalf("Sec-WebSocket-Extensions %q", c.ext)
	}
	if op, z, p := c.message(); op != ws.OpText || z || !openRE.MatchString(p) {
		t.Fatalf("open packet %v %v %q", op, z, p)
	}
	h := ts.session(t)
	big := "4" + strings.Repeat("a compressible message ", 60)
	for _, compress := range []bool{true, false} {
		c.send(ws.OpText, big, compress)
		if m := h.nextMessage(t); m.data != big[1:] || m.binary {
			t.Fatalf("handler got %.40q binary=%v", m.data, m.binary)
		}
		if op, z, p := c.message(); op != ws.OpText || !z || p != big {
			t.Fatalf("echo of a big message: %v compressed=%v %.40q", op, z, p)
		}
	}
	c.send(ws.OpText, "4small", true)
	if op, z, p := c.message(); op != ws.OpText || z || p != "4small" {
		t.Fatalf("echo of a small message: %v compressed=%v %q", op, z, p)
	}
	bin := bytes.Repeat([]byte{1, 2, 3, 4}, 512)
	c.send(ws.OpBinary, string(bin), true)
	if op, z, p := c.message(); op != ws.OpBinary || !z || p != string(bin) {
		t.Fatalf("echo of a big binary message: %v compressed=%v", op, z)
	}
	_ = h.c.Send(&Message{Data: []byte(big[1:]), NoCompress: true})
	if op, z, p := c.message(); op != ws.OpText || z || p != big {
		t.Fatalf("NoCompress message: %v compressed=%v %.40q", op, z, p)
	}
}

// TestWebSocketDeflateNegotiation checks what is accepted: nothing when
// the option is off or nothing is offered, an offer the server cannot
// honour declined, and a compressed frame from a client that did not
// negotiate refused.
func TestWebSocketDeflateNegotiation(t *testing.T) {
	t.Parallel()
	on := newTestServer(t, &Options{PerMessageDeflate: true})
	off := newTestServer(t, nil)
	for _, tt := range []struct {
		ts    *testServer
		offer string
		want  string
	}{
		{off, deflateOffer, ""},
		{on, "", ""},
		{on, "x-webkit-deflate-frame", ""},
		{on, "permessage-deflate; server_max_window_bits=10", ""},
		{on, "permessage-deflate; server_max_window_bits=10, permessage-deflate",
			"permessage-deflate;server_no_context_takeover;client_no_context_takeover"},
		{on, "permessage-deflate; server_no_context_takeover; server_max_window_bits=15",
			"permessage-deflate;server_no_context_takeover;client_no_context_takeover"},
	} {
		c := tt.ts.dialRawWS(t, "EIO=4&transport=websocket", tt.offer)
		if c.ext != tt.want {
			t.Errorf("offer %q: extensions %q, want %q", tt.offer, c.ext, tt.want)
		}
		c.frame() // open
		if tt.want == "" {
			c.send(ws.OpText, "4hello", true)
			if code := c.closeStatus(); code != ws.StatusProtocolError {
				t.Errorf("offer %q: compressed frame closed with %d", tt.offer, code)
			}
		}
	}
}

// TestWebSocketDeflateBadInput checks that compressed input that breaks
// the rules closes the connection with the right status: a message that
// inflates past MaxPayload (a zip bomb, 1009), data that does not inflate
// (1007), RSV1 on a control frame or a continuation, RSV2 (1002).
func TestWebSocketDeflateBadInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PerMessageDeflate: true, MaxPayload: 64 << 10})
	bomb, _ := wsflate.CompressFrame(ws.NewTextFrame(append([]byte("4"), make([]byte, 2<<20)...)))
	if len(bomb.Payload) > 64<<10 {
		t.Fatalf("bomb of %d bytes", len(bomb.Payload))
	}
	fragment := ws.NewFrame(ws.OpText, false, []byte("4a"))
	fragment.Header.Rsv = ws.Rsv(true, false, false)
	continuation := ws.NewFrame(ws.OpContinuation, true, []byte("b"))
	continuation.Header.Rsv = ws.Rsv(true, false, false)
	ping := ws.NewPingFrame(nil)
	ping.Header.Rsv = ws.Rsv(true, false, false)
	rsv2 := ws.NewTextFrame([]byte("4a"))
	rsv2.Header.Rsv = ws.Rsv(false, true, false)
	garbage := ws.NewTextFrame([]byte{0xff, 0xff, 0xff, 0xff})
	garbage.Header.Rsv = ws.Rsv(true, false, false)
	for _, tt := range []struct {
		name   string
		frames []ws.Frame
		want   ws.StatusCode
	}{
		{"bomb", []ws.Frame{bomb}, ws.StatusMessageTooBig},
		{"garbage", []ws.Frame{garbage}, ws.StatusInvalidFramePayloadData},
		{"rsv1 continuation", []ws.Frame{fragment, continuation}, ws.StatusProtocolError},
		{"rsv1 control", []ws.Frame{ping}, ws.StatusProtocolError},
		{"rsv2", []ws.Frame{rsv2}, ws.StatusProtocolError},
	} {
		c := ts.dialRawWS(t, "EIO=4&transport=websocket", deflateOffer)
		c.frame() // open
		h := ts.session(t)
		for _, f := range tt.frames {
			if err := ws.WriteFrame(c.conn, ws.MaskFrame(f)); err != nil {
				t.Fatal(err)
			}
		}
		if code := c.closeStatus(); code != tt.want {
			t.Errorf("%s: closed with %d, want %d", tt.name, code, tt.want)
		}
		if r := h.closeReason(t); r != ReasonTransportError {
			t.Errorf("%s: close reason %q", tt.name, r)
		}
	}
	ts.echoOnce(t)
}

// TestWebSocketDeflateBombMemory sends zip bombs, each inflating to 64 MB
// from 64 KB, to a server whose MaxPayload is 256 KB, and measures what
// the heap allocated across the attack: about MaxPayload per bomb, not
// what the bombs inflate to (a bound of 16 MaxPayload, 4 MB, against the
// 64 MB an unbounded inflate would take).
func TestWebSocketDeflateBombMemory(t *testing.T) {
	const bombs, maxPayload = 10, 256 << 10
	ts := newTestServer(t, &Options{PerMessageDeflate: true, MaxPayload: maxPayload})
	// 1 MB of zeros deflated and flushed is a byte-aligned run of
	// non-final blocks: 64 copies inflate to 64 MB.
	var one bytes.Buffer
	fw, _ := flate.NewWriter(&one, flate.BestCompression)
	_, _ = fw.Write(make([]byte, 1<<20))
	_ = fw.Flush()
	bomb := bytes.Repeat(one.Bytes(), 64)
	bomb = bomb[:len(bomb)-4] // the tail permessage-deflate leaves out
	if len(bomb) > maxPayload {
		t.Fatalf("bomb of %d bytes", len(bomb))
	}
	frame := ws.NewFrame(ws.OpText, true, bomb)
	frame.Header.Rsv = ws.Rsv(true, false, false)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range bombs {
		c := ts.dialRawWS(t, "EIO=4&transport=websocket", deflateOffer)
		c.frame() // open
		h := ts.session(t)
		if err := ws.WriteFrame(c.conn, ws.MaskFrame(frame)); err != nil {
			t.Fatal(err)
		}
		if code := c.closeStatus(); code != ws.StatusMessageTooBig {
			t.Fatalf("closed with %d", code)
		}
		h.closeReason(t)
	}
	runtime.ReadMemStats(&after)
	perBomb := (after.TotalAlloc - before.TotalAlloc) / bombs
	t.Logf("%d bytes allocated per bomb", perBomb)
	if perBomb > 16*maxPayload {
		t.Fatalf("%d bytes allocated per bomb, MaxPayload is %d", perBomb, maxPayload)
	}
}

// TestWebSocketDeflateFragmented sends a compressed message in three
// fragments with a ping between them.
func TestWebSocketDeflateFragmented(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PerMessageDeflate: true})
	c := ts.dialRawWS(t, "EIO=4&transport=websocket", deflateOffer)
	c.frame() // open
	h := ts.session(t)
	msg := "4" + strings.Repeat("fragments ", 50)
	z, _ := wsflate.CompressFrame(ws.NewTextFrame([]byte(msg)))
	p := z.Payload
	first := ws.NewFrame(ws.OpText, false, p[:5])
	first.Header.Rsv = ws.Rsv(true, false, false)
	for _, f := range []ws.Frame{first, ws.NewFrame(ws.OpContinuation, false, p[5:10]),
		ws.NewPingFrame([]byte("p")), ws.NewFrame(ws.OpContinuation, true, p[10:])} {
		if err := ws.WriteFrame(c.conn, ws.MaskFrame(f)); err != nil {
			t.Fatal(err)
		}
	}
	if m := h.nextMessage(t); m.data != msg[1:] {
		t.Fatalf("handler got %.40q", m.data)
	}
}

// TestWebSocketDeflateOnce sends one Message to several connections that
// negotiated permessage-deflate, and to one that did not: the first get
// the same compressed frame, built once; the last gets the plain frame.
func TestWebSocketDeflateOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PerMessageDeflate: true})
	var clients []*rawWS
	var conns []*Conn
	for i := range 4 {
		offer := deflateOffer
		if i == 3 {
			offer = ""
		}
		c := ts.dialRawWS(t, "EIO=4&transport=websocket", offer)
		c.frame() // open
		clients = append(clients, c)
		conns = append(conns, ts.session(t).c)
	}
	m := NewTextMessage([]byte(strings.Repeat("broadcast ", 200)))
	for _, c := range conns {
		if err := c.SendBatched(m); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range clients {
		f := c.frame()
		raw := ws.MustCompileFrame(f)
		if i < 3 && !bytes.Equal(raw, m.zframe) {
			t.Fatalf("client %d got %d bytes, not the message's compressed frame (%d bytes)", i, len(raw), len(m.zframe))
		}
		if i == 3 && !bytes.Equal(raw, m.wsFrame()) {
			t.Fatalf("client without deflate got %d bytes, not the plain frame", len(raw))
		}
	}
	if len(m.zframe) >= len(m.wsFrame())/4 {
		t.Fatalf("compressed frame of %d bytes for %d", len(m.zframe), len(m.wsFrame()))
	}
}

// TestWebSocketDeflateUpgrade upgrades a polling session to a WebSocket
// that negotiated permessage-deflate, the probe coming compressed as a
// client with threshold 0 would send it.
func TestWebSocketDeflateUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PerMessageDeflate: true})
	sid, h := ts.handshake(t)
	c := ts.dialRawWS(t, "EIO=4&transport=websocket&sid="+sid, deflateOffer)
	c.send(ws.OpText, "2probe", true)
	if _, _, p := c.message(); p != "3probe" {
		t.Fatalf("probe answer %q", p)
	}
	c.send(ws.OpText, "5", true)
	big := strings.Repeat("upgraded ", 200)
	if err := h.c.Send(NewTextMessage([]byte(big))); err != nil {
		t.Fatal(err)
	}
	for {
		op, z, p := c.message()
		if op == ws.OpText && p == "4"+big {
			if !z {
				t.Fatal("not compressed after the upgrade")
			}
			return
		}
	}
}

// TestIdleCompressionMemory checks that compression leaves nothing with
// an idle session: sessions that each received and sent compressed
// messages (WebSocket with permessage-deflate, polling with gzip) grow the
// heap by about what sessions without compression cost, far less than a
// compressor (hundreds of KB) or a 32 KB inflate window each.
func TestIdleCompressionMemory(t *testing.T) {
	const n = 100
	ts := newTestServer(t, &Options{PerMessageDeflate: true, PingInterval: time.Hour})
	big := "4" + strings.Repeat("idle but compressed ", 100)
	measure := func() int64 {
		var ms runtime.MemStats
		for range 3 {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapInuse + ms.StackInuse)
	}
	before := measure()
	for range n {
		c := ts.dialRawWS(t, "EIO=4&transport=websocket", deflateOffer)
		c.frame() // open
		h := ts.session(t)
		c.send(ws.OpText, big, true)
		if _, z, p := c.message(); !z || p != big {
			t.Fatalf("echo compressed=%v", z)
		}
		h.nextMessage(t)

		sid, ph := ts.handshake(t)
		_ = ph.c.Send(NewTextMessage([]byte(big)))
		if res := ts.do(t, "GET", pollQuery(sid), "", "Accept-Encoding", "gzip"); res.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("polling answer not compressed: %v", res.header)
		}
	}
	grown := measure() - before
	perSession := grown / (2 * n)
	t.Logf("heap and stacks grew %d bytes, %d per session", grown, perSession)
	if perSession > 16<<10 {
		t.Fatalf("%d bytes per idle session", perSession)
	}
}

// FuzzInflateMessage feeds arbitrary payloads to the inflate path: it
// never panics, never returns more than the limit, and what it returns
// compresses back to the same message.
func FuzzInflateMessage(f *testing.F) {
	z, _ := wsflate.CompressFrame(ws.NewTextFrame([]byte("4hello hello hello")))
	f.Add(z.Payload)
	bomb, _ := wsflate.CompressFrame(ws.NewTextFrame(make([]byte, 1<<16)))
	f.Add(bomb.Payload)
	f.Add([]byte{})
	f.Add([]byte{0x01, 0x00, 0x00, 0xff, 0xff})
	f.Add([]byte{0xff, 0xff})
	const limit = 4096
	f.Fuzz(func(t *testing.T, p []byte) {
		out, err := inflateMessage(bytes.Clone(p), limit)
		if err != nil {
			if err != errInflate && err != errWSTooLarge {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(out) > limit {
			t.Fatalf("%d bytes inflated over the limit", len(out))
		}
		back, err := inflateMessage(deflateMessage(nil, out), limit)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// TestDeflateMessageIsRaw checks deflateMessage against a plain flate
// reader: the payload plus the removed tail is a DEFLATE stream.
func TestDeflateMessageIsRaw(t *testing.T) {
	t.Parallel()
	msg := strings.Repeat("raw deflate ", 100)
	z := deflateMessage(nil, []byte(msg[:5]), []byte(msg[5:]))
	r := flate.NewReader(io.MultiReader(bytes.NewReader(z), bytes.NewReader(deflateTail)))
	got, err := io.ReadAll(r)
	if err != nil || string(got) != msg {
		t.Fatalf("inflated %q, %v", got, err)
	}
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]bool{
		"":                       false,
		"gzip":                   true,
		"GZIP":                   true,
		"deflate, gzip;q=1.0":    true,
		"br, gzip;q=0":           false,
		"gzip; q=0.5":            true,
		"*":                      true,
		"identity":               false,
		"x-gzip":                 true, // RFC 9110: the same coding as gzip
		"deflate, br":            false,
		"gzip;q=0.000, identity": false,
	} {
		if got := AcceptsGzip(header); got != want {
			t.Errorf("AcceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// BenchmarkDeflateBroadcast measures one broadcast of a 4 KB JSON packet
// to 1,000 WebSocket connections that negotiated permessage-deflate: the
// packet is compressed once, and every other recipient shares the frame.
func BenchmarkDeflateBroadcast(b *testing.B) {
	const recipients = 1000
	data := []byte(`42["news",` + strings.Repeat(`{"title":"envivo","body":"a Socket.IO server for Go"},`, 70) + `{}]`)
	b.ReportAllocs()
	for b.Loop() {
		m := NewTextMessage(data)
		for range recipients {
			if f := m.deflatedFrame(DefaultCompressionThreshold); len(f) == 0 {
				b.Fatal("no frame")
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/recipients, "ns/recipient")
}
