package socket

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/envivo/socketio/internal/nodepeer"
)

// get requests url with the given headers and returns the response with
// its whole body.
func get(t *testing.T, method, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// The transport must not ask for gzip and decode it by itself.
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestClientFilesLikeNode serves the client bundle from the installed
// socket.io-client package and asks the same of a Node socket.io 4.8
// server, which serves the same files from its own copy: both answer
// every file with the same bytes, types and caching, revalidate with 304,
// compress for clients that accept gzip, and serve nothing else.
func TestClientFilesLikeNode(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	dist := filepath.Join(peer.Dir(), "node_modules", "socket.io-client", "dist")
	srv := NewServer(&Options{ClientFiles: os.DirFS(dist)})
	servers := map[string]string{
		"envivo": serve(t, srv) + "/socket.io/",
		"node":   "http://127.0.0.1:" + strconv.Itoa(peer.Server(t, "server.js", nil)) + "/socket.io/",
	}
	for _, name := range clientFileNames {
		want, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		headers := map[string]http.Header{}
		for impl, base := range servers {
			res, body := get(t, http.MethodGet, base+name, nil)
			if res.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
				t.Fatalf("%s %s: %s with %d bytes, want 200 with the file's %d", impl, name, res.Status, len(body), len(want))
			}
			headers[impl] = res.Header
			etag := res.Header.Get("ETag")
			for _, tag := range []string{etag, "W/" + etag} {
				if res, _ := get(t, http.MethodGet, base+name, map[string]string{"If-None-Match": tag}); res.StatusCode != http.StatusNotModified {
					t.Errorf("%s %s with If-None-Match %s: %s, want 304", impl, name, tag, res.Status)
				}
			}
			res, body = get(t, http.MethodGet, base+name, map[string]string{"Accept-Encoding": "gzip, deflate"})
			if res.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(gunzip(t, body), want) {
				t.Errorf("%s %s with Accept-Encoding gzip: Content-Encoding %q, want the file gzipped",
					impl, name, res.Header.Get("Content-Encoding"))
			}
		}
		for _, h := range []string{"Content-Type", "Cache-Control"} {
			if g, n := headers["envivo"].Get(h), headers["node"].Get(h); g != n {
				t.Errorf("%s: %s %q, Node sends %q", name, h, g, n)
			}
		}
	}
	for impl, base := range servers {
		for _, name := range []string{"socket.io.min.js.gz", "package.json", "dist/socket.io.js", "socket.io"} {
			if res, _ := get(t, http.MethodGet, base+name, nil); res.StatusCode == http.StatusOK {
				t.Errorf("%s served %s", impl, name)
			}
		}
	}
}

// TestClientFiles covers what Node's comparison does not: no files without
// Options.ClientFiles, HEAD, a file missing from the FS, and CORS headers
// for a page of another origin (which needs them to import the ESM bundle).
func TestClientFiles(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{"socket.io.js": {Data: []byte("// the bundle")}}
	srv := NewServer(&Options{
		ClientFiles:   fsys,
		EngineOptions: EngineOptions{CORS: CORS{Origins: []string{"http://app.test"}}},
	})
	base := serve(t, srv) + "/socket.io/"

	res, body := get(t, http.MethodHead, base+"socket.io.js", map[string]string{"Origin": "http://app.test"})
	if res.StatusCode != http.StatusOK || len(body) != 0 || res.ContentLength != int64(len("// the bundle")) {
		t.Errorf("HEAD: %s, %d bytes, Content-Length %d", res.Status, len(body), res.ContentLength)
	}
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != "http://app.test" {
		t.Errorf("Access-Control-Allow-Origin = %q, want the page's origin", got)
	}
	if res, _ := get(t, http.MethodGet, base+"socket.io.min.js", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a file missing from ClientFiles: %s, want 404", res.Status)
	}
	// Too small to gain from gzip: sent as is.
	if res, body := get(t, http.MethodGet, base+"socket.io.js", map[string]string{"Accept-Encoding": "gzip"}); res.Header.Get("Content-Encoding") != "" || string(body) != "// the bundle" {
		t.Errorf("a tiny file for a gzip client: Content-Encoding %q, body %q", res.Header.Get("Content-Encoding"), body)
	}

	plain := serve(t, NewServer(nil)) + "/socket.io/"
	if res, _ := get(t, http.MethodGet, plain+"socket.io.js", nil); res.StatusCode == http.StatusOK {
		t.Errorf("served a client file without Options.ClientFiles: %s", res.Status)
	}
}
