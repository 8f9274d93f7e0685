// Command hello is the smallest complete envivo server: a page whose
// socket.io-client sends its name and gets a greeting back as the
// acknowledgement, while everyone else is told who arrived.
//
//	go run ./examples/hello   # then open http://localhost:3000 in two tabs
//
// It listens on $PORT when set, as the other examples do.
package main

import (
	"cmp"
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/envivo/socketio/socket"
)

// Hello is what a client sends; Greeting what it gets back.
type (
	Hello struct {
		Name string `json:"name"`
	}
	Greeting struct {
		Text string `json:"text"`
	}
)

var (
	SayHello = socket.AckEvent[Hello, Greeting]{Name: "hello"} // client to server, acknowledged
	Arrived  = socket.Event[Greeting]{Name: "arrived"}         // server to clients
)

// newServer returns the socket.io server and the handler of the page and of
// socket.io.
func newServer() (*socket.Server, http.Handler) {
	io := socket.NewServer(nil)
	io.OnConnection(func(s *socket.Socket) {
		SayHello.On(s, func(ctx context.Context, s *socket.Socket, in Hello) (Greeting, error) {
			if in.Name == "" {
				return Greeting{}, errors.New("say your name")
			}
			_ = Arrived.Emit(s.Broadcast(), Greeting{Text: in.Name + " arrived"}) // everyone but s
			return Greeting{Text: "Hello, " + in.Name + "!"}, nil
		})
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(page)) })
	return io, mux
}

func main() {
	io, handler := newServer()
	port := cmp.Or(os.Getenv("PORT"), "3000")
	srv := &http.Server{Addr: ":" + port, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = io.Shutdown(ctx) // disconnects the clients: net/http does not close WebSockets
		_ = srv.Shutdown(ctx)
	}()
	log.Println("hello: open http://localhost:" + port)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// page loads socket.io-client from the jsDelivr CDN (see the README for
// serving it yourself with socket.Options.ClientFiles).
const page = `<!doctype html><meta charset="utf-8"><title>hello</title>
<script src="https://cdn.jsdelivr.net/npm/socket.io-client@4.8.4/dist/socket.io.min.js"></script>
<pre id="log"></pre>
<script>
  const log = (text) => (document.getElementById("log").textContent += text + "\n");
  const socket = io();
  socket.on("arrived", (g) => log(g.text));
  socket.emit("hello", { name: prompt("Your name?") || "" }, (reply) => log(reply.text || reply.error));
</script>
`
