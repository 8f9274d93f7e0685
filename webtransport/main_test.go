package webtransport

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/quic-go/quic-go"
	wt "github.com/quic-go/webtransport-go"
	"go.uber.org/goleak"

	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/socket"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m))
}

// testCert is a self-signed ECDSA P-256 certificate valid for less than
// 14 days, as Chromium's serverCertificateHashes requires.
type testCert struct {
	tls  *tls.Config
	hash [32]byte // SHA-256 of the certificate (DER)
	pool *x509.CertPool
}

func newTestCert(t testing.TB) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(10 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return testCert{
		tls:  &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}},
		hash: sha256.Sum256(der),
		pool: pool,
	}
}

// testServer is a socket.Server with its WebTransport server on a UDP port
// of 127.0.0.1 and its HTTP handler on a TCP port.
type testServer struct {
	io      *socket.Server
	wt      *Server
	udpPort int
	httpURL string // http://localhost:PORT
	cert    testCert
}

// startServer starts io's HTTP and HTTP/3 servers; the cleanup shuts io
// down, then closes both.
func startServer(t testing.TB, io *socket.Server) *testServer {
	t.Helper()
	cert := newTestCert(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := New(io, cert.tls)
	served := make(chan error, 1)
	go func() { served <- s.Serve(conn) }()
	ts := httptest.NewServer(io)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := io.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		<-served
		conn.Close()
		ts.Close()
	})
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	return &testServer{io: io, wt: s, udpPort: conn.LocalAddr().(*net.UDPAddr).Port,
		httpURL: "http://localhost:" + port, cert: cert}
}

// withWebTransport returns options whose transports include WebTransport.
func withWebTransport(transports ...string) *socket.Options {
	return &socket.Options{EngineOptions: socket.EngineOptions{
		Transports: append(transports, socket.WebTransport),
	}}
}

// goClient is a WebTransport client made with webtransport-go: it speaks
// the Engine.IO framing by hand, to check the server's side of it.
type goClient struct {
	t    testing.TB
	tr   *wt.Transport
	sess *wt.Session
	st   *wt.Stream
}

// dial opens a WebTransport session to ts with query (EIO=4 and
// transport=webtransport when empty) and returns the CONNECT's status.
func dial(t testing.TB, ts *testServer, query string) (*goClient, int) {
	t.Helper()
	return dialWith(t, ts, "/socket.io/", query, nil)
}

// dialWith is dial with a path and request headers.
func dialWith(t testing.TB, ts *testServer, path, query string, h http.Header) (*goClient, int) {
	t.Helper()
	if query == "" {
		query = "EIO=4&transport=webtransport"
	}
	tr := &wt.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ts.cert.pool},
		QUICConfig:      &quic.Config{EnableDatagrams: true, EnableStreamResetPartialDelivery: true},
	}
	t.Cleanup(func() { tr.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "https://127.0.0.1:" + itoa(ts.udpPort) + path + "?" + query
	rsp, sess, err := tr.Dial(ctx, url, h)
	if err != nil {
		if rsp != nil {
			return nil, rsp.StatusCode
		}
		t.Fatalf("dial %s: %v", url, err)
	}
	st, err := sess.OpenStreamSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &goClient{t: t, tr: tr, sess: sess, st: st}
	t.Cleanup(func() { _ = sess.CloseWithError(0, "") })
	return c, rsp.StatusCode
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// frame is engine.io-parser's framing of one packet, written independently
// of the server's code.
func frame(payload []byte, binaryData bool) []byte {
	var h []byte
	switch n := len(payload); {
	case n < 126:
		h = []byte{byte(n)}
	case n < 65536:
		h = binary.BigEndian.AppendUint16([]byte{126}, uint16(n))
	default:
		h = binary.BigEndian.AppendUint64([]byte{127}, uint64(n))
	}
	if binaryData {
		h[0] |= 0x80
	}
	return append(h, payload...)
}

// send writes raw bytes on the stream.
func (c *goClient) send(b []byte) {
	c.t.Helper()
	if _, err := c.st.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// sendText writes one text packet, sendBinary one binary message.
func (c *goClient) sendText(p string)   { c.send(frame([]byte(p), false)) }
func (c *goClient) sendBinary(p []byte) { c.send(frame(p, true)) }

// next reads one packet: its bytes, and whether it is binary; it skips
// pings, answering them.
func (c *goClient) next() (string, bool) {
	c.t.Helper()
	for {
		_ = c.st.SetReadDeadline(time.Now().Add(5 * time.Second))
		var h [9]byte
		if _, err := io.ReadFull(c.st, h[:1]); err != nil {
			c.t.Fatalf("read: %v", err)
		}
		bin, n := h[0]&0x80 != 0, int(h[0]&0x7f)
		switch n {
		case 126:
			io.ReadFull(c.st, h[1:3])
			n = int(binary.BigEndian.Uint16(h[1:3]))
		case 127:
			io.ReadFull(c.st, h[1:9])
			n = int(binary.BigEndian.Uint64(h[1:9]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(c.st, p); err != nil {
			c.t.Fatalf("read %d bytes: %v", n, err)
		}
		if !bin && bytes.Equal(p, []byte("2")) {
			c.sendText("3")
			continue
		}
		return string(p), bin
	}
}

// closed waits until the server closed the session.
func (c *goClient) closed() bool {
	select {
	case <-c.sess.Context().Done():
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

// wait receives from c or fails the test after a few seconds.
func wait[T any](t testing.TB, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %T", *new(T))
		panic("unreachable")
	}
}

// servePageMux serves mux on a TCP port of 127.0.0.1 and returns its URL
// with host localhost, a secure context for the page even over HTTP.
func servePageMux(t testing.TB, mux http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	return "http://localhost:" + port
}
