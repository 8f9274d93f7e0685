package webtransport

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

// TestBrowser runs testdata/browser/webtransport.js: headless Chromium
// loads socket.io-client's bundle from the server and connects over
// WebTransport to an HTTP/3 server on 127.0.0.1 whose self-signed
// certificate the page trusts by hash (serverCertificateHashes). Events
// with text and binary go both ways, with acks both ways; the test checks
// what the server received, what the page received, and that the server
// saw transport "webtransport": directly (transports ["webtransport"]) and
// after an upgrade from polling (["polling", "webtransport"]).
//
// It needs node and chromium (the Debian package; $CHROMIUM to use
// another); without them it fails under CI=true and is skipped elsewhere.
func TestBrowser(t *testing.T) {
	peer := nodepeer.Require(t)
	b := peer.Browser(t)
	dist := filepath.Join(peer.Dir(), "node_modules", "socket.io-client", "dist")
	for _, mode := range []string{"webtransport", "upgrade"} {
		t.Run(mode, func(t *testing.T) {
			opts := withWebTransport(socket.Polling)
			opts.ClientFiles = os.DirFS(dist)
			srv := socket.NewServer(opts)
			got := servePage(srv)
			ts := startServer(t, srv)
			res := runBrowser(t, b, ts, mode)
			checkBrowserRun(t, res, got, mode)
		})
	}
}

// serverSide is what the server received from the page.
type serverSide struct {
	hello  chan []any // text, bytes, and the socket's transport then
	answer chan []any // the page's ack of "question": text, bytes
}

// servePage answers the page: "hello" is acked with text and bytes;
// "ready" gets "push", then "question" with an ack, then "answered".
func servePage(srv *socket.Server) serverSide {
	got := serverSide{make(chan []any, 1), make(chan []any, 1)}
	srv.OnConnection(func(s *socket.Socket) {
		s.OnEvent("hello", func(s *socket.Socket, args socket.Args, ack socket.AckFunc) {
			var data []byte
			_ = args.Decode(1, &data)
			got.hello <- []any{args.String(0), data, s.Transport()}
			_ = ack("hello from Go", []byte{9, 8, 7, 0})
		})
		s.OnEvent("ready", func(s *socket.Socket, _ socket.Args, _ socket.AckFunc) {
			_ = s.Emit("push", "pushed", []byte{0, 128, 255})
			go func() {
				ctx, cancel := context.WithTimeout(s.Context(), 10*time.Second)
				defer cancel()
				args, err := s.EmitWithAck(ctx, "question", "what", []byte{4, 5, 6})
				var data []byte
				_ = args.Decode(1, &data)
				got.answer <- []any{args.String(0), data, err}
				_ = s.Emit("answered", "done")
			}()
		})
	})
	return got
}

// browserRun is what webtransport.js prints.
type browserRun struct {
	Transport string
	Upgraded  bool
	Ack       []any
	Push      []any
	Question  string
}

func runBrowser(t *testing.T, b nodepeer.Browser, ts *testServer, mode string) browserRun {
	t.Helper()
	page := `<!doctype html><meta charset="utf-8"><title>webtransport</title>` +
		`<script src="/socket.io/socket.io.min.js"></script>`
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", ts.io)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	})
	base := servePageMux(t, mux)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script := filepath.Join(b.Dir, "webtransport.js")
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), "BASE_URL="+base, "MODE="+mode, "CHROMIUM="+b.Chromium,
		"WT_PORT="+strconv.Itoa(ts.udpPort), "CERT_HASH="+hex.EncodeToString(ts.cert.hash[:]))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s (%v):\n%s", script, err, stderr.String())
	}
	var res browserRun
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("%s printed %q: %v", script, out, err)
	}
	return res
}

func checkBrowserRun(t *testing.T, res browserRun, got serverSide, mode string) {
	t.Helper()
	hello := wait(t, got.hello)
	if want := []any{"from the page", []byte{1, 2, 3, 255}, socket.WebTransport}; !reflect.DeepEqual(hello, want) {
		t.Errorf("the server got hello %v, want %v", hello, want)
	}
	answer := wait(t, got.answer)
	if want := []any{"answer to what", []byte{6, 5, 4}, nil}; !reflect.DeepEqual(answer, want) {
		t.Errorf("the server got the answer %v, want %v", answer, want)
	}
	want := browserRun{
		Transport: socket.WebTransport,
		Upgraded:  mode == "upgrade",
		Ack:       []any{"hello from Go", []any{9.0, 8.0, 7.0, 0.0}},
		Push:      []any{"pushed", []any{0.0, 128.0, 255.0}},
		Question:  "done",
	}
	if !reflect.DeepEqual(res, want) {
		t.Errorf("the page reported %+v, want %+v", res, want)
	}
}
