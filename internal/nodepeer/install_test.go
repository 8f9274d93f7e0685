package nodepeer

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// npmProject writes a package.json and its package-lock.json, with no
// dependencies so that npm ci needs no registry, and a marker file in
// node_modules that npm ci removes when it runs.
func npmProject(t *testing.T, version string) string {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		missing(t, err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"package.json": `{"name":"p","version":"` + version + `","private":true}`,
		"package-lock.json": `{"name":"p","version":"` + version + `","lockfileVersion":3,"requires":true,` +
			`"packages":{"":{"name":"p","version":"` + version + `"}}}`,
		"node_modules/marker": "",
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestInstall: a project never installed by Install is installed with npm
// ci (which clears node_modules); an installed one is left alone until its
// lock file changes; one process at a time installs.
func TestInstall(t *testing.T) {
	dir := npmProject(t, "1.0.0")
	marker := filepath.Join(dir, "node_modules", "marker")

	// Another process holds the lock: install waits for it.
	unlock, err := lockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- install(dir) }()
	select {
	case err := <-done:
		t.Fatalf("installed while another process held the lock: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	if !exists(marker) {
		t.Fatal("npm ci ran while another process held the lock")
	}
	unlock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if exists(marker) || !exists(filepath.Join(dir, "node_modules", installStamp)) {
		t.Fatal("npm ci did not run, or left no stamp")
	}
	if exists(filepath.Join(dir, ".npm-install.lock")) {
		t.Error("the lock was left behind")
	}

	// Installed from this lock file: nothing to do.
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := install(dir); err != nil || !exists(marker) {
		t.Fatalf("reinstalled an installed project (err %v)", err)
	}

	// The lock file changed: install again.
	changed := npmProject(t, "2.0.0")
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, _ := os.ReadFile(filepath.Join(changed, f))
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := install(dir); err != nil || exists(marker) {
		t.Fatalf("did not reinstall after the lock file changed (err %v)", err)
	}
}

// TestInstallStaleLock: a lock left by a process that died long ago is
// taken over.
func TestInstallStaleLock(t *testing.T) {
	dir := npmProject(t, "1.0.0")
	lock := filepath.Join(dir, ".npm-install.lock")
	if err := os.Mkdir(lock, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * lockStale)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	if err := install(dir); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(dir, "node_modules", installStamp)) {
		t.Error("not installed")
	}
}
