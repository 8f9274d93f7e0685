package socket

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestBrowserCompression runs testdata/browser/compress.js: headless
// Chromium receives a compressed broadcast and an uncompressed one
// (Compress(false)) and echoes one back, over a WebSocket that negotiated
// permessage-deflate and over long-polling answered in gzip, which
// Chromium always accepts.
//
// It needs node and chromium (the Debian package; $CHROMIUM to use
// another); the npm packages are installed by the test. Without them it
// fails under CI=true and is skipped elsewhere.
func TestBrowserCompression(t *testing.T) {
	peer := nodepeer.Require(t)
	script, chromium := requireChromium(t, peer)
	for _, transport := range []string{WebSocket, Polling} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			runCompressPage(t, peer, script, chromium, transport)
		})
	}
}

// requireChromium returns the browser script and the Chromium executable,
// or ends the test as nodepeer does when one is missing.
func requireChromium(t *testing.T, peer *nodepeer.Peer) (script, chromium string) {
	t.Helper()
	b := peer.Browser(t)
	return filepath.Join(b.Dir, "compress.js"), b.Chromium
}

const compressPage = `<!doctype html><meta charset="utf-8"><title>compress</title>` +
	`<script src="/client/socket.io.min.js"></script>`

func runCompressPage(t *testing.T, peer *nodepeer.Peer, script, chromium, transport string) {
	srv := NewServer(&Options{EngineOptions: EngineOptions{PerMessageDeflate: true}})
	big := servePageEvents(srv)
	var log pollingLog
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", log.wrap(srv))
	dist := filepath.Join(peer.Dir(), "node_modules", "socket.io-client", "dist")
	mux.Handle("/client/", http.StripPrefix("/client/", http.FileServer(http.Dir(dist))))
	res := runPage(t, srv, mux, compressPage, script, chromium, transport, big)
	accepts, encoded := log.snapshot()
	t.Logf("WebSocket extensions %q; polling GETs sent Accept-Encoding %q, got Content-Encoding %q",
		res.Extensions, accepts, encoded)
	switch transport {
	case WebSocket:
		if !strings.Contains(res.Extensions, "permessage-deflate") ||
			!strings.Contains(res.Extensions, "server_no_context_takeover") {
			t.Fatalf("Chromium negotiated %q", res.Extensions)
		}
	case Polling:
		if len(encoded) == 0 || encoded[0] != "gzip" {
			t.Fatal("no polling answer came in gzip")
		}
	}
}

// servePageEvents sets up the events that testdata/browser/compress.js
// drives: on "ready", the room gets "big" (compressed when it can be) and
// "plain" (Compress(false)), both the returned text; "echo" acknowledges
// its arguments.
func servePageEvents(srv *Server) (big string) {
	big = strings.Repeat("é, compressible text for the browser ", 200)
	srv.OnConnection(func(s *Socket) {
		s.Join("room")
		s.OnEvent("ready", func(s *Socket, _ Args, _ AckFunc) {
			_ = srv.To("room").Emit("big", big)
			_ = srv.To("room").Compress(false).Emit("plain", big)
		})
		s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) { _ = ack(args.Values()...) })
	})
	return big
}

// pageRun is what testdata/browser/compress.js reports of its page.
type pageRun struct{ Transport, Extensions, Big, Plain, Echoed string }

// runPage serves page at / beside mux's routes, runs script in Chromium
// over transport, and checks that the page received big both ways and
// echoed it.
func runPage(t *testing.T, srv *Server, mux *http.ServeMux, page, script, chromium, transport, big string) pageRun {
	t.Helper()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(func() { shutdown(t, srv); ts.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = append(os.Environ(), "BASE_URL="+ts.URL, "TRANSPORT="+transport, "CHROMIUM="+chromium)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s (%v):\n%s", script, err, stderr.String())
	}
	var res pageRun
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s printed %q: %v", script, out, err)
	}
	if res.Transport != transport || res.Big != big || res.Plain != big || res.Echoed != big {
		t.Fatalf("on %s the page received big=%d plain=%d echoed=%d bytes, want %d each",
			res.Transport, len(res.Big), len(res.Plain), len(res.Echoed), len(big))
	}
	return res
}

// TestBrowserMsgpack: Chromium loads the msgpack bundle of socket.io-client
// from the server (Options.ClientFiles) and talks to a server with the
// msgpack parser: a room broadcast and an acknowledged echo, over
// WebSocket and over long-polling.
func TestBrowserMsgpack(t *testing.T) {
	peer := nodepeer.Require(t)
	script, chromium := requireChromium(t, peer)
	dist := filepath.Join(peer.Dir(), "node_modules", "socket.io-client", "dist")
	for _, transport := range []string{WebSocket, Polling} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(&Options{Parser: MsgpackParser, ClientFiles: os.DirFS(dist)})
			big := servePageEvents(srv)
			mux := http.NewServeMux()
			mux.Handle("/socket.io/", srv)
			page := `<!doctype html><meta charset="utf-8"><title>msgpack</title>` +
				`<script src="/socket.io/socket.io.msgpack.min.js"></script>`
			runPage(t, srv, mux, page, script, chromium, transport, big)
		})
	}
}
