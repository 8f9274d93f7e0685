package socket

// Tests of MsgpackParser: the wire bytes with a raw long-polling client,
// bad input, and the official socket.io-client with the npm
// socket.io-msgpack-parser over every transport.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/envivo/socketio/internal/msgpack"
	"github.com/envivo/socketio/internal/nodepeer"
)

// mp encodes a JSON value, in which placeholders stand for atts, as
// MessagePack and returns it as a polling binary message ("b" + base64).
func mp(t testing.TB, js string, atts ...[]byte) string {
	t.Helper()
	b, err := msgpack.AppendJSON(nil, []byte(js), atts)
	if err != nil {
		t.Fatalf("test packet %s: %v", js, err)
	}
	return "b" + base64.StdEncoding.EncodeToString(b)
}

// unmp decodes a polling binary message from the server into JSON, binary
// data as placeholders, and the binary data.
func unmp(t testing.TB, msg string) (string, [][]byte) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(msg[min(1, len(msg)):])
	if err != nil || len(msg) == 0 || msg[0] != 'b' {
		t.Fatalf("server sent %q, want a binary message", msg)
	}
	js, atts, err := msgpack.ToJSON(nil, raw, msgpack.Placeholders)
	if err != nil {
		t.Fatalf("server sent %x: %v", raw, err)
	}
	return string(js), atts
}

func msgpackEchoServer(t *testing.T) (*Server, string) {
	srv := NewServer(&Options{Parser: MsgpackParser})
	srv.OnConnection(func(s *Socket) {
		s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) {
			if ack != nil {
				_ = ack(args.Values()...)
			} else {
				_ = s.Emit("echo", args.Values()...)
			}
		})
	})
	return srv, serve(t, srv)
}

var msgpackConnectRE = regexp.MustCompile(`^\{"type":0,"data":\{"sid":"[A-Za-z0-9_-]{20}"\},"nsp":"/"\}$`)

// TestMsgpackWire checks the packets the server writes, byte for byte
// once decoded, as socket.io-msgpack-parser's Encoder writes them in Node.
func TestMsgpackWire(t *testing.T) {
	t.Parallel()
	_, url := msgpackEchoServer(t)
	c := dialRaw(t, url)
	c.post(mp(t, `{"type":0,"nsp":"/"}`))
	_, packets := c.get()
	if js, _ := unmp(t, packets[0]); len(packets) != 1 || !msgpackConnectRE.MatchString(js) {
		t.Fatalf("CONNECT reply: %q (%s)", packets, js)
	}
	bin := []byte{1, 0, 255}
	c.post(mp(t, `{"type":2,"data":["echo",1.5,{"b":{"_placeholder":true,"num":0}}],"options":{"compress":true},"id":4,"nsp":"/"}`, bin))
	_, packets = c.get()
	js, atts := unmp(t, packets[0])
	want := `{"type":3,"data":[1.5,{"b":{"_placeholder":true,"num":0}}],"id":4,"nsp":"/"}`
	if js != want || len(atts) != 1 || !bytes.Equal(atts[0], bin) {
		t.Fatalf("ack = %s %x, want %s %x", js, atts, want, bin)
	}
	c.post(mp(t, `{"type":2,"data":["echo","plain"],"nsp":"/"}`))
	if _, packets = c.get(); len(packets) != 1 {
		t.Fatalf("echo: %q", packets)
	}
	if js, _ := unmp(t, packets[0]); js != `{"type":2,"data":["echo","plain"],"nsp":"/"}` {
		t.Fatalf("echo = %s", js)
	}
	c.post(mp(t, `{"type":0,"nsp":"/nowhere"}`))
	if _, packets = c.get(); len(packets) != 1 {
		t.Fatalf("refusal: %q", packets)
	}
	if js, _ := unmp(t, packets[0]); js != `{"type":4,"data":{"message":"Invalid namespace"},"nsp":"/nowhere"}` {
		t.Fatalf("refusal = %s", js)
	}
}

// TestMsgpackViolations sends each malformed message to a msgpack server:
// the connection closes, and the server goes on serving others.
func TestMsgpackViolations(t *testing.T) {
	t.Parallel()
	_, url := msgpackEchoServer(t)
	connect := mp(t, `{"type":0,"nsp":"/"}`)
	b64 := func(b ...byte) string { return "b" + base64.StdEncoding.EncodeToString(b) }
	var many strings.Builder // 11 binary values, one over MaxAttachments
	many.WriteString(`{"type":2,"data":["echo"`)
	for i := range 11 {
		fmt.Fprintf(&many, `,{"_placeholder":true,"num":%d}`, i)
	}
	many.WriteString(`],"nsp":"/"}`)
	cases := map[string][]string{
		"JSON text packet":      {`40`},
		"11 binary values":      {connect, mp(t, many.String(), make([][]byte, 11)...)},
		"text after connect":    {connect, `42["echo"]`},
		"not msgpack":           {connect, b64(0xc1)},
		"empty message":         {connect, b64()},
		"truncated map":         {connect, b64(0x83, 0xa4, 't', 'y', 'p', 'e')},
		"huge map length":       {connect, b64(0xdf, 0xff, 0xff, 0xff, 0xff)},
		"huge bin length":       {connect, b64(0x81, 0xa4, 'd', 'a', 't', 'a', 0xc6, 0x7f, 0xff, 0xff, 0xff)},
		"not a map":             {connect, mp(t, `[2,["echo"],"/"]`)},
		"unknown type":          {connect, mp(t, `{"type":9,"data":["echo"],"nsp":"/"}`)},
		"binary type":           {connect, mp(t, `{"type":5,"data":["echo"],"nsp":"/"}`)},
		"no namespace":          {connect, mp(t, `{"type":2,"data":["echo"]}`)},
		"event not an array":    {connect, mp(t, `{"type":2,"data":{"a":1},"nsp":"/"}`)},
		"reserved event name":   {connect, mp(t, `{"type":2,"data":["disconnect"],"nsp":"/"}`)},
		"ack id a string":       {connect, mp(t, `{"type":2,"data":["echo"],"id":"1","nsp":"/"}`)},
		"namespace not joined":  {connect, mp(t, `{"type":2,"data":["echo"],"nsp":"/admin"}`)},
		"CONNECT_ERROR":         {connect, mp(t, `{"type":4,"data":{"message":"x"},"nsp":"/"}`)},
		"trailing bytes":        {connect, b64(0x82, 0xa4, 't', 'y', 'p', 'e', 0x01, 0xa3, 'n', 's', 'p', 0xa1, '/', 0xc0)},
		"deeply nested payload": {connect, b64(append([]byte{0x82, 0xa3, 'n', 's', 'p', 0xa1, '/', 0xa4, 'd', 'a', 't', 'a'}, bytes.Repeat([]byte{0x91}, 6000)...)...)},
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
			fresh.post(connect)
			fresh.get()
			fresh.post(mp(t, `{"type":2,"data":["echo","still here"],"nsp":"/"}`))
			if status, got := fresh.get(); len(got) != 1 || status != 200 {
				t.Fatalf("server no longer serves others: %d %q", status, got)
			} else if js, _ := unmp(t, got[0]); js != `{"type":2,"data":["echo","still here"],"nsp":"/"}` {
				t.Fatalf("server no longer serves others: %s", js)
			}
		})
	}
}

// msgpackInteropServer serves "/" (echo, a room broadcast, and a binary
// question with an ack on "ask") and "/admin", whose middleware refuses a
// client without the right token, with data.
func msgpackInteropServer(t *testing.T, answers chan<- Args) string {
	srv := NewServer(&Options{Parser: MsgpackParser})
	srv.OnConnection(func(s *Socket) {
		s.Join("room")
		s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) {
			if ack != nil {
				_ = ack(args.Values()...)
			} else {
				_ = s.Emit("echo", args.Values()...)
			}
		})
		s.OnEvent("shout", func(s *Socket, args Args, _ AckFunc) {
			_ = srv.To("room").Emit("shouted", args.Value(0), []byte("to all"))
		})
		s.OnEvent("ask", func(s *Socket, _ Args, _ AckFunc) {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), waitFor)
				defer cancel()
				a, err := s.EmitWithAck(ctx, "question", "6x7", []byte{9, 9})
				if err != nil {
					t.Errorf("EmitWithAck: %v", err)
				}
				answers <- a
			}()
		})
	})
	admin := srv.Of("/admin")
	admin.Use(func(ctx context.Context, s *Socket) error {
		var a struct{ Token string }
		if err := s.Handshake().DecodeAuth(&a); err != nil || a.Token != "secret" {
			return &ConnectError{Message: "not an admin", Data: map[string]any{"code": "E_ADMIN", "bin": false}}
		}
		return nil
	})
	admin.OnConnection(func(s *Socket) { _ = s.Emit("hello", s.Namespace().Name(), s.Handshake().Auth) })
	return serve(t, srv)
}

// TestMsgpackInterop: socket.io-client with parser socket.io-msgpack-parser,
// over each transport: events and acks both ways, binary data, a room
// broadcast, a second namespace on the same connection, and connect
// errors from middleware and for an unknown namespace.
func TestMsgpackInterop(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			answers := make(chan Args, 1)
			url := msgpackInteropServer(t, answers)
			d := peer.Client(t)
			opts := map[string]any{"parser": "msgpack", "transports": tr.opts["transports"]}
			d.Connect("c", url, opts)
			if e := d.Wait(match{"ev": "connect", "client": "c"}, waitFor); tr.name != "upgrade" && e.String("transport") != tr.settled {
				t.Fatalf("connected over %q", e.String("transport"))
			}
			if tr.name == "upgrade" {
				d.Wait(match{"ev": "upgrade", "transport": "websocket"}, waitFor)
			}
			checkMsgpackEvents(t, d, answers)
			checkMsgpackNamespaces(t, d, url, opts)
		})
	}
}

func checkMsgpackEvents(t *testing.T, d *nodepeer.Driver, answers <-chan Args) {
	t.Helper()
	bin := []byte{1, 0, 255}
	d.EmitWithAck("c", "r1", "echo", 0, 7, "é\u2028", nodepeer.Bin(bin), map[string]any{"nested": nodepeer.Bin(bin), "f": 1.5})
	args := d.Wait(match{"ev": "ack", "ref": "r1"}, waitFor).Args()
	if len(args) != 4 || args[0] != float64(7) || args[1] != "é\u2028" {
		t.Fatalf("echo ack: %v", args)
	}
	nested, _ := args[3].(map[string]any)
	if b, ok := nodepeer.DecodeBin(args[2]); !ok || !bytes.Equal(b, bin) || nested["f"] != 1.5 {
		t.Fatalf("echo ack: %v", args)
	}
	if b, ok := nodepeer.DecodeBin(nested["nested"]); !ok || !bytes.Equal(b, bin) {
		t.Fatalf("nested binary came back as %v", nested["nested"])
	}
	d.Emit("c", "echo", "no ack", nodepeer.Bin(nil))
	if e := d.Wait(match{"ev": "event", "name": "echo"}, waitFor); e.Args()[0] != "no ack" {
		t.Fatalf("echo event: %v", e.Args())
	}
	d.Emit("c", "shout", "hi all")
	e := d.Wait(match{"ev": "event", "name": "shouted"}, waitFor)
	if b, ok := nodepeer.DecodeBin(e.Args()[1]); e.Args()[0] != "hi all" || !ok || string(b) != "to all" {
		t.Fatalf("broadcast: %v", e.Args())
	}
	d.Emit("c", "ask")
	q := d.Wait(match{"ev": "event", "name": "question"}, waitFor)
	if b, ok := nodepeer.DecodeBin(q.Args()[1]); !ok || !bytes.Equal(b, []byte{9, 9}) || q.Args()[0] != "6x7" {
		t.Fatalf("question: %v", q.Args())
	}
	d.Ack("c", q.Int("ackRef"), 42, nodepeer.Bin([]byte("ok")))
	a := wait(t, answers)
	var n int
	var b []byte
	if a.Decode(0, &n) != nil || a.Decode(1, &b) != nil || n != 42 || string(b) != "ok" {
		t.Fatalf("client's ack: %v", a)
	}
}

func checkMsgpackNamespaces(t *testing.T, d *nodepeer.Driver, url string, opts map[string]any) {
	t.Helper()
	d.Send(map[string]any{"cmd": "connect", "client": "adm", "manager": "c", "nsp": "/admin",
		"opts": map[string]any{"auth": map[string]any{"token": "secret"}}})
	e := d.Wait(match{"ev": "event", "client": "adm", "name": "hello"}, waitFor)
	if a, _ := e.Args()[1].(map[string]any); e.Args()[0] != "/admin" || a["token"] != "secret" {
		t.Fatalf("hello on /admin: %v", e.Args())
	}
	// A Manager holds one socket per namespace: the intruder comes on a
	// connection of its own.
	d.Connect("intruder", url+"/admin", with(opts, "auth", map[string]any{"token": "guess"}))
	e = d.Wait(match{"ev": "connect_error", "client": "intruder"}, waitFor)
	if data, _ := e["data"].(map[string]any); e.String("message") != "not an admin" || data["code"] != "E_ADMIN" || data["bin"] != false {
		t.Fatalf("refusal: %v", e)
	}
	// The connection outlives the refusal: "/" still answers.
	d.EmitWithAck("c", "r2", "echo", 0, "after refusal")
	d.Wait(match{"ev": "ack", "ref": "r2", "args": []any{"after refusal"}}, waitFor)

	d.Connect("nowhere", url+"/nowhere", with(opts, "reconnection", false))
	e = d.Wait(match{"ev": "connect_error", "client": "nowhere"}, waitFor)
	if e.String("message") != "Invalid namespace" {
		t.Fatalf("unknown namespace: %v", e)
	}
}

// with returns a copy of opts with key set to v, and reconnection off.
func with(opts map[string]any, key string, v any) map[string]any {
	c := map[string]any{"reconnection": false, key: v}
	for k, v := range opts {
		if _, ok := c[k]; !ok {
			c[k] = v
		}
	}
	return c
}

func TestParserOption(t *testing.T) {
	t.Parallel()
	for p, want := range map[Parser]string{JSONParser: "json", MsgpackParser: "msgpack", 7: "Parser(7)"} {
		if got := p.String(); got != want {
			t.Errorf("Parser(%d).String() = %q, want %q", int(p), got, want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "unknown Options.Parser Parser(7)") {
			t.Errorf("NewServer with Parser 7: recovered %v", r)
		}
	}()
	NewServer(&Options{Parser: 7})
}

// TestMsgpackViolationOverWebSocket: over WebSocket too, a msgpack client
// is answered in binary frames, and a malformed one is closed.
func TestMsgpackViolationOverWebSocket(t *testing.T) {
	t.Parallel()
	_, url := msgpackEchoServer(t)
	conn, br, _, err := ws.Dial(context.Background(), "ws"+strings.TrimPrefix(url, "http")+"/socket.io/?EIO=4&transport=websocket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var rw net.Conn = conn
	if br != nil {
		rw = bufferedConn{conn, br}
	}
	if open, err := wsutil.ReadServerText(rw); err != nil || !bytes.HasPrefix(open, []byte("0{")) {
		t.Fatalf("open packet %q: %v", open, err)
	}
	connect, _ := msgpack.AppendJSON(nil, []byte(`{"type":0,"nsp":"/"}`), nil)
	if err := wsutil.WriteClientBinary(rw, connect); err != nil {
		t.Fatal(err)
	}
	reply, op, err := wsutil.ReadServerData(rw)
	if err != nil || op != ws.OpBinary {
		t.Fatalf("CONNECT reply: op %v, %v", op, err)
	}
	if js, _, err := msgpack.ToJSON(nil, reply, msgpack.Placeholders); err != nil || !msgpackConnectRE.Match(js) {
		t.Fatalf("CONNECT reply %s: %v", js, err)
	}
	if err := wsutil.WriteClientBinary(rw, []byte{0x82, 0xa4, 't', 'y', 'p', 'e', 0x02, 0xa3, 'n', 's'}); err != nil {
		t.Fatal(err)
	}
	closedByServer(t, rw)
}

// TestPacketMessagesPerCodec: a broadcast packet is encoded once for the
// server's codec, the same messages going to every recipient; another
// codec gets its own form; a packet msgpack cannot carry is an error.
func TestPacketMessagesPerCodec(t *testing.T) {
	t.Parallel()
	p, err := newEventPacket("/chat", "news", "hi", []byte{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	first, err := p.messages(MsgpackParser)
	again, _ := p.messages(MsgpackParser)
	if err != nil || len(first) != 1 || !first[0].Binary || len(again) != 1 || again[0] != first[0] {
		t.Fatalf("msgpack messages: %v, %v (%v)", first, again, err)
	}
	js, _, err := msgpack.ToJSON(nil, first[0].Data, msgpack.Placeholders)
	if want := `{"type":2,"data":["news","hi",{"_placeholder":true,"num":0}],"nsp":"/chat"}`; err != nil || string(js) != want {
		t.Fatalf("msgpack form %s (%v), want %s", js, err, want)
	}
	text, err := p.messages(JSONParser)
	if err != nil || len(text) != 2 || text[0].Binary || string(text[0].Data) != `51-/chat,["news","hi",{"_placeholder":true,"num":0}]` {
		t.Fatalf("JSON form: %v (%v)", text, err)
	}
	bad := &Packet{nsp: "/", data: json.RawMessage(`["x",{"_placeholder":true,"num":3}]`), attachments: [][]byte{{1}}}
	if _, err := bad.messages(MsgpackParser); err == nil {
		t.Fatal("a placeholder that names no attachment encoded")
	}
}
