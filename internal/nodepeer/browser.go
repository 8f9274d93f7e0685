package nodepeer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envivo/socketio/internal/skipnote"
)

// Browser is what a test needs to drive headless Chromium from a script of
// testdata/browser (through playwright-core, which never downloads a
// browser of its own).
type Browser struct {
	// Chromium is the executable: $CHROMIUM, else /usr/bin/chromium.
	Chromium string
	// Dir is the absolute path of testdata/browser, its npm packages
	// installed.
	Dir string
}

// Browser installs testdata/browser if needed (see Install) and finds
// Chromium. When Chromium is missing or the install fails, the test ends as
// skipnote.Skip says: it fails under CI=true and is skipped elsewhere.
func (p *Peer) Browser(t testing.TB) Browser {
	t.Helper()
	b := Browser{Chromium: os.Getenv("CHROMIUM"), Dir: filepath.Join(filepath.Dir(p.dir), "browser")}
	if b.Chromium == "" {
		b.Chromium = "/usr/bin/chromium"
	}
	var missing []string
	if _, err := os.Stat(b.Chromium); err != nil {
		missing = append(missing, b.Chromium+" not found: apt-get install chromium (or set CHROMIUM)")
	}
	if err := Install(b.Dir); err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) > 0 {
		skipnote.Skip(t, "browser test needs: "+strings.Join(missing, "; "))
	}
	return b
}
