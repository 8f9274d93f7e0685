// Package skipper has two tests that skip for a missing peer; the test of
// skipnote runs it with go test, without -v, on a terminal.
package skipper

import (
	"os"
	"testing"

	"github.com/envivo/socketio/internal/skipnote"
)

func TestMain(m *testing.M) { os.Exit(skipnote.M(m).Run()) }

func TestNeedsPeer(t *testing.T) {
	skipnote.Skip(t, "frobd not found; install it with: apt-get install frobd")
}
func TestNeedsPeer2(t *testing.T) {
	skipnote.Skip(t, "frobd not found; install it with: apt-get install frobd")
}
func TestRuns(t *testing.T) {}
