package socket

// The members of Node's server API that envivo added for porting Node
// servers, each checked against the official client and, where Node's
// behaviour is what to match, against a Node server running the same
// scenario (testdata/node/nodeapi-server.js).

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// nodeAPIServer is the Go twin of testdata/node/nodeapi-server.js.
func nodeAPIServer(t *testing.T) string {
	srv := NewServer(nil)
	srv.OnConnection(func(s *Socket) {
		s.Use(func(s *Socket, event string, _ Args, ack AckFunc) error {
			switch {
			case event == "forbidden":
				return errors.New("unauthorized event")
			case event == "denied" && ack != nil:
				_ = ack(map[string]string{"error": "denied"})
				return errors.New("denied event")
			}
			return nil
		})
		s.OnError(func(s *Socket, err error) { _ = s.Emit("rejected", err.Error()) })
		reply := func(v ...any) Handler {
			return func(_ *Socket, _ Args, ack AckFunc) { _ = ack(v...) }
		}
		s.OnEvent("allowed", reply("ok"))
		s.OnEvent("forbidden", reply("ran"))
		s.OnEvent("denied", reply("ran"))
		s.OnEvent("off", func(s *Socket, _ Args, ack AckFunc) {
			s.Off("allowed")
			_ = ack("done")
		})
		room := func(args Args) string {
			var r string
			_ = args.Decode(0, &r)
			return r
		}
		s.OnEvent("join-all", func(s *Socket, args Args, ack AckFunc) {
			_ = srv.SocketsJoin(s.Context(), room(args))
			_ = ack()
		})
		s.OnEvent("emit-room", func(s *Socket, args Args, _ AckFunc) { _ = srv.To(room(args)).Emit("in-room", room(args)) })
		s.OnEvent("leave-all", func(s *Socket, args Args, ack AckFunc) {
			_ = srv.SocketsLeave(s.Context(), room(args))
			_ = ack()
		})
		s.OnEvent("disconnect-room", func(s *Socket, args Args, _ AckFunc) {
			_ = srv.In(room(args)).DisconnectSockets(s.Context())
		})
		s.OnEvent("close-server", func(*Socket, Args, AckFunc) {
			go func() { // Shutdown waits for the handlers, this one included
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(ctx)
			}()
		})
	})
	return serve(t, srv)
}

// bothServers runs f against envivo and against Node running the same
// scenario: what the client sees must be the same.
func bothServers(t *testing.T, f func(t *testing.T, d *nodepeer.Driver, url string)) {
	peer := nodepeer.Require(t)
	for _, impl := range []string{"envivo", "node"} {
		t.Run(impl, func(t *testing.T) {
			t.Parallel()
			var url string
			if impl == "envivo" {
				url = nodeAPIServer(t)
			} else {
				url = fmt.Sprintf("http://127.0.0.1:%d", peer.Server(t, "nodeapi-server.js", nil))
			}
			f(t, peer.Client(t), url)
		})
	}
}

// TestNodeAPIPacketMiddleware: an event that Socket.Use refuses is not
// handled nor acknowledged (unless the middleware answers the ack itself);
// the error reaches the server-side socket's error handler, not the
// client, and the connection stays up, as in Node.
func TestNodeAPIPacketMiddleware(t *testing.T) {
	bothServers(t, func(t *testing.T, d *nodepeer.Driver, url string) {
		d.Connect("c", url, map[string]any{"transports": []string{"websocket"}})
		d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
		d.EmitWithAck("c", "f", "forbidden", 500*time.Millisecond)
		d.Wait(match{"ev": "ack_error", "ref": "f"}, waitFor)
		ev := d.Wait(match{"ev": "event", "name": "rejected"}, waitFor)
		if args := ev.Args(); len(args) != 1 || args[0] != "unauthorized event" {
			t.Errorf("rejected %v, want the middleware's error", args)
		}
		// A middleware that answers the ack itself: the client gets its
		// answer, not the handler's.
		d.EmitWithAck("c", "d", "denied", 0)
		if args := d.Wait(match{"ev": "ack", "ref": "d"}, waitFor).Args(); len(args) != 1 ||
			fmt.Sprint(args[0]) != "map[error:denied]" {
			t.Errorf("denied acked %v, want the middleware's answer", args)
		}
		d.Wait(match{"ev": "event", "name": "rejected", "args": []any{"denied event"}}, waitFor)
		d.EmitWithAck("c", "a", "allowed", 0)
		if args := d.Wait(match{"ev": "ack", "ref": "a"}, waitFor).Args(); len(args) != 1 || args[0] != "ok" {
			t.Errorf("allowed acked %v", args)
		}
		d.Never(match{"ev": "disconnect"}, 100*time.Millisecond)
	})
}

// TestNodeAPIOff: after Off (Node's removeAllListeners(event)) the event
// has no handler: its ack request stays unanswered.
func TestNodeAPIOff(t *testing.T) {
	bothServers(t, func(t *testing.T, d *nodepeer.Driver, url string) {
		d.Connect("c", url, map[string]any{"transports": []string{"polling"}})
		d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
		d.EmitWithAck("c", "a1", "allowed", 0)
		d.Wait(match{"ev": "ack", "ref": "a1"}, waitFor)
		d.EmitWithAck("c", "off", "off", 0)
		d.Wait(match{"ev": "ack", "ref": "off"}, waitFor)
		d.EmitWithAck("c", "a2", "allowed", 500*time.Millisecond)
		d.Wait(match{"ev": "ack_error", "ref": "a2"}, waitFor)
	})
}

// TestNodeAPISelections: SocketsJoin, SocketsLeave and DisconnectSockets
// on the server and on a room selection, as Node's io.socketsJoin,
// io.socketsLeave and io.in(room).disconnectSockets.
func TestNodeAPISelections(t *testing.T) {
	bothServers(t, func(t *testing.T, d *nodepeer.Driver, url string) {
		for _, c := range []string{"c1", "c2"} {
			d.Connect(c, url, map[string]any{"transports": []string{"websocket"}})
			d.Wait(match{"ev": "connect", "client": c}, waitFor)
		}
		d.EmitWithAck("c1", "j", "join-all", 0, "r")
		d.Wait(match{"ev": "ack", "ref": "j"}, waitFor)
		d.Emit("c2", "emit-room", "r")
		for _, c := range []string{"c1", "c2"} {
			d.Wait(match{"ev": "event", "client": c, "name": "in-room", "args": []any{"r"}}, waitFor)
		}
		d.EmitWithAck("c2", "l", "leave-all", 0, "r")
		d.Wait(match{"ev": "ack", "ref": "l"}, waitFor)
		d.Emit("c2", "emit-room", "r")
		d.Never(match{"ev": "event", "name": "in-room"}, 200*time.Millisecond)
		d.EmitWithAck("c1", "j2", "join-all", 0, "r2")
		d.Wait(match{"ev": "ack", "ref": "j2"}, waitFor)
		d.Emit("c1", "disconnect-room", "r2")
		for _, c := range []string{"c1", "c2"} {
			d.Wait(match{"ev": "disconnect", "client": c, "reason": "io server disconnect"}, waitFor)
		}
	})
}

// TestNodeAPIClose: Shutdown is Node's io.close(): the client loses its
// connection with the reason Node's gives it.
func TestNodeAPIClose(t *testing.T) {
	bothServers(t, func(t *testing.T, d *nodepeer.Driver, url string) {
		d.Connect("c", url, map[string]any{"transports": []string{"websocket"}, "reconnection": false})
		d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
		d.Emit("c", "close-server")
		ev := d.Wait(match{"ev": "disconnect", "client": "c"}, waitFor)
		t.Logf("disconnect: %v", ev)
		if r := ev.String("reason"); r != "transport close" {
			t.Errorf("reason %q, want transport close", r)
		}
	})
}
