package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// openWS opens a WebSocket session and reads its open packet.
func (ts *testServer) openWS(t *testing.T) (*wsClient, *recorder) {
	t.Helper()
	c := ts.dialWS(t, "EIO=4&transport=websocket", nil)
	if _, p := c.read(); !openRE.MatchString(p) {
		t.Fatalf("open packet %q", p)
	}
	return c, ts.session(t)
}

func TestWebSocketEcho(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c, h := ts.openWS(t)
	c.write(ws.OpText, "4hello €")
	c.expectText("4hello €")
	c.write(ws.OpBinary, "\x00\x01\x02")
	if op, p := c.read(); op != ws.OpBinary || p != "\x00\x01\x02" {
		t.Fatalf("binary echo %v %q", op, p)
	}
	c.write(ws.OpText, "bAQID") // base64 binary in a text frame, as Node decodes it
	if op, p := c.read(); op != ws.OpBinary || p != "\x01\x02\x03" {
		t.Fatalf("base64 echo %v %q", op, p)
	}
	want := []received{{"hello €", false}, {"\x00\x01\x02", true}, {"\x01\x02\x03", true}}
	for _, w := range want {
		if got := h.nextMessage(t); got != w {
			t.Fatalf("handler got %+v, want %+v", got, w)
		}
	}
	c.write(ws.OpText, "6") // noop and others are ignored
	c.write(ws.OpText, "1") // Node ignores a close packet on WebSocket
	c.write(ws.OpText, "4after")
	c.expectText("4after")
}

func TestWebSocketFragmented(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c, _ := ts.openWS(t)
	frames := []ws.Frame{
		ws.NewFrame(ws.OpText, false, []byte("4hel")),
		ws.NewPingFrame([]byte("mid")),
		ws.NewFrame(ws.OpContinuation, false, []byte("lo ")),
		ws.NewFrame(ws.OpContinuation, true, []byte("world")),
	}
	for _, f := range frames {
		if err := ws.WriteFrame(c.conn, ws.MaskFrame(f)); err != nil {
			t.Fatal(err)
		}
	}
	op, p, err := c.readFrame()
	if err != nil || op != ws.OpPong || string(p) != "mid" {
		t.Fatalf("pong: %v %q %v", op, p, err)
	}
	c.expectText("4hello world")
}

func TestWebSocketClosesOnBadInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 200)
	tests := []struct {
		name   string
		frame  ws.Frame
		masked bool
		reason string
		code   ws.StatusCode // 0: close frame without status
	}{
		{name: "unparsable", frame: ws.NewTextFrame([]byte("abc")), masked: true, reason: ReasonParseError},
		{name: "empty text", frame: ws.NewTextFrame(nil), masked: true, reason: ReasonParseError},
		{name: "unknown type", frame: ws.NewTextFrame([]byte("9x")), masked: true, reason: ReasonParseError},
		{name: "client ping packet", frame: ws.NewTextFrame([]byte("2")), masked: true, reason: ReasonTransportError},
		{name: "probe after open", frame: ws.NewTextFrame([]byte("2probe")), masked: true, reason: ReasonTransportError},
		{name: "invalid utf8", frame: ws.NewTextFrame([]byte("4\xff\xfe")), masked: true, reason: ReasonTransportError, code: ws.StatusInvalidFramePayloadData},
		{name: "too large", frame: ws.NewTextFrame([]byte("4" + long)), masked: true, reason: ReasonTransportError, code: ws.StatusMessageTooBig},
		{name: "unmasked", frame: ws.NewTextFrame([]byte("4hi")), reason: ReasonTransportError, code: ws.StatusProtocolError},
		{name: "rsv bits", frame: ws.Frame{Header: ws.Header{Fin: true, Rsv: 4, OpCode: ws.OpText, Length: 3}, Payload: []byte("4hi")}, masked: true, reason: ReasonTransportError, code: ws.StatusProtocolError},
		{name: "stray continuation", frame: ws.NewFrame(ws.OpContinuation, true, []byte("x")), masked: true, reason: ReasonTransportError, code: ws.StatusProtocolError},
		{name: "reserved opcode", frame: ws.NewFrame(ws.OpCode(3), true, nil), masked: true, reason: ReasonTransportError, code: ws.StatusProtocolError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, &Options{MaxPayload: 100})
			c, h := ts.openWS(t)
			f := tt.frame
			if tt.masked {
				f = ws.MaskFrame(f)
			}
			if err := ws.WriteFrame(c.conn, f); err != nil {
				t.Fatal(err)
			}
			body, sawClose := c.expectClosed()
			if !sawClose {
				t.Fatal("no close frame")
			}
			if code, _ := ws.ParseCloseFrameData(body); code != tt.code {
				t.Fatalf("close code %d, want %d", code, tt.code)
			}
			if r := h.closeReason(t); r != tt.reason {
				t.Fatalf("close reason %q, want %q", r, tt.reason)
			}
			ts.echoOnce(t)
		})
	}
}

func TestWebSocketClientClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)

	c, h := ts.openWS(t)
	c.write(ws.OpClose, string(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")))
	op, p, err := c.readFrame()
	if err != nil || op != ws.OpClose {
		t.Fatalf("close reply %v %v", op, err)
	}
	if code, _ := ws.ParseCloseFrameData(p); code != ws.StatusNormalClosure {
		t.Fatalf("close reply code %d", code)
	}
	if r := h.closeReason(t); r != ReasonTransportClose {
		t.Fatalf("close reason %q", r)
	}

	c, h = ts.openWS(t)
	c.conn.Close()
	if r := h.closeReason(t); r != ReasonTransportClose {
		t.Fatalf("close reason after TCP close %q", r)
	}
	deadline := time.Now().Add(waitTimeout)
	for ts.eng.Count() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := ts.eng.Count(); n != 0 {
		t.Fatalf("Count = %d", n)
	}
}

func TestWebSocketHeartbeat(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PingInterval: 100 * time.Millisecond, PingTimeout: time.Second})
	c, h := ts.openWS(t)
	for range 3 {
		c.expectText("2")
		c.write(ws.OpText, "3")
	}
	c.expectText("2") // not answered
	if r := h.closeReason(t); r != ReasonPingTimeout {
		t.Fatalf("close reason %q", r)
	}
	if _, sawClose := c.expectClosed(); !sawClose {
		t.Fatal("no close frame on ping timeout")
	}
}

// TestHeartbeatManySessions runs the heartbeats of sessions that share the
// server's alarm queues: those that answer stay open, one that leaves from
// the middle of a queue goes, and those that do not answer time out.
func TestHeartbeatManySessions(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PingInterval: 100 * time.Millisecond, PingTimeout: 300 * time.Millisecond})
	const n = 9 // i%3: 0 answers, 1 is silent, 2 leaves after its first ping
	clients := make([]*wsClient, n)
	recs := make([]*recorder, n)
	for i := range n {
		clients[i], recs[i] = ts.openWS(t)
	}
	for round := range 3 {
		for i, c := range clients {
			switch {
			case i%3 == 0:
				c.expectText("2")
				c.write(ws.OpText, "3")
			case i%3 == 2 && round == 0:
				c.expectText("2")
				c.conn.Close()
			}
		}
	}
	for i, want := range []string{ReasonPingTimeout, ReasonTransportClose} {
		for j := i + 1; j < n; j += 3 {
			if r := recs[j].closeReason(t); r != want {
				t.Errorf("session %d closed with %q, want %q", j, r, want)
			}
		}
	}
	for i := 0; i < n; i += 3 { // still answered after the others left
		clients[i].expectText("2")
		clients[i].write(ws.OpText, "3")
	}
}

func TestWebSocketServerClose(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c, h := ts.openWS(t)
	for _, s := range []string{"a", "b", "c"} {
		if err := h.c.Send(NewTextMessage([]byte(s))); err != nil {
			t.Fatal(err)
		}
	}
	h.c.Close("kicked")
	for _, s := range []string{"4a", "4b", "4c"} {
		c.expectText(s)
	}
	if body, sawClose := c.expectClosed(); !sawClose || len(body) != 0 {
		t.Fatalf("close frame %v %q", sawClose, body)
	}
	if r := h.closeReason(t); r != "kicked" {
		t.Fatalf("close reason %q", r)
	}
}

func TestWebSocketNoCompression(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The request and a first frame in one write: the frame sits in the
	// server's HTTP read buffer when the handshake completes.
	var buf bytes.Buffer
	buf.WriteString("GET /?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n")
	_ = ws.WriteFrame(&buf, ws.MaskFrame(ws.NewTextFrame([]byte("4early"))))
	if _, err := conn.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 101 || res.Header.Get("Sec-WebSocket-Extensions") != "" {
		t.Fatalf("handshake %d, extensions %q", res.StatusCode, res.Header.Get("Sec-WebSocket-Extensions"))
	}
	c := &wsClient{t: t, conn: conn, r: br}
	c.read() // open
	c.expectText("4early")
}

// TestWebSocketAnswerWithOpenPacket: the handshake's answer and the open
// packet go out in one write, so the client's first read has both; a
// handshake that fails still gets its error answer.
func TestWebSocketAnswerWithOpenPacket(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	request := func(version string) (net.Conn, string) {
		conn, err := net.Dial("tcp", ts.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		_, err = conn.Write([]byte("GET /?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
			"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: " + version + "\r\n\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(waitTimeout))
		b := make([]byte, 4096)
		n, err := conn.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		return conn, string(b[:n])
	}

	_, first := request("13")
	head, frame, ok := strings.Cut(first, "\r\n\r\n")
	if !ok || !strings.HasPrefix(head, "HTTP/1.1 101 ") || !strings.HasPrefix(frame, "\x81") || !strings.Contains(frame, `0{"sid":`) {
		t.Fatalf("first read: %q", first)
	}

	conn, answer := request("12")
	if !strings.HasPrefix(answer, "HTTP/1.1 426 ") {
		t.Fatalf("a bad version got %q", answer)
	}
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the connection of a failed handshake stays open")
	}
}

func TestWebSocketPingFrame(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c, _ := ts.openWS(t)
	c.write(ws.OpPing, "are you there")
	op, p, err := c.readFrame()
	if err != nil || op != ws.OpPong || string(p) != "are you there" {
		t.Fatalf("pong %v %q %v", op, p, err)
	}
	c.write(ws.OpPong, "unsolicited") // ignored
	c.write(ws.OpText, "4x")
	c.expectText("4x")
}

// upgrade runs the upgrade of polling session sid to a new WebSocket.
func (ts *testServer) upgrade(t *testing.T, sid string) *wsClient {
	t.Helper()
	c := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	c.write(ws.OpText, "2probe")
	c.expectText("3probe")
	c.write(ws.OpText, "5")
	waitTransport(t, ts, sid, "websocket")
	return c
}

func TestUpgrade(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	pending := ts.doAsync(t, "GET", pollQuery(sid), "")
	waitPolling(t, ts, sid)

	c := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	c.write(ws.OpText, "2probe")
	c.expectText("3probe")
	if res := wait(t, pending); res.status != 200 || res.body != "6" {
		t.Fatalf("pending GET during upgrade: %d %q", res.status, res.body)
	}
	// Sent while the client has paused polling: waits for the upgrade.
	if err := h.c.Send(NewTextMessage([]byte("queued"))); err != nil {
		t.Fatal(err)
	}
	if h.c.Transport() != "polling" {
		t.Fatal("upgraded before 5")
	}
	c.write(ws.OpText, "5")
	c.expectText("4queued")
	if h.c.Transport() != "websocket" {
		t.Fatalf("transport %q", h.c.Transport())
	}
	for _, m := range []string{"GET", "POST"} {
		if res := ts.do(t, m, pollQuery(sid), "4x"); res.status != 400 || res.body != `{"code":3,"message":"Bad request"}` {
			t.Fatalf("%s after upgrade: %d %q", m, res.status, res.body)
		}
	}
	c.write(ws.OpText, "4over ws")
	c.expectText("4over ws")
	if m := h.nextMessage(t); m.data != "over ws" {
		t.Fatalf("handler got %q", m.data)
	}

	second := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	if _, sawClose := second.expectClosed(); !sawClose {
		t.Fatal("second WebSocket with the same sid not closed")
	}
	c.write(ws.OpText, "4still")
	c.expectText("4still")
	select {
	case r := <-h.closed:
		t.Fatalf("session closed: %s", r)
	default:
	}
}

// TestUpgradedSendAfterProbeDeadline sends on an upgraded session once
// the one-second write deadline of its "3probe" has passed: a send that
// writes at once moves the deadline first, as the flusher does.
func TestUpgradedSendAfterProbeDeadline(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	c := ts.upgrade(t, sid)
	time.Sleep(1200 * time.Millisecond)
	if err := h.c.Send(NewTextMessage([]byte("late"))); err != nil {
		t.Fatal(err)
	}
	c.expectText("4late")
}

// TestUpgradedSendBatched batches on an upgraded session right after a
// direct send, so that the batch waits for its timer: the WebSocket of an
// upgrade has its batch timer entry set up as a direct one has.
func TestUpgradedSendBatched(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	c := ts.upgrade(t, sid)
	text := func(s string) *Message { return NewTextMessage([]byte(s)) }
	if err := h.c.Send(text("direct")); err != nil {
		t.Fatal(err)
	}
	c.expectText("4direct")
	for _, m := range []string{"b1", "b2"} {
		if err := h.c.SendBatched(text(m)); err != nil {
			t.Fatal(err)
		}
	}
	c.expectText("4b1")
	c.expectText("4b2")
}

func TestUpgradeSecondWhileUpgrading(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, _ := ts.handshake(t)
	first := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	first.write(ws.OpText, "2probe")
	first.expectText("3probe")
	second := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	if _, sawClose := second.expectClosed(); !sawClose {
		t.Fatal("second WebSocket not closed")
	}
	first.write(ws.OpText, "5")
	waitTransport(t, ts, sid, "websocket")
	first.write(ws.OpText, "4ok")
	first.expectText("4ok")
}

func TestUpgradeOfWebSocketSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c, h := ts.openWS(t)
	other := ts.dialWS(t, "EIO=4&transport=websocket&sid="+h.c.ID(), nil)
	if _, sawClose := other.expectClosed(); !sawClose {
		t.Fatal("WebSocket for a WebSocket session not closed")
	}
	c.write(ws.OpText, "4ok")
	c.expectText("4ok")
}

func TestUpgradeTimeout(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{UpgradeTimeout: 150 * time.Millisecond})
	sid, h := ts.handshake(t)
	c := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	c.write(ws.OpText, "2probe")
	c.expectText("3probe")
	start := time.Now()
	c.expectClosed()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("closed after %v", d)
	}
	if h.c.Transport() != "polling" {
		t.Fatalf("transport %q", h.c.Transport())
	}
	if res := ts.do(t, "POST", pollQuery(sid), "4still polling"); res.status != 200 {
		t.Fatalf("POST after abandoned upgrade: %d %q", res.status, res.body)
	}
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.body != "4still polling" {
		t.Fatalf("GET after abandoned upgrade: %d %q", res.status, res.body)
	}
	// A second attempt may follow.
	ts.upgrade(t, sid).write(ws.OpText, "4x")
}

func TestUpgradeAbandonedOnBadPacket(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"4message", "2", "abc", "\x00binary"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, nil)
			sid, h := ts.handshake(t)
			c := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
			op := ws.OpText
			if bad[0] == 0 {
				op = ws.OpBinary
			}
			c.write(op, bad)
			c.expectClosed()
			if res := ts.do(t, "POST", pollQuery(sid), "4ok"); res.status != 200 {
				t.Fatalf("POST: %d %q", res.status, res.body)
			}
			if m := h.nextMessage(t); m.data != "ok" {
				t.Fatalf("handler got %q", m.data)
			}
		})
	}
}

func TestUpgradeEndsWithSession(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	sid, h := ts.handshake(t)
	c := ts.dialWS(t, "EIO=4&transport=websocket&sid="+sid, nil)
	c.write(ws.OpText, "2probe")
	c.expectText("3probe")
	h.c.Close("")
	c.expectClosed()
	if res := ts.do(t, "GET", pollQuery(sid), ""); res.body != "1" {
		t.Fatalf("GET = %d %q", res.status, res.body)
	}
}

func TestWebSocketLargeMessage(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{MaxPayload: 1 << 20})
	c, h := ts.openWS(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 40000) // 640 KB
	if err := wsutil.WriteClientMessage(c.conn, ws.OpBinary, big); err != nil {
		t.Fatal(err)
	}
	if m := h.nextMessage(t); !m.binary || m.data != string(big) {
		t.Fatalf("got %d bytes", len(m.data))
	}
	if op, p := c.read(); op != ws.OpBinary || p != string(big) {
		t.Fatalf("echo of %d bytes: %d bytes", len(big), len(p))
	}
}

// TestBatchQueueManySessions has several sessions' batches due at
// different times in the server's one batch queue: each session gets its
// batched messages in order, after the direct send that opened its
// interval; a batch still waiting when the server shuts down is written
// before the close frame.
func TestBatchQueueManySessions(t *testing.T) {
	t.Parallel()
	eng, conns := newRecordingServer(&Options{BatchInterval: 30 * time.Millisecond})
	ts := newTestServerWith(t, eng)
	ts.conns = conns
	const n = 6
	clients := make([]*wsClient, n)
	recs := make([]*recorder, n)
	for i := range n {
		clients[i], recs[i] = ts.openWS(t)
	}
	text := func(s string) *Message { return NewTextMessage([]byte(s)) }
	for i := range n {
		_ = recs[i].c.Send(text(fmt.Sprint("direct", i)))
		_ = recs[i].c.SendBatched(text(fmt.Sprint("b", i, "-1")))
		_ = recs[i].c.SendBatched(text(fmt.Sprint("b", i, "-2")))
		time.Sleep(3 * time.Millisecond) // spread the due times
	}
	for i, c := range clients {
		c.expectText(fmt.Sprint("4direct", i))
		c.expectText(fmt.Sprint("4b", i, "-1"))
		c.expectText(fmt.Sprint("4b", i, "-2"))
	}

	_ = recs[0].c.Send(text("again"))
	_ = recs[0].c.SendBatched(text("pending"))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- eng.Shutdown(ctx) }()
	clients[0].expectText("4again")
	clients[0].expectText("4pending")
	for _, c := range clients {
		if _, sawClose := c.expectClosed(); !sawClose {
			t.Error("no close frame on shutdown")
		}
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// TestWebSocketReadSplits sends the same messages in one write, in two
// writes split inside a frame, and a byte at a time: the read loop hands
// whole messages over from the poller and reads the rest of a message that
// came in part, and every message is echoed whole and in order.
func TestWebSocketReadSplits(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	var b bytes.Buffer
	_ = wsutil.WriteClientText(&b, []byte("4a"))
	_ = wsutil.WriteClientText(&b, []byte("4"+strings.Repeat("s", 300)))
	_ = wsutil.WriteClientBinary(&b, bytes.Repeat([]byte{9}, 700)) // more than a read buffer
	_ = ws.WriteFrame(&b, ws.MaskFrame(ws.NewFrame(ws.OpText, false, []byte("4fr"))))
	_ = ws.WriteFrame(&b, ws.MaskFrame(ws.NewFrame(ws.OpContinuation, true, []byte("ag"))))
	all := b.Bytes()
	for _, split := range []struct {
		name string
		cuts []int // where the writes end
	}{
		{"one write", nil},
		{"split in a header", []int{9}},
		{"split in a payload", []int{20}},
		{"a byte at a time", func() (cuts []int) {
			for i := 1; i < len(all); i++ {
				cuts = append(cuts, i)
			}
			return cuts
		}()},
	} {
		c, _ := ts.openWS(t)
		from := 0
		for _, cut := range append(split.cuts, len(all)) {
			if _, err := c.conn.Write(all[from:cut]); err != nil {
				t.Fatal(err)
			}
			from = cut
			if len(split.cuts) < 10 {
				time.Sleep(10 * time.Millisecond) // let the server read each part alone
			}
		}
		c.expectText("4a")
		c.expectText("4" + strings.Repeat("s", 300))
		if op, p := c.read(); op != ws.OpBinary || p != string(bytes.Repeat([]byte{9}, 700)) {
			t.Fatalf("%s: binary echo %v of %d bytes", split.name, op, len(p))
		}
		c.expectText("4frag")
		c.conn.Close()
	}
}

// TestWebSocketSendPartialWrite sends messages bigger than the socket
// buffers take to a client that is not reading: Send returns at once, a
// write that took part of a frame is finished by a flusher, and every
// message arrives whole and in order once the client reads.
func TestWebSocketSendPartialWrite(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c, h := ts.openWS(t)
	if err := c.conn.(*net.TCPConn).SetReadBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
	sent := make(chan error, 1)
	go func() {
		for i := range 3 {
			body := strconv.Itoa(i) + strings.Repeat("x", 3<<20)
			if err := h.c.Send(NewTextMessage([]byte(body))); err != nil {
				sent <- err
				return
			}
		}
		sent <- h.c.Send(NewTextMessage([]byte("end")))
	}()
	if err := wait(t, sent); err != nil {
		t.Fatalf("Send: %v", err)
	}
	for i := range 3 {
		if _, p := c.read(); p != "4"+strconv.Itoa(i)+strings.Repeat("x", 3<<20) {
			t.Fatalf("message %d: %d bytes starting %.10q", i, len(p), p)
		}
	}
	c.expectText("4end")
}

// TestWebSocketBatchPartialWrite: the batch timer writes several frames
// in one vectored write to a client that is not reading, more than the
// socket buffers take; a flusher finishes the rest, from inside a frame
// and across the frames after it, and every message arrives whole and in
// order.
func TestWebSocketBatchPartialWrite(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{BatchInterval: 20 * time.Millisecond})
	c, h := ts.openWS(t)
	if err := c.conn.(*net.TCPConn).SetReadBuffer(32 << 10); err != nil {
		t.Fatal(err)
	}
	const n, size = 8, 1 << 20
	body := func(i int) string { return strconv.Itoa(i) + strings.Repeat("y", size) }
	for i := range n {
		if err := h.c.SendBatched(NewTextMessage([]byte(body(i)))); err != nil {
			t.Fatalf("SendBatched: %v", err)
		}
	}
	for i := range n {
		if _, p := c.read(); p != "4"+body(i) {
			t.Fatalf("message %d: %d bytes starting %.10q", i, len(p), p)
		}
	}
	_ = h.c.Send(NewTextMessage([]byte("end")))
	c.expectText("4end")
}

// TestWebSocketConcurrentSends sends from several goroutines at once,
// small messages and some bigger than the socket buffers, to a client that
// reads only once all were sent: no Send blocks, and each sender's
// messages arrive whole and in its order, whether its Send wrote through
// or queued behind a flusher or behind a partly written frame.
func TestWebSocketConcurrentSends(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{WriteQueueSize: 10000})
	c, h := ts.openWS(t)
	const senders, each = 4, 100
	var wg sync.WaitGroup
	for g := range senders {
		wg.Go(func() {
			for i := range each {
				body := fmt.Sprintf("%d-%d-", g, i)
				if i%25 == 7 {
					body += strings.Repeat("x", 3<<20) // more than loopback buffers take at once
				}
				if err := h.c.Send(NewTextMessage([]byte(body))); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	next := make([]int, senders)
	for range senders * each {
		_, p := c.read()
		var g, i int
		if _, err := fmt.Sscanf(p, "4%d-%d-", &g, &i); err != nil || g >= senders || i != next[g] {
			t.Fatalf("got %.20q, want sender %d's message %d", p, g, next[min(g, senders-1)])
		}
		want := len(fmt.Sprintf("4%d-%d-", g, i))
		if i%25 == 7 {
			want += 3 << 20
		}
		if len(p) != want {
			t.Fatalf("message %d-%d: %d bytes, want %d", g, i, len(p), want)
		}
		next[g]++
	}
}

func TestWebSocketAnnouncedButNotSent(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{MaxPayload: 1 << 30})
	c, h := ts.openWS(t)
	// A header announcing 1 GiB, then nothing: the server must not
	// allocate it, and ends when the client goes.
	hdr := []byte{0x82, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}
	binary.BigEndian.PutUint64(hdr[2:10], 1<<30)
	if _, err := c.conn.Write(hdr); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	c.conn.Close()
	if r := h.closeReason(t); r != ReasonTransportClose {
		t.Fatalf("close reason %q", r)
	}
}

func TestWebSocketFragmentLengthOverflow(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{MaxPayload: 100})
	c, h := ts.openWS(t)
	if err := ws.WriteFrame(c.conn, ws.MaskFrame(ws.NewFrame(ws.OpText, false, []byte("4ab")))); err != nil {
		t.Fatal(err)
	}
	// A continuation announcing 2^63-1 bytes: len+length overflows int64.
	hdr := []byte{0x80, 0x80 | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}
	if _, err := c.conn.Write(hdr); err != nil {
		t.Fatal(err)
	}
	body, sawClose := c.expectClosed()
	if code, _ := ws.ParseCloseFrameData(body); !sawClose || code != ws.StatusMessageTooBig {
		t.Fatalf("close %v code %d", sawClose, code)
	}
	if r := h.closeReason(t); r != ReasonTransportError {
		t.Fatalf("close reason %q", r)
	}
}

// BenchmarkIdleWebSocketMemory reports what an idle WebSocket session costs
// the server: heap and goroutine stacks per connection (the client ends of
// the loopback sockets, plain net.Conns, are included).
func BenchmarkIdleWebSocketMemory(b *testing.B) {
	const n = 2000
	eng := NewServer(nil, nil)
	srv := httptest.NewServer(eng)
	defer srv.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = eng.Shutdown(ctx)
	}()
	req := "GET /?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n" +
		"Origin: http://localhost:3000\r\nAccept-Language: en-US,en;q=0.9\r\n\r\n"
	measure := func() uint64 {
		for range 3 {
			runtime.GC()
			time.Sleep(20 * time.Millisecond)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapInuse + ms.StackInuse
	}
	for b.Loop() {
		before := measure()
		g0 := runtime.NumGoroutine()
		conns := make([]net.Conn, 0, n)
		buf := make([]byte, 4096)
		for range n {
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			if _, err := io.WriteString(c, req); err != nil {
				b.Fatal(err)
			}
			// The 101 response and the open packet.
			got := 0
			for !bytes.Contains(buf[:got], []byte(`"maxPayload":1000000}`)) {
				m, err := c.Read(buf[got:])
				if err != nil {
					b.Fatal(err)
				}
				got += m
			}
		}
		after := measure()
		b.ReportMetric(float64(after-before)/n, "B/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/n, "goroutines/conn")
		for _, c := range conns {
			c.Close()
		}
	}
}

// TestWebSocketOverTLS reads through a connection without a file
// descriptor of its own (TLS), whose reads hold a buffer while waiting:
// small, medium and large messages, and several in one TLS record.
func TestWebSocketOverTLS(t *testing.T) {
	t.Parallel()
	eng, _ := newRecordingServer(nil)
	srv := httptest.NewTLSServer(eng)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_ = eng.Shutdown(ctx)
		srv.Close()
	})
	d := ws.Dialer{Timeout: waitTimeout, TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig}
	conn, br, _, err := d.Dial(context.Background(), "wss"+strings.TrimPrefix(srv.URL, "https")+"/?EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &wsClient{t: t, conn: conn, r: conn}
	if br != nil {
		c.r = br
	}
	echoSizes(c)
}

// echoSizes checks, on a client just connected to a recording server,
// that small, medium and large messages are echoed, and two frames that
// come in one write, and a frame that comes in two.
func echoSizes(c *wsClient) {
	t, conn := c.t, c.conn
	t.Helper()
	if _, p := c.read(); !openRE.MatchString(p) {
		t.Fatalf("open packet %q", p)
	}
	for _, n := range []int{5, 2000, 200_000} {
		msg := "4" + strings.Repeat("x", n)
		c.write(ws.OpText, msg)
		c.expectText(msg)
	}
	var two bytes.Buffer // two frames in one write
	_ = wsutil.WriteClientText(&two, []byte("4one"))
	_ = wsutil.WriteClientText(&two, []byte("4two"))
	if _, err := conn.Write(two.Bytes()); err != nil {
		t.Fatal(err)
	}
	c.expectText("4one")
	c.expectText("4two")
	var split bytes.Buffer // one frame in two writes
	_ = wsutil.WriteClientText(&split, []byte("4split"))
	for _, part := range [][]byte{split.Bytes()[:4], split.Bytes()[4:]} {
		if _, err := conn.Write(part); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // for the server to read the first part alone
	}
	c.expectText("4split")
}

// quietFor checks that no byte arrives within d.
func (c *wsClient) quietFor(d time.Duration) {
	c.t.Helper()
	if br, ok := c.r.(*bufio.Reader); ok && br.Buffered() > 0 {
		c.t.Fatalf("%d bytes arrived", br.Buffered())
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	var b [1]byte
	if n, err := c.conn.Read(b[:]); n > 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatalf("read within %v: %d bytes, %v", d, n, err)
	}
}

// TestWebSocketSendBatched: batched messages wait for the batch interval
// after the last write (the open packet is one), unless Send writes first
// and takes them along; after a quiet period one goes out at once.
func TestWebSocketSendBatched(t *testing.T) {
	t.Parallel()
	text := func(s string) *Message { return NewTextMessage([]byte(s)) }
	waiting := func(c *Conn) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.tr.(*wsConn).batchDue
	}

	// The flusher that wrote the open packet would take a batched
	// message along: wait until it is gone.
	flusherGone := func(c *Conn) {
		deadline := time.Now().Add(waitTimeout)
		for {
			c.mu.Lock()
			flushing := c.tr.(*wsConn).flushing
			c.mu.Unlock()
			if !flushing {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("the flusher never ended")
			}
			time.Sleep(time.Millisecond)
		}
	}

	ts := newTestServer(t, &Options{BatchInterval: time.Hour})
	c, h := ts.openWS(t)
	flusherGone(h.c)
	_ = h.c.SendBatched(text("b"))
	_ = h.c.SendBatched(text("c"))
	c.quietFor(100 * time.Millisecond)
	_ = h.c.Send(text("x"))
	for _, want := range []string{"4b", "4c", "4x"} {
		c.expectText(want)
	}

	ts = newTestServer(t, &Options{BatchInterval: 50 * time.Millisecond})
	c, h = ts.openWS(t)
	_ = h.c.SendBatched(text("a")) // the batch timer writes it
	_ = h.c.SendBatched(text("b"))
	c.expectText("4a")
	c.expectText("4b")
	time.Sleep(100 * time.Millisecond)
	_ = h.c.SendBatched(text("q"))
	if waiting(h.c) {
		t.Fatal("a batched message after a quiet period waits")
	}
	c.expectText("4q")
}

// TestSendBatchedDueWritesThrough: a batched message that is due at once
// (a quiet connection) is written by the sender, as a direct send is,
// rather than by a flusher started for it: a broadcast to many quiet
// connections starts no goroutine per connection.
func TestSendBatchedDueWritesThrough(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{BatchInterval: 10 * time.Millisecond})
	c, h := ts.openWS(t)
	if h.c.tr.(*wsConn).in.raw == nil {
		t.Skip("no descriptor (the portable path): every write goes through a flusher")
	}
	deadline := time.Now().Add(waitTimeout)
	for i := 0; ; i++ {
		time.Sleep(20 * time.Millisecond) // quiet for longer than BatchInterval
		_ = h.c.SendBatched(NewTextMessage([]byte("q")))
		h.c.mu.Lock()
		w := h.c.tr.(*wsConn)
		written := !w.flushing && !w.batchDue && len(h.c.queue) == 0
		h.c.mu.Unlock()
		c.expectText("4q")
		if written {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d quiet batched sends, none was written by its sender", i+1)
		}
	}
}

// TestSendAfterFlushNotStranded sends one message at a time, each once the
// client has the one before, so that a send often comes while the
// flusher that wrote the previous one is about to stop. A flusher used to
// find the queue empty, let go of the session's lock, and only then say it
// had stopped: a message queued in between waited for a flusher that
// never came (on the portable path every send goes through a flusher).
func TestSendAfterFlushNotStranded(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, &Options{PingInterval: time.Hour})
	c, h := ts.openWS(t)
	for i := range 2000 {
		want := strconv.Itoa(i)
		if err := h.c.Send(NewTextMessage([]byte(want))); err != nil {
			t.Fatal(err)
		}
		c.expectText("4" + want)
	}
}

// TestWebSocketBurstFillingTheBuffer: messages that arrive together, the
// first of them filling the read buffer exactly with whole frames, are
// all handled. On the edge-triggered path no new readiness comes for the
// rest, so the reader must see that its read was not short and read on.
func TestWebSocketBurstFillingTheBuffer(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	c, _ := ts.openWS(t)
	const frameSize = 64 // a masked client frame: 2 header bytes, 4 of mask, payload
	var burst bytes.Buffer
	var want []string
	for i := range wsReadBufferSize/frameSize + 3 {
		p := fmt.Sprintf("4%0*d", frameSize-6-1, i)
		want = append(want, p)
		_ = ws.WriteFrame(&burst, ws.MaskFrame(ws.NewTextFrame([]byte(p))))
	}
	if burst.Len() != len(want)*frameSize {
		t.Fatalf("frames of %d bytes, want %d", burst.Len()/len(want), frameSize)
	}
	if _, err := c.conn.Write(burst.Bytes()); err != nil {
		t.Fatal(err)
	}
	for _, p := range want {
		c.expectText(p)
	}
}
