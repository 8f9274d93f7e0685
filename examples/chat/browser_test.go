package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/envivo/socketio/examples/internal/webclient"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/internal/sockettest"
)

// TestBrowser runs the scenario of testdata/browser/chat.js in headless
// Chromium against the chat: a page without socket.io-client says so
// before and after login; two users log in, create a room, invite, join,
// chat, see each other typing, reload (keeping their session and their
// notifications); a third logs in in a tab of the first's browser (the
// session is per tab) and is refused; a notification from the HTTP
// endpoint reaches the right user only; a member leaves for good. Once over
// WebSocket, once over long-polling. A screenshot of the chat page is
// saved in testdata/artifacts/.
//
// It needs node, chromium (the Debian package; $CHROMIUM to use another)
// and the npm packages of testdata/browser and testdata/node, which it
// installs. Without them it fails under CI=true and is skipped elsewhere.
func TestBrowser(t *testing.T) {
	t.Parallel()
	env := requireBrowser(t)
	for _, transport := range []string{"websocket", "polling"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel()
			runScenario(t, env, transport)
		})
	}
}

// browserEnv is what the browser test runs with.
type browserEnv struct {
	node, chromium, script, artifacts string
	client                            webclient.Client
}

func requireBrowser(t *testing.T) browserEnv {
	t.Helper()
	peer := nodepeer.Require(t) // node, and socket.io-client for the page
	b := peer.Browser(t)
	env := browserEnv{
		script:    filepath.Join(b.Dir, "chat.js"),
		artifacts: filepath.Join(filepath.Dir(b.Dir), "artifacts"),
		chromium:  b.Chromium,
	}
	var err error
	if env.node, err = exec.LookPath("node"); err != nil {
		t.Fatal(err) // Require found it
	}
	// The page must load socket.io-client from this machine: tests run
	// offline.
	if env.client, err = webclient.Locate(""); err != nil {
		skipnote.Skip(t, "browser test needs: "+err.Error())
	}
	return env
}

func runScenario(t *testing.T, env browserEnv, transport string) {
	app, err := NewApp(context.Background(), Config{DB: ":memory:", Secret: testSecret, Client: env.client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() }) // after the server's shutdown below
	url := sockettest.Serve(t, app.IO(), app)
	if err := os.MkdirAll(env.artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	screenshot := filepath.Join(env.artifacts, "chat-"+transport+".png")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.node, env.script)
	cmd.Dir = filepath.Dir(env.script)
	cmd.Env = append(os.Environ(),
		"BASE_URL="+url, "TRANSPORT="+transport, "SCREENSHOT="+screenshot, "CHROMIUM="+env.chromium)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s (%v):\n%s", env.script, err, out)
	}
	t.Logf("%s\nscreenshot: %s", out, screenshot)
}
