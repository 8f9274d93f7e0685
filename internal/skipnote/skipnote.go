// Package skipnote makes the tests that skip for a missing peer visible.
//
// A test that needs a program this module cannot install itself (Node.js,
// redis-server, Chromium) skips without it, and fails under CI=true, where
// every peer is required. go test prints nothing of a package that passes
// unless -v is given, so such skips would go unseen: Main prints, after the
// package's tests, one line per missing peer with the number of tests it
// skipped and how to install it. It writes to the terminal, since go test
// keeps what a passing package writes to stdout or stderr; without a
// terminal (an IDE, a pipe), it writes to stderr, which -v shows.
//
// It is a test helper: import it only from _test.go files and test helpers.
package skipnote

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var (
	mu      sync.Mutex
	skipped = map[string]int{} // reason -> tests
)

// Skip ends t for a missing peer: reason says what is missing and how to
// install it. It fails t when the environment variable CI is true or 1,
// and skips it otherwise, counting it for Main.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if inCI() {
		t.Fatalf("%s (CI=true: required)", reason)
	}
	mu.Lock()
	skipped[reason]++
	mu.Unlock()
	t.Skip("skipping: " + reason)
}

// inCI reports whether the environment variable CI says this is a CI run.
func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// M wraps m so that its Run prints the summary of Skip after the tests:
//
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(skipnote.M(m)) }
func M(m *testing.M) interface{ Run() int } { return runner{m} }

type runner struct{ m *testing.M }

func (r runner) Run() int {
	code := r.m.Run()
	if s := summary(); s != "" {
		out := terminal()
		fmt.Fprint(out, s)
		if out != os.Stderr {
			out.Close()
		}
	}
	return code
}

// summary is one line per reason, or "" when nothing was skipped.
func summary() string {
	mu.Lock()
	defer mu.Unlock()
	reasons := make([]string, 0, len(skipped))
	for r := range skipped {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	pkg := packageDir()
	var b strings.Builder
	for _, r := range reasons {
		fmt.Fprintf(&b, "%s: %d tests skipped: %s\n", pkg, skipped[r], r)
	}
	return b.String()
}

// packageDir names the package under test by its directory below the
// module root (go test runs a test in its package's directory).
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return filepath.Base(os.Args[0])
	}
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			if rel, err := filepath.Rel(d, wd); err == nil {
				return filepath.ToSlash(rel)
			}
		}
	}
	return wd
}

// terminal opens the controlling terminal for writing, or returns
// os.Stderr when there is none.
func terminal() *os.File {
	for _, name := range []string{"/dev/tty", "CONOUT$"} {
		if f, err := os.OpenFile(name, os.O_WRONLY, 0); err == nil {
			return f
		}
	}
	return os.Stderr
}
