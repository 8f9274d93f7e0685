package webclient

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCDN(t *testing.T) {
	t.Parallel()
	c := Client{}
	if c.Local() || c.Source() != CDN {
		t.Errorf("zero Client: local %v, source %s", c.Local(), c.Source())
	}
	script := string(c.Script())
	if !strings.Contains(script, `src="`+CDN+`"`) || !strings.Contains(script, `integrity="`+Integrity+`"`) ||
		!strings.Contains(script, `crossorigin="anonymous"`) {
		t.Errorf("CDN script = %s", script)
	}
	if c.Files() != nil {
		t.Error("the CDN Client has local files")
	}
}

func TestLocateDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := Locate(dir); err == nil {
		t.Error("an empty directory was accepted")
	}
	dist := filepath.Join(dir, "socket.io-client", "dist")
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "socket.io.min.js"), []byte("/* io */"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dist, filepath.Dir(dist), dir} {
		c, err := Locate(d)
		if err != nil || c.Dir != dist {
			t.Errorf("Locate(%s) = %+v, %v", d, c, err)
		}
	}
	c := Client{Dir: dist}
	if got := string(c.Script()); got != `<script src="/socket.io/socket.io.min.js"></script>` {
		t.Errorf("local script = %s", got)
	}
	if b, err := fs.ReadFile(c.Files(), "socket.io.min.js"); err != nil || string(b) != "/* io */" {
		t.Errorf("the bundle from Files: %q, %v", b, err)
	}
}

// TestInstalledBundle checks, when testdata/node is installed, that the
// CDN fallback pins the same release and that Integrity is its hash: the
// page then gets the same file either way.
func TestInstalledBundle(t *testing.T) {
	t.Parallel()
	c, err := Locate("")
	if err != nil {
		t.Skipf("socket.io-client not installed: %v", err)
	}
	pkg, err := os.ReadFile(filepath.Join(c.Dir, "..", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(pkg, &meta); err != nil {
		t.Fatal(err)
	}
	if meta.Version != Version {
		t.Errorf("testdata/node installs socket.io-client %s, the CDN fallback loads %s: update Version and Integrity", meta.Version, Version)
	}
	data, err := os.ReadFile(filepath.Join(c.Dir, bundle))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum384(data)
	if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); got != Integrity {
		t.Errorf("the installed bundle's integrity is %s, Integrity says %s", got, Integrity)
	}
}
