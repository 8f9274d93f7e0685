package socket_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/envivo/socketio/socket"
)

type JoinRoom struct {
	RoomID string `json:"roomId"`
}

type Message struct {
	Content string `json:"content"`
}

var (
	ChatJoin    = socket.Event[JoinRoom]{Name: "chat:join"}
	ChatMessage = socket.Event[Message]{Name: "chat:message"}
)

// The server of the README's tour: a typed event, a typed ack, middleware
// and a broadcast to a room but the sender.
func Example() {
	io := socket.NewServer(&socket.Options{
		EngineOptions: socket.EngineOptions{
			CORS: socket.CORS{Origins: []string{"http://localhost:5173"}, Credentials: true},
		},
	})
	io.Use(func(ctx context.Context, s *socket.Socket) error {
		var a struct{ Token string }
		if s.Handshake().DecodeAuth(&a) != nil || a.Token == "" {
			return &socket.ConnectError{Message: "missing token", Data: map[string]string{"code": "E_AUTH"}}
		}
		return nil
	})
	io.OnConnection(func(s *socket.Socket) {
		ChatJoin.On(s, func(s *socket.Socket, p JoinRoom) error {
			s.Join(p.RoomID)
			return ChatMessage.Emit(s.To(p.RoomID), Message{Content: "joined"})
		})
		socket.OnAck(s, "echo", func(ctx context.Context, s *socket.Socket, in string) (string, error) {
			return in, nil
		})
		s.OnDisconnect(func(s *socket.Socket, reason socket.DisconnectReason) { log.Println(s.ID(), reason) })
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: mux}
	go srv.ListenAndServe()

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = io.To("room-1").Emit("news", "hello")
	_ = io.Shutdown(ctx)
	_ = srv.Shutdown(ctx)
}
