package webtransport_test

import (
	"context"
	"crypto/tls"
	"log"
	"net/http"

	"github.com/envivo/socketio/socket"
	"github.com/envivo/socketio/webtransport"
)

// A server that offers WebTransport beside polling and WebSocket: the
// HTTPS server on TCP and the HTTP/3 server on UDP share the port and the
// certificate, as in Node's example.
func ExampleNew() {
	cert, err := tls.LoadX509KeyPair("cert.pem", "key.pem")
	if err != nil {
		log.Fatal(err)
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}

	io := socket.NewServer(&socket.Options{EngineOptions: socket.EngineOptions{
		Transports: []string{socket.Polling, socket.WebSocket, socket.WebTransport},
	}})
	io.OnConnection(func(s *socket.Socket) {
		log.Printf("%s connected over %s", s.ID(), s.Transport())
	})

	wt := webtransport.New(io, tlsConf)
	go func() { log.Print(wt.ListenAndServe(":8443")) }()

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	hs := &http.Server{Addr: ":8443", Handler: mux, TLSConfig: tlsConf}
	log.Print(hs.ListenAndServeTLS("", ""))

	_ = io.Shutdown(context.Background()) // WebTransport sessions end like the others
	_ = wt.Close()
}
