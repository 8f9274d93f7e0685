package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/skipnote"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(skipnote.M(m)) }

const waitFor = 10 * time.Second

// TestHello runs the example against the official socket.io-client: a
// name gets a greeting as the acknowledgement and the other client is told
// who arrived; no name gets the handler's error.
func TestHello(t *testing.T) {
	peer := nodepeer.Require(t)
	sio, handler := newServer()
	ts := httptest.NewServer(handler)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sio.Shutdown(ctx)
		ts.Close()
	})

	res, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), `socket.emit("hello"`) {
		t.Fatalf("GET / = %s", page)
	}

	d := peer.Client(t)
	for _, c := range []string{"ada", "bob"} {
		d.Connect(c, ts.URL+"/", nil)
		d.Wait(nodepeer.Match{"ev": "connect", "client": c}, waitFor)
	}
	d.EmitWithAck("ada", "r1", "hello", 0, map[string]any{"name": "Ada"})
	d.Wait(nodepeer.Match{"ev": "ack", "ref": "r1", "args": []any{map[string]any{"text": "Hello, Ada!"}}}, waitFor)
	d.Wait(nodepeer.Match{"ev": "event", "client": "bob", "name": "arrived", "args": []any{map[string]any{"text": "Ada arrived"}}}, waitFor)
	d.Never(nodepeer.Match{"ev": "event", "client": "ada", "name": "arrived"}, 200*time.Millisecond)

	d.EmitWithAck("bob", "r2", "hello", 0, map[string]any{"name": ""})
	d.Wait(nodepeer.Match{"ev": "ack", "ref": "r2", "args": []any{map[string]any{"error": "say your name"}}}, waitFor)
}
