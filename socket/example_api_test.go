package socket_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"regexp"
	"time"

	"github.com/envivo/socketio/socket"
)

// Namespaces split one connection into channels, each with its own
// middleware and handlers: socket.io-client reaches this one with
// io("https://example.com/admin").
func ExampleServer_Of() {
	io := socket.NewServer(nil)
	admin := io.Of("/admin")
	admin.Use(func(ctx context.Context, s *socket.Socket) error {
		var auth struct{ Role string }
		if err := s.Handshake().DecodeAuth(&auth); err != nil || auth.Role != "admin" {
			return &socket.ConnectError{Message: "admins only", Data: map[string]string{"code": "E_ROLE"}}
		}
		return nil
	})
	admin.OnConnection(func(s *socket.Socket) {
		_ = s.Emit("welcome", "admin")
	})
	_ = admin.Emit("announcement", "maintenance at noon") // every socket of /admin
}

// A dynamic namespace serves every name its function accepts; each name
// becomes a child namespace, made when its first socket is admitted and
// removed when its last one leaves. Middleware and handlers of the parent
// apply to every child.
func ExampleServer_OfRegexp() {
	io := socket.NewServer(nil)
	workspaces := io.OfRegexp(regexp.MustCompile(`^/workspace-\d+$`))
	workspaces.OnConnection(func(s *socket.Socket) {
		// s.Namespace() is the child, such as /workspace-42: a broadcast
		// there stays in that workspace.
		_ = s.Namespace().Emit("joined", s.ID())
	})
}

// A typed event declares its name and payload once; every emit and handler
// is then checked by the compiler. cmd/socketio-ts writes the matching
// TypeScript types for the frontend.
func ExampleEvent() {
	type Message struct {
		Room string `json:"room"`
		Text string `json:"text"`
	}
	var chatMessage = socket.Event[Message]{Name: "chat:message"}

	io := socket.NewServer(nil)
	io.OnConnection(func(s *socket.Socket) {
		chatMessage.On(s, func(s *socket.Socket, m Message) error {
			return chatMessage.Emit(io.To(m.Room), m) // to everyone in the room
		})
	})
}

// An acknowledged event: the handler's result is the argument of the
// client's callback; an error reaches it as {"error": message}.
func ExampleAckEvent() {
	type Order struct {
		Item string `json:"item"`
	}
	type Receipt struct {
		ID string `json:"id"`
	}
	var placeOrder = socket.AckEvent[Order, Receipt]{Name: "order:place"}

	io := socket.NewServer(nil)
	io.OnConnection(func(s *socket.Socket) {
		placeOrder.On(s, func(ctx context.Context, s *socket.Socket, o Order) (Receipt, error) {
			if o.Item == "" {
				return Receipt{}, errors.New("no item")
			}
			return Receipt{ID: "r-1"}, nil
		})
	})
}

// The server asks one client and waits for its answer, at most a second:
// Node's socket.timeout(1000).emitWithAck(...).
func ExampleSocket_EmitWithAck() {
	io := socket.NewServer(nil)
	io.OnConnection(func(s *socket.Socket) {
		ctx, cancel := context.WithTimeout(s.Context(), time.Second)
		defer cancel()
		args, err := s.EmitWithAck(ctx, "are-you-there")
		if err != nil {
			log.Println("no answer:", err) // context.DeadlineExceeded after a second
			return
		}
		var answer string
		_ = args.Decode(0, &answer)
	})
}

// Broadcasts select sockets by room: To (or In) adds rooms, Except removes
// them; from a socket, the socket itself is left out.
func ExampleBroadcastOperator() {
	io := socket.NewServer(nil)
	io.OnConnection(func(s *socket.Socket) {
		s.Join("room-1", "vip")
		_ = s.To("room-1").Emit("hello", s.ID())                   // room-1 but s
		_ = io.To("room-1").Except("vip").Emit("promo", "10% off") // room-1 but the vip room
		_ = io.Volatile().Emit("tick", time.Now().Unix())          // may be dropped for busy clients

		// Every socket of room-1 answers, or the context ends.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		replies, err := io.To("room-1").EmitWithAck(ctx, "vote")
		var incomplete *socket.AckIncompleteError
		if errors.As(err, &incomplete) {
			fmt.Printf("%d of %d voted\n", incomplete.Received, incomplete.Expected)
		}
		_ = replies
	})
}

// The client bundle, served as a Node server serves it, from the npm
// package: pages load <script src="/socket.io/socket.io.min.js">.
func ExampleOptions_clientFiles() {
	io := socket.NewServer(&socket.Options{
		ClientFiles: os.DirFS("node_modules/socket.io-client/dist"),
	})
	_ = io
}

// Shutdown disconnects every client (net/http's own Shutdown does not close
// hijacked connections such as WebSockets) and waits for handlers to end.
func ExampleServer_Shutdown() {
	io := socket.NewServer(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := io.Shutdown(ctx); err != nil {
		log.Println("shutdown:", err)
	}
}
