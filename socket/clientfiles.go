package socket

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/envivo/socketio/internal/engine"
)

// clientFileNames are the files of socket.io-client's dist directory that
// Node's serveClient answers for under its path, and so does this server
// when Options.ClientFiles is set.
var clientFileNames = []string{
	"socket.io.js",
	"socket.io.js.map",
	"socket.io.min.js",
	"socket.io.min.js.map",
	"socket.io.msgpack.min.js",
	"socket.io.msgpack.min.js.map",
	"socket.io.esm.min.js",
	"socket.io.esm.min.js.map",
}

// clientFiles serves the client bundle from Options.ClientFiles. Each file
// is read on its first request and kept, with its gzip form, for the life
// of the server: eight files, about 1.2 MB for socket.io-client 4.8.
type clientFiles struct {
	files map[string]*clientFile
}

// clientFile is one file of the bundle, loaded once.
type clientFile struct {
	fsys fs.FS
	name string

	once    sync.Once
	body    []byte
	gzipped []byte // nil when gzip does not make it smaller
	etag    string
	err     error
}

func newClientFiles(fsys fs.FS) *clientFiles {
	if fsys == nil {
		return nil
	}
	b := &clientFiles{files: make(map[string]*clientFile, len(clientFileNames))}
	for _, name := range clientFileNames {
		b.files[name] = &clientFile{fsys: fsys, name: name}
	}
	return b
}

// lookup returns the file a request path names, rest being the path
// below Options.Path, or nil when it names none of the bundle's files.
func (b *clientFiles) lookup(rest string) *clientFile {
	if b == nil {
		return nil
	}
	return b.files[rest]
}

// load reads the file and prepares what every answer needs.
func (f *clientFile) load() {
	f.body, f.err = fs.ReadFile(f.fsys, f.name)
	if f.err != nil {
		return
	}
	sum := sha256.Sum256(f.body)
	f.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(f.body)
	_ = zw.Close()
	if buf.Len() < len(f.body) {
		f.gzipped = buf.Bytes()
	}
}

// serve answers a GET or HEAD for the file as Node does: Cache-Control
// "no-cache" with an ETag, so that browsers revalidate and get
// 304 Not Modified while the file is unchanged. The ETag is a hash of the
// content (Node uses its version number, which the file system does not
// give). Clients that accept gzip get the file compressed, under an ETag
// of its own.
func (f *clientFile) serve(w http.ResponseWriter, r *http.Request) {
	f.once.Do(f.load)
	if f.err != nil {
		http.Error(w, "socket.io client file unavailable", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=0")
	h.Set("ETag", f.etag)
	h.Add("Vary", "Accept-Encoding")
	if strings.HasSuffix(f.name, ".map") {
		h.Set("Content-Type", "application/json; charset=utf-8")
	} else {
		h.Set("Content-Type", "application/javascript; charset=utf-8")
	}
	body := f.body
	if f.gzipped != nil && engine.AcceptsGzip(r.Header.Get("Accept-Encoding")) {
		// Another representation, so another strong validator.
		h.Set("ETag", f.etag[:len(f.etag)-1]+`-gzip"`)
		h.Set("Content-Encoding", "gzip")
		body = f.gzipped
	}
	// ServeContent answers If-None-Match with 304, HEAD without a body,
	// and ranges of the bytes it is given.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
