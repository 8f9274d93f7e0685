package nodepeer

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/skipnote"
)

// wait is the patience of these tests for one event from a real peer.
const wait = 10 * time.Second

// TestMain checks that every test cleaned up its processes' goroutines.
func TestMain(m *testing.M) {
	code := skipnote.M(m).Run()
	if code == 0 {
		if leaked := leakedGoroutines(); leaked != "" {
			fmt.Fprintf(os.Stderr, "nodepeer: goroutines left behind:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedGoroutines returns the stacks of goroutines still running nodepeer
// code, after giving them a moment to finish.
func leakedGoroutines() string {
	var leaked string
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		leaked = ""
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "internal/nodepeer.") && !strings.Contains(g, "leakedGoroutines") &&
				!strings.Contains(g, "TestMain") {
				leaked += g + "\n\n"
			}
		}
		if leaked == "" {
			return ""
		}
	}
	return leaked
}

// TestAgainstNodeServer drives socket.io-client 4.8 through client.js against
// the socket.io 4.8 server of testdata/node/server.js.
func TestAgainstNodeServer(t *testing.T) {
	peer := Require(t)
	port := peer.Server(t, "server.js", nil)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)

	t.Run("websocket", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/", map[string]any{"transports": []string{"websocket"}})
		e := d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		if e.String("transport") != "websocket" || e.String("id") == "" {
			t.Fatalf("connect = %v, want transport websocket and an id", e)
		}
		d.Emit("c1", "ping", "a", 1, true, nil, map[string]any{"k": []any{"v"}})
		e = d.Wait(Match{"ev": "event", "client": "c1", "name": "pong"}, wait)
		want := []any{"a", 1.0, true, nil, map[string]any{"k": []any{"v"}}}
		if !reflect.DeepEqual(e.Args(), want) {
			t.Fatalf("pong args = %#v, want %#v", e.Args(), want)
		}
		if _, ok := e["ackRef"]; ok {
			t.Fatalf("pong has an ackRef but the server wants no ack: %v", e)
		}
		d.Disconnect("c1")
		d.Wait(Match{"ev": "disconnect", "client": "c1", "reason": "io client disconnect"}, wait)
	})

	t.Run("polling only", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/", map[string]any{"transports": []string{"polling"}})
		e := d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		if e.String("transport") != "polling" {
			t.Fatalf("connect = %v, want transport polling", e)
		}
		blob := []byte{0, 1, 2, 0xfe, 0xff}
		d.EmitWithAck("c1", "r1", "echo", 0, "over polling", Bin(blob))
		e = d.Wait(Match{"ev": "ack", "client": "c1", "ref": "r1"}, wait)
		if got, ok := DecodeBin(e.Args()[1]); !ok || !bytes.Equal(got, blob) || e.Args()[0] != "over polling" {
			t.Fatalf("echo ack = %v, want [\"over polling\", %v]", e, blob)
		}
		d.Never(Match{"ev": "upgrade"}, 300*time.Millisecond)
	})

	t.Run("polling then upgrade", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/", map[string]any{"transports": []string{"polling", "websocket"}})
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		d.Wait(Match{"ev": "upgrade", "client": "c1", "transport": "websocket"}, wait)
		d.EmitWithAck("c1", "r1", "echo", 0, "after upgrade")
		e := d.Wait(Match{"ev": "ack", "ref": "r1"}, wait)
		if !reflect.DeepEqual(e.Args(), []any{"after upgrade"}) {
			t.Fatalf("echo ack = %v", e)
		}
	})

	t.Run("echo with ack and binary", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/", map[string]any{"transports": []string{"websocket"}})
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		all := make([]byte, 256)
		for i := range all {
			all[i] = byte(i)
		}
		d.EmitWithAck("c1", "r1", "echo", time.Second, "text", 42, Bin(all),
			map[string]any{"file": Bin([]byte("nested")), "list": []any{Bin(nil), "x"}})
		e := d.Wait(Match{"ev": "ack", "client": "c1", "ref": "r1"}, wait)
		args := e.Args()
		if len(args) != 4 || args[0] != "text" || args[1] != 42.0 {
			t.Fatalf("echo ack args = %v", args)
		}
		if got, ok := DecodeBin(args[2]); !ok || !bytes.Equal(got, all) {
			t.Fatalf("binary arg came back as %v", args[2])
		}
		obj, _ := args[3].(map[string]any)
		if got, ok := DecodeBin(obj["file"]); !ok || string(got) != "nested" {
			t.Fatalf("nested binary came back as %v", args[3])
		}
		list, _ := obj["list"].([]any)
		if got, ok := DecodeBin(list[0]); !ok || len(got) != 0 || list[1] != "x" {
			t.Fatalf("empty binary in a list came back as %v", obj["list"])
		}
	})

	t.Run("connect_error on /chat", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("bad", base+"/chat", map[string]any{"auth": map[string]any{"token": "wrong"}})
		e := d.Wait(Match{"ev": "connect_error", "client": "bad"}, wait)
		if e.String("message") != "unauthorized" || !reflect.DeepEqual(e["data"], map[string]any{"code": 401.0}) {
			t.Fatalf("connect_error = %v, want message unauthorized and data {code: 401}", e)
		}
		d.Connect("good", base+"/chat", map[string]any{"auth": map[string]any{"token": "good"}})
		d.Wait(Match{"ev": "connect", "client": "good"}, wait)
		d.Never(Match{"ev": "connect", "client": "bad"}, 100*time.Millisecond)
	})

	t.Run("server-to-client ack", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/chat", map[string]any{"auth": map[string]any{"token": "good"}})
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		d.Emit("c1", "askme")
		q := d.Wait(Match{"ev": "event", "client": "c1", "name": "question"}, wait)
		if !reflect.DeepEqual(q.Args(), []any{1.0}) || q.Int("ackRef") <= 0 {
			t.Fatalf("question = %v, want args [1] and an ackRef", q)
		}
		d.Ack("c1", q.Int("ackRef"), "forty-two")
		d.Wait(Match{"ev": "event", "client": "c1", "name": "answer", "args": []any{"forty-two"}}, wait)
	})

	t.Run("server-to-client ack timeout", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/chat", map[string]any{"auth": map[string]any{"token": "good"}})
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		d.Emit("c1", "askme")
		d.Wait(Match{"ev": "event", "client": "c1", "name": "question"}, wait)
		// Not answered: the server gives up after 2 s.
		d.Wait(Match{"ev": "event", "client": "c1", "name": "answer", "args": []any{"timeout"}}, wait)
	})

	t.Run("client ack timeout", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/", nil)
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		d.EmitWithAck("c1", "r1", "nobody-answers", 200*time.Millisecond, "x")
		e := d.Wait(Match{"ev": "ack_error", "client": "c1", "ref": "r1"}, wait)
		if e.String("message") != "operation has timed out" {
			t.Fatalf("ack_error = %v", e)
		}
	})

	t.Run("server disconnect and connect_again", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/", map[string]any{"transports": []string{"websocket"}})
		first := d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		d.Emit("c1", "kick")
		d.Wait(Match{"ev": "disconnect", "client": "c1", "reason": "io server disconnect"}, wait)
		d.Send(map[string]any{"cmd": "connect_again", "client": "c1"})
		again := d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		if again.String("id") == first.String("id") {
			t.Fatalf("reconnected with the same id %q", again.String("id"))
		}
	})

	t.Run("reconnect after transport close", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		d.Connect("c1", base+"/", map[string]any{
			"transports":        []string{"websocket"},
			"reconnectionDelay": 50, "reconnectionDelayMax": 100,
		})
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
		d.Emit("c1", "drop")
		d.Wait(Match{"ev": "disconnect", "client": "c1", "reason": "transport close"}, wait)
		d.Wait(Match{"ev": "reconnect_attempt", "client": "c1", "attempt": 1}, wait)
		d.Wait(Match{"ev": "reconnect", "client": "c1", "attempt": 1}, wait)
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
	})

	t.Run("bad commands are reported", func(t *testing.T) {
		t.Parallel()
		d := peer.Client(t)
		if _, err := d.stdin.Write([]byte("not json\n" +
			`{"cmd":"ack","client":"c9","ackRef":99,"seq":-1}` + "\n" +
			`{"cmd":"fly","seq":-2}` + "\n")); err != nil {
			t.Fatal(err)
		}
		d.Wait(Match{"ev": "error", "cmd": nil}, wait)
		e := d.Wait(Match{"ev": "error", "seq": -1}, wait)
		if !strings.Contains(e.String("message"), "unknown ackRef") {
			t.Fatalf("error = %v", e)
		}
		d.Wait(Match{"ev": "error", "seq": -2, "cmd": "fly"}, wait)
		// Still alive and serving.
		d.Connect("c1", base+"/", nil)
		d.Wait(Match{"ev": "connect", "client": "c1"}, wait)
	})
}

// TestServerEnv checks that Peer.Server passes env to the script.
func TestServerEnv(t *testing.T) {
	peer := Require(t)
	script := filepath.Join(t.TempDir(), "env.js")
	src := `const http = require("http");
const s = http.createServer((req, res) => res.end(process.env.GREETING));
s.listen(Number(process.env.PORT), "127.0.0.1", () =>
  console.log(JSON.stringify({ ev: "listening", port: s.address().port })));
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	port := peer.Server(t, script, map[string]string{"GREETING": "hello"})
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	res, err := (&http.Client{Transport: tr, Timeout: wait}).Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(body) != "hello" {
		t.Fatalf("GET / = %q, %v; want hello", body, err)
	}
}

// TestRequireMissing checks the skip/fail rule on a tree without node_modules.
func TestRequireMissing(t *testing.T) {
	_, err := locateIn(t.TempDir())
	if err == nil {
		t.Fatal("locateIn found JavaScript peers in an empty directory")
	}
	if !strings.Contains(err.Error(), "cd testdata/node && npm ci") {
		t.Fatalf("reason %q does not say how to fix it", err)
	}
	for _, tc := range []struct {
		ci                 string
		wantFail, wantSkip bool
	}{
		{"true", true, false},
		{"", false, true},
		{"false", false, true},
	} {
		t.Setenv("CI", tc.ci)
		f := &fakeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			missing(f, err)
		}()
		<-done
		if f.failed != tc.wantFail || f.skipped != tc.wantSkip || !strings.Contains(f.msg, "npm ci") {
			t.Errorf("CI=%q: failed=%v skipped=%v msg=%q", tc.ci, f.failed, f.skipped, f.msg)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := moduleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "testdata", "node", "client.js")); err != nil {
		t.Fatalf("module root %s has no testdata/node/client.js: %v", root, err)
	}
}

func TestBin(t *testing.T) {
	for _, b := range [][]byte{nil, {}, {0}, []byte("hello, world")} {
		got, ok := DecodeBin(normalize(Match{"v": Bin(b)})["v"])
		if !ok || !bytes.Equal(got, b) {
			t.Errorf("DecodeBin(Bin(%v)) = %v, %v", b, got, ok)
		}
	}
	for _, v := range []any{nil, "x", 1.0, map[string]any{"$bin": 1}, map[string]any{"$bin": "!!"},
		map[string]any{"$bin": "", "other": 1}} {
		if _, ok := DecodeBin(v); ok {
			t.Errorf("DecodeBin(%v) accepted a non-binary value", v)
		}
	}
}

// fakeTB records Fatalf and Skipf and ends the goroutine like the real ones.
type fakeTB struct {
	testing.TB
	failed, skipped bool
	msg             string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Skip(args ...any) {
	f.skipped, f.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
