package skipnote

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSummaryWithoutVerbose runs go test, without -v, on a package whose
// tests skip for a missing peer, on a terminal (script(1) gives it one):
// the package's ok line is followed by the summary. With CI=true the same
// tests fail.
func TestSummaryWithoutVerbose(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("skipping: script(1) (util-linux) is needed to give go test a terminal")
	}
	run := func(ci string) (string, error) {
		cmd := exec.Command(script, "-qec", "go test -count=1 ./testdata/skipper", os.DevNull)
		cmd.Env = append(os.Environ(), "CI="+ci)
		out, err := cmd.CombinedOutput()
		return strings.ReplaceAll(string(out), "\r\n", "\n"), err
	}
	out, err := run("")
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	want := "internal/skipnote/testdata/skipper: 2 tests skipped: frobd not found; install it with: apt-get install frobd\n"
	if !strings.Contains(out, want) || !strings.Contains(out, "ok  \tgithub.com/envivo/socketio/internal/skipnote/testdata/skipper") {
		t.Errorf("go test printed:\n%s\nwant the ok line and %q", out, want)
	}
	out, err = run("true")
	if err == nil || !strings.Contains(out, "(CI=true: required)") || !strings.Contains(out, "FAIL") {
		t.Errorf("with CI=true: %v\n%s", err, out)
	}
}
