package socket

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"

	"github.com/envivo/socketio/internal/nodepeer"
)

// pollingLog records, for each polling GET of a session, the
// Accept-Encoding it sent and the Content-Encoding it got.
type pollingLog struct {
	mu      sync.Mutex
	accepts []string
	encoded []string
}

func (l *pollingLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		q := r.URL.Query()
		if r.Method != http.MethodGet || q.Get("transport") != Polling || q.Get("sid") == "" {
			return
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.accepts = append(l.accepts, r.Header.Get("Accept-Encoding"))
		if enc := w.Header().Get("Content-Encoding"); enc != "" {
			l.encoded = append(l.encoded, enc)
		}
	})
}

func (l *pollingLog) snapshot() (accepts, encoded []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.accepts...), append([]string(nil), l.encoded...)
}

// TestInteropCompression runs the official client against a server with
// compression: permessage-deflate negotiated by ws (directly and on an
// upgrade), declined when the server does not offer it, and polling
// through fetch (which asks for gzip) and XHR (which asks for nothing).
// Each time, big events go both ways and arrive intact, compressed or not
// (Compress(false)), and the log shows what the wire carried.
func TestInteropCompression(t *testing.T) {
	peer := nodepeer.Require(t)
	tests := []struct {
		name    string
		deflate bool
		cmd     map[string]any
		wantExt bool   // the WebSocket negotiated permessage-deflate
		wantEnc string // polling answers came in this coding
	}{
		{"websocket", true, map[string]any{"opts": map[string]any{"transports": []string{"websocket"}}}, true, ""},
		{"upgrade", true, map[string]any{"opts": map[string]any{"transports": []string{"polling", "websocket"}}}, true, ""},
		{"websocket not offered", false, map[string]any{"opts": map[string]any{"transports": []string{"websocket"}}}, false, ""},
		{"fetch polling", false, map[string]any{"fetch": true, "opts": map[string]any{"upgrade": false}}, false, "gzip"},
		{"xhr polling", false, map[string]any{"opts": map[string]any{"transports": []string{"polling"}}}, false, ""},
	}
	big := strings.Repeat("é, compressible text ", 300)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(&Options{EngineOptions: EngineOptions{PerMessageDeflate: tt.deflate}})
			srv.OnConnection(func(s *Socket) {
				s.Join("room")
				s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) { _ = ack(args.Values()...) })
			})
			var log pollingLog
			ts := httptest.NewServer(log.wrap(srv))
			t.Cleanup(func() { shutdown(t, srv); ts.Close() })
			d := peer.Client(t)
			cmd := map[string]any{"cmd": "connect", "client": "c", "url": ts.URL}
			for k, v := range tt.cmd {
				cmd[k] = v
			}
			d.Send(cmd)
			ev := d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
			if tt.name == "upgrade" {
				ev = d.Wait(match{"ev": "upgrade", "client": "c"}, waitFor)
			}
			ext, _ := ev["extensions"].(map[string]any)
			params, got := ext["permessage-deflate"].(map[string]any)
			if got != tt.wantExt || (got && (params["server_no_context_takeover"] != true || params["client_no_context_takeover"] != true)) {
				t.Fatalf("extensions %v, want permessage-deflate: %v", ev["extensions"], tt.wantExt)
			}

			_ = srv.To("room").Emit("big", big)
			_ = srv.To("room").Compress(false).Emit("plain", big)
			d.EmitWithAck("c", "r", "echo", 0, big)
			for _, m := range []match{{"ev": "event", "name": "big"}, {"ev": "event", "name": "plain"}, {"ev": "ack", "ref": "r"}} {
				if args := d.Wait(m, waitFor).Args(); len(args) != 1 || args[0] != big {
					t.Fatalf("%v: got %d arguments, not the text sent", m, len(args))
				}
			}
			accepts, encoded := log.snapshot()
			t.Logf("polling GETs sent Accept-Encoding %q, got Content-Encoding %q", accepts, encoded)
			if tt.wantEnc != "" && (len(encoded) == 0 || encoded[0] != tt.wantEnc) {
				t.Fatalf("no polling answer in %s", tt.wantEnc)
			}
			if tt.wantEnc == "" && tt.name == "xhr polling" && len(encoded) != 0 {
				t.Fatalf("answers compressed for a client that did not ask: %q", encoded)
			}
		})
	}
}

func shutdown(t *testing.T, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// TestCompressFlag reads the frames of a raw WebSocket that negotiated
// permessage-deflate: a big event goes compressed (RSV1), the same with
// Compress(false) plain (on a broadcast or on the socket), a small one
// plain; a broadcast with acks too.
func TestCompressFlag(t *testing.T) {
	t.Parallel()
	srv := NewServer(&Options{EngineOptions: EngineOptions{PerMessageDeflate: true}})
	joined := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { s.Join("room"); joined <- s })
	base := serve(t, srv)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
	_ = conn.SetDeadline(time.Now().Add(waitFor))
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil || !strings.HasPrefix(res.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate") {
		t.Fatalf("handshake: %v %v", err, res)
	}
	read := func() (compressed bool, p string) {
		t.Helper()
		f, err := ws.ReadFrame(br)
		if err != nil {
			t.Fatal(err)
		}
		if compressed, _ = wsflate.IsCompressed(f.Header); compressed {
			f, _ = wsflate.DecompressFrame(f)
		}
		return compressed, string(f.Payload)
	}
	read() // open
	_ = ws.WriteFrame(conn, ws.MaskFrame(ws.NewTextFrame([]byte("40"))))
	read() // CONNECT reply
	s := wait(t, joined)
	big := strings.Repeat("x", 2000)
	want := `42["e","` + big + `"]`
	_ = srv.To("room").Emit("e", big)
	_ = srv.To("room").Compress(false).Emit("e", big)
	_ = srv.To("room").Compress(true).Emit("e", big)
	_ = s.Compress(false).Emit("e", big)
	_ = s.Emit("e", big)
	_ = srv.To("room").Emit("e", "small")
	for i, wantZ := range []bool{true, false, true, false, true} {
		if z, p := read(); z != wantZ || p != want {
			t.Fatalf("event %d: compressed=%v %.30q", i, z, p)
		}
	}
	if z, p := read(); z || p != `42["e","small"]` {
		t.Fatalf("small event: compressed=%v %q", z, p)
	}
	go func() { _, _ = srv.To("room").Compress(false).EmitWithAck(s.Context(), "e", big) }()
	if z, p := read(); z || !strings.HasPrefix(p, "42") || p[2] < '0' || p[2] > '9' {
		t.Fatalf("event with ack: compressed=%v %.30q", z, p)
	}
}
