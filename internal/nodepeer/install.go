package nodepeer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// installStamp, in node_modules, holds the hash of the package-lock.json
// that the last npm ci installed.
const installStamp = ".envivo-installed"

// lockStale is how old an install lock may be before it is taken to be
// left by a process that died.
const lockStale = 10 * time.Minute

var installs sync.Map // dir -> *installOnce

type installOnce struct {
	once sync.Once
	err  error
}

// Install makes sure that dir (testdata/node or testdata/browser) has its
// npm packages, as its package-lock.json pins them: when node_modules was
// installed from another lock file, or never, it runs npm ci. Test packages
// run in parallel processes, so the install happens under a lock that the
// others wait on; in one process it is tried once. It fails when npm is
// missing or cannot reach its registry, with the command to run by hand.
func Install(dir string) error {
	v, _ := installs.LoadOrStore(dir, &installOnce{})
	o := v.(*installOnce)
	o.once.Do(func() { o.err = install(dir) })
	return o.err
}

func install(dir string) error {
	sum, err := lockSum(dir)
	if err != nil {
		return err
	}
	if installed(dir, sum) {
		return nil
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if installed(dir, sum) { // another process did it while we waited
		return nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm not found in PATH to install %s; install Node.js and npm, or run: cd %s && npm ci", dir, dir)
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %v\n%s", dir, err, bytes.TrimSpace(out))
	}
	if err := os.MkdirAll(filepath.Join(dir, "node_modules"), 0o755); err != nil { // none without dependencies
		return err
	}
	return os.WriteFile(filepath.Join(dir, "node_modules", installStamp), []byte(sum), 0o644)
}

func lockSum(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func installed(dir, sum string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", installStamp))
	return err == nil && string(b) == sum
}

// lockDir takes a lock on dir's install, shared by every process: a
// directory that only one of them can create. It waits up to lockStale
// for another holder, and takes over a lock older than that.
func lockDir(dir string) (unlock func(), err error) {
	lock := filepath.Join(dir, ".npm-install.lock")
	deadline := time.Now().Add(lockStale)
	for {
		err := os.Mkdir(lock, 0o755)
		if err == nil {
			return func() { _ = os.Remove(lock) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		if fi, err := os.Stat(lock); err == nil && time.Since(fi.ModTime()) > lockStale {
			_ = os.Remove(lock)
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waited %v for the npm install lock %s", lockStale, lock)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
