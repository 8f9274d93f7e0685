package socket_test

import (
	"errors"
	"log"
	"net/http"

	"github.com/envivo/socketio/socket"
)

// Packet middleware authorizes events in one place, as Node's socket.use:
// a refused event never reaches its handler, the middleware may answer its
// ack, and the error goes to the socket's OnError handlers.
func ExampleSocket_Use() {
	io := socket.NewServer(nil)
	io.OnConnection(func(s *socket.Socket) {
		s.Use(func(s *socket.Socket, event string, _ socket.Args, ack socket.AckFunc) error {
			if event == "admin:purge" && !s.InRoom("admins") {
				if ack != nil {
					_ = ack(map[string]string{"error": "forbidden"})
				}
				return errors.New("forbidden event " + event)
			}
			return nil
		})
		s.OnError(func(s *socket.Socket, err error) { log.Println(s.ID(), err) })
	})
}

// Each registration of a catch-all listener returns the func that removes
// it: Go funcs cannot be compared, so there is no offAny(listener).
func ExampleSocket_OnAnyOutgoing() {
	io := socket.NewServer(nil)
	io.OnConnection(func(s *socket.Socket) {
		stop := s.OnAnyOutgoing(func(s *socket.Socket, event string, args socket.Args) {
			log.Println("to", s.ID(), event, args.Len(), "arguments")
		})
		socket.On(s, "quiet", func(*socket.Socket, struct{}) error {
			stop()
			return nil
		})
	})
}

// A sticky-session cookie on the handshake, as with Node's
// io.engine.on("initial_headers"): the official client sends it back on
// its later requests, so a load balancer can route them to this node.
func ExampleEngineOptions_initialHeaders() {
	io := socket.NewServer(&socket.Options{EngineOptions: socket.EngineOptions{
		InitialHeaders: func(h http.Header, _ *http.Request) {
			h.Add("Set-Cookie", "node=a; Path=/; HttpOnly; SameSite=Lax")
		},
	}})
	http.Handle("/socket.io/", io)
}
