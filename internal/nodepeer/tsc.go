package nodepeer

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TypeCheck type-checks files (name to content: .ts, .d.ts, and .js files,
// which are checked too) with the TypeScript compiler installed in
// testdata/node, as one project in a temporary directory that resolves
// socket.io-client from testdata/node. strict turns on all of tsc's strict
// checks; without it, names, properties and types are still checked, but
// null and implicit any are not, which suits plain JavaScript. It returns tsc's output
// (--pretty false: one "file(line,col): error TSn: ..." line per error),
// and a non-nil error when tsc reported errors or could not run.
func (p *Peer) TypeCheck(t testing.TB, strict bool, files map[string][]byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	config, err := json.Marshal(map[string]any{
		"compilerOptions": map[string]any{
			"strict": strict, "noEmit": true, "allowJs": true, "checkJs": true,
			"target": "es2022", "module": "esnext", "moduleResolution": "bundler",
			"lib": []string{"es2022", "dom", "dom.iterable"}, "types": []string{},
			"paths": map[string][]string{
				"socket.io-client": {filepath.Join(p.dir, "node_modules", "socket.io-client")},
			},
		},
		"files": names,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tsconfig.json"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	tsc := filepath.Join(p.dir, "node_modules", "typescript", "bin", "tsc")
	cmd := exec.Command(p.node, tsc, "-p", ".", "--pretty", "false")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}
