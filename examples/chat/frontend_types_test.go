package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/tsgen"
)

// TestFrontendTypes: static/events.d.ts is what cmd/socketio-ts writes from
// the Go event declarations today, and the page's JavaScript type-checks
// against it, so a payload field renamed in Go fails here until the page
// follows.
func TestFrontendTypes(t *testing.T) {
	var fresh bytes.Buffer
	if err := tsgen.Generate(&fresh, ".", ".", "../notifications/notify"); err != nil {
		t.Fatal(err)
	}
	decls, err := os.ReadFile("static/events.d.ts")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh.Bytes(), decls) {
		t.Error("static/events.d.ts is stale: run go generate ./examples/chat")
	}
	app, err := os.ReadFile("static/app.js")
	if err != nil {
		t.Fatal(err)
	}
	peer := nodepeer.Require(t)
	out, err := peer.TypeCheck(t, false, map[string][]byte{
		"app.js":      app,
		"events.d.ts": fresh.Bytes(),
		// The page loads socket.io-client with a <script>, which defines io.
		"globals.d.ts": []byte(`declare const io: typeof import("socket.io-client").io;` + "\n"),
	})
	if err != nil {
		t.Errorf("static/app.js does not type-check against the events: %v\n%s", err, out)
	}
}
