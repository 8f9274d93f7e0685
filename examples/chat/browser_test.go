package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/examples/internal/webclient"
	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/internal/sockettest"
)

// TestBrowser runs the scenario of testdata/browser/chat.js in headless
// Chromium against the chat: two users log in, create a room, invite,
// join, chat, see each other typing, reload, a third is refused, and a
// notification from the HTTP endpoint reaches the right user only. Once
// over WebSocket, once over long-polling. A screenshot of the chat page is
// saved in testdata/artifacts/.
//
// It needs node, chromium (the Debian package; $CHROMIUM to use another)
// and `npm ci` in testdata/browser and testdata/node. Without them it
// fails under CI=true and is skipped elsewhere.
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
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	env := browserEnv{
		script:    filepath.Join(root, "testdata", "browser", "chat.js"),
		artifacts: filepath.Join(root, "testdata", "artifacts"),
		chromium:  os.Getenv("CHROMIUM"),
	}
	if env.chromium == "" {
		env.chromium = "/usr/bin/chromium"
	}
	var missing []string
	if env.node, err = exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node.js 20 or newer) is not in PATH")
	}
	if _, err := os.Stat(env.chromium); err != nil {
		missing = append(missing, env.chromium+" not found: apt-get install chromium (or set CHROMIUM)")
	}
	for _, dir := range []string{"browser", "node"} { // playwright-core; socket.io-client for the page
		if err := nodepeer.Install(filepath.Join(root, "testdata", dir)); err != nil {
			missing = append(missing, err.Error())
		}
	}
	// The page must load socket.io-client from this machine: tests run
	// offline.
	if env.client, err = webclient.Locate(""); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) > 0 {
		skipnote.Skip(t, "browser test needs: "+strings.Join(missing, "; "))
	}
	return env
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for ; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("no go.mod above the working directory")
		}
	}
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
