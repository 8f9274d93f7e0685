// Package webclient finds the official socket.io-client for the examples'
// browser pages without a copy of it in this repository.
//
// The bundle comes from the npm package installed for the tests
// (cd testdata/node && npm ci), found by walking up from the working
// directory to go.mod, or from a directory given with a flag; the socket.io
// server serves it at /socket.io/socket.io.min.js (socket.Options.ClientFiles),
// as a Node server does. When neither has it, pages load the same file from
// the jsDelivr CDN, pinned to Version and checked by its Subresource
// Integrity hash, which works for anyone with internet access.
package webclient

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
)

// Version is the socket.io-client release the CDN fallback loads.
const Version = "4.8.4"

// CDN is the fallback URL of the bundle, and Integrity its SHA-384 hash: the
// file of the npm package socket.io-client@Version, which jsDelivr serves
// byte for byte.
const (
	CDN       = "https://cdn.jsdelivr.net/npm/socket.io-client@" + Version + "/dist/socket.io.min.js"
	Integrity = "sha384-fBrXvbDtHoeKWJ/hcA6M+YGueiDW+h45I7V6F2kD1S8bOkrF9rZYPLVkCR6BLR/1"
)

// Path is where the socket.io server (at its default path) serves the
// local bundle's files.
const Path = "/socket.io/"

// bundle is the file pages load from Dir.
const bundle = "socket.io.min.js"

// Client is where pages get socket.io-client from.
type Client struct {
	// Dir is the dist directory of the installed npm package; "" means
	// the CDN.
	Dir string
}

// Locate returns the Client for dir, a socket.io-client dist directory (or
// the package's root, or a node_modules holding it). With dir empty it looks
// for testdata/node/node_modules/socket.io-client/dist under the module root
// above the working directory. When nothing is found it returns the CDN
// Client and an error that says why, for a log line; an explicit dir
// that has no bundle is an error a caller should not ignore.
func Locate(dir string) (Client, error) {
	if dir != "" {
		for _, d := range []string{dir, filepath.Join(dir, "dist"), filepath.Join(dir, "socket.io-client", "dist")} {
			if hasBundle(d) {
				return Client{Dir: d}, nil
			}
		}
		return Client{}, fmt.Errorf("webclient: no %s in %s", bundle, dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return Client{}, err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dist := filepath.Join(d, "testdata", "node", "node_modules", "socket.io-client", "dist")
			if hasBundle(dist) {
				return Client{Dir: dist}, nil
			}
			return Client{}, fmt.Errorf("webclient: socket.io-client is not installed in %s (run: cd testdata/node && npm ci)", dist)
		}
		if filepath.Dir(d) == d {
			return Client{}, errors.New("webclient: no go.mod above the working directory")
		}
	}
}

func hasBundle(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, bundle))
	return err == nil && fi.Mode().IsRegular()
}

// Local reports whether the bundle is served from this machine.
func (c Client) Local() bool { return c.Dir != "" }

// Source describes where pages load the bundle from, for a log line.
func (c Client) Source() string {
	if c.Local() {
		return c.Dir
	}
	return CDN
}

// Script returns the <script> element that loads the bundle, for an
// html/template.
func (c Client) Script() template.HTML {
	if c.Local() {
		return template.HTML(`<script src="` + Path + bundle + `"></script>`)
	}
	return template.HTML(`<script src="` + CDN + `" integrity="` + Integrity + `" crossorigin="anonymous"></script>`)
}

// Files returns the local bundle's directory for socket.Options.ClientFiles,
// nil for the CDN Client.
func (c Client) Files() fs.FS {
	if !c.Local() {
		return nil
	}
	return os.DirFS(c.Dir)
}
