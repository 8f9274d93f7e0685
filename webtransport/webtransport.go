// Package webtransport serves the WebTransport transport of a
// socket.Server over HTTP/3, as Node's socket.io does since 4.7 with an
// HTTP/3 server beside its HTTP one.
//
// It lives apart from package socket so that a program that does not
// import it compiles no QUIC or HTTP/3 code. Importing it lets
// socket.Options.Transports name socket.WebTransport; the Server it makes
// listens on UDP and hands each WebTransport session to the socket.Server,
// which runs it like any other connection (the same namespaces, rooms,
// heartbeat and limits):
//
//	io := socket.NewServer(&socket.Options{EngineOptions: socket.EngineOptions{
//		Transports: []string{socket.Polling, socket.WebSocket, socket.WebTransport},
//	}})
//	wt := webtransport.New(io, tlsConf) // the certificate of the HTTPS server
//	go wt.ListenAndServe(":443")        // UDP, beside HTTPS on TCP
//
// socket.io-client then uses WebTransport when asked
// (transports: ["webtransport", ...]), and a polling session upgrades to
// it as to a WebSocket when the client lists it. The client opens one
// bidirectional stream and sends an open packet, with the polling sid when
// it upgrades; packets then travel on the stream with engine.io-parser's
// length-prefixed framing.
//
// As in Node, a WebTransport session is offered no upgrade. Unlike Node,
// which checks neither, its CONNECT request goes through
// socket.Options.AllowRequest and, when CORS is set, its Origin through
// the CORS origins; its headers and address are the socket's handshake.
package webtransport

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
	wt "github.com/quic-go/webtransport-go"

	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/wtlink"
	"github.com/envivo/socketio/socket"
)

func init() { engine.LinkWebTransport() }

// keepAlivePeriod is how often an otherwise idle QUIC connection sends a
// packet.
const keepAlivePeriod = 15 * time.Second

// Server is the HTTP/3 server of one socket.Server's WebTransport
// transport. It answers WebTransport sessions (CONNECT requests) under
// socket.Options.Path and nothing else. Its methods are safe for
// concurrent use.
type Server struct {
	eng  *engine.Server
	path string
	wts  *wt.Server
}

// New returns a Server that serves the WebTransport sessions of io over
// HTTP/3 with tlsConf, which must hold a certificate (tlsConf is cloned;
// its NextProtos are set to HTTP/3's). io's Options.Transports must name
// socket.WebTransport, or every session is refused with Node's error 0
// "Transport unknown".
func New(io *socket.Server, tlsConf *tls.Config) *Server {
	eng, path := wtlink.Engine(io)
	s := &Server{eng: eng, path: path}
	h3 := &http3.Server{
		TLSConfig: http3.ConfigureTLSConfig(tlsConf.Clone()),
		Handler:   http.HandlerFunc(s.serveHTTP),
		// QUIC closes a connection idle for 30s: keep it alive even when
		// PingInterval is longer than that, as a TCP connection would be.
		QUICConfig: &quic.Config{KeepAlivePeriod: keepAlivePeriod},
	}
	s.wts = &wt.Server{
		H3: h3,
		// Origins are checked by the engine, against Options.CORS.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	wt.ConfigureHTTP3Server(h3)
	return s
}

// Serve answers WebTransport sessions on conn, a UDP socket, until Close.
// It returns the error that stopped it; after Close, http.ErrServerClosed
// or a "closed" network error.
func (s *Server) Serve(conn net.PacketConn) error {
	return s.wts.Serve(conn)
}

// ListenAndServe listens on the UDP address addr (":443" when empty) and
// answers WebTransport sessions there until Close, as Serve.
func (s *Server) ListenAndServe(addr string) error {
	if addr == "" {
		addr = ":443"
	}
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	return s.Serve(conn)
}

// Close closes the QUIC connections at once, and with them their
// sessions (which end with reason "transport close"), then stops Serve.
// To let clients leave cleanly, call the socket.Server's Shutdown first:
// it closes the WebTransport sessions like the others.
func (s *Server) Close() error {
	err := s.wts.Close()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// serveHTTP answers one HTTP/3 request: a WebTransport session under the
// path is admitted by the engine, upgraded, and handed over with its
// first bidirectional stream.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect || (r.URL.Path != s.path && r.URL.Path+"/" != s.path) {
		http.NotFound(w, r)
		return
	}
	if !s.eng.AdmitWebTransport(w, r) {
		return
	}
	sess, err := s.wts.Upgrade(w, r)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.eng.WebTransportTimeout())
	st, err := sess.AcceptStream(ctx)
	cancel()
	if err != nil {
		_ = sess.CloseWithError(0, "")
		return
	}
	s.eng.ServeWebTransport(r, stream{st, sess})
}

// stream is a session's stream as the engine uses it.
type stream struct {
	*wt.Stream
	sess *wt.Session
}

// CloseWrite ends the stream's sending direction (a FIN).
func (s stream) CloseWrite() error { return s.Stream.Close() }

// Close closes the whole WebTransport session.
func (s stream) Close() error { return s.sess.CloseWithError(0, "") }
