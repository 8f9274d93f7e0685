package tsgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/skipnote"
)

func TestMain(m *testing.M) { os.Exit(skipnote.M(m).Run()) }

var update = flag.Bool("update", false, "rewrite testdata/events.d.ts from testdata/events")

const golden = "testdata/events.d.ts"

func generate(t *testing.T, patterns ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Generate(&b, ".", patterns...); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestGolden compares the declarations of testdata/events, which covers
// every mapping, with the reviewed file testdata/events.d.ts.
func TestGolden(t *testing.T) {
	got := generate(t, "./testdata/events")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the declarations of testdata/events changed (go test -update to accept):\n%s", got)
	}
}

// TestClients compiles TypeScript clients against the declarations with
// tsc: good.ts uses every event rightly and must compile; each bad_*.ts
// makes one mistake (a wrong field, event name, direction, type, or an
// unchecked error reply) and must fail to.
func TestClients(t *testing.T) {
	peer := nodepeer.Require(t)
	files := map[string][]byte{}
	paths, _ := filepath.Glob("testdata/clients/*.ts")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = b
	}
	files["events.d.ts"] = generate(t, "./testdata/events")
	out, err := peer.TypeCheck(t, true, files)
	if err == nil {
		t.Fatalf("tsc accepted every client, the wrong ones too:\n%s", out)
	}
	errorsIn := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^(\S+\.ts)\(\d+,\d+\): error TS\d+`).FindAllStringSubmatch(out, -1) {
		errorsIn[m[1]]++
	}
	if errorsIn["good.ts"] > 0 || errorsIn["events.d.ts"] > 0 {
		t.Errorf("tsc refused the right client or the declarations:\n%s", out)
	}
	for name := range files {
		if strings.HasPrefix(name, "bad_") && errorsIn[name] == 0 {
			t.Errorf("tsc accepted %s", name)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("tsc:\n%s", out)
	}
}

// TestRefused: uses whose event the generator cannot tell, or that give
// one event two types in one direction, are errors that say where.
func TestRefused(t *testing.T) {
	for pkg, want := range map[string]string{
		"./testdata/conflict": `event "x" is used with other types than at`,
		"./testdata/dynamic":  "the event's name is not a constant string",
	} {
		err := Generate(&bytes.Buffer{}, ".", pkg)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), ".go:") {
			t.Errorf("Generate(%s) = %v, want an error with a position and %q", pkg, err, want)
		}
	}
}
