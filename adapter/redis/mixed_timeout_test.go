package redisadapter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/socket"
)

// TestMixedServerSideEmitTimeout: a server-side emit with ack that a node
// never answers ends the same way on either side of a mixed cluster. Node's
// serverSideEmitWithAck to a Go handler that does not reply rejects after
// its requestsTimeout, with "timeout reached: only 0 responses received
// out of 1" and the responses so far (none); Go's ServerSideEmitWithAck to a Node server with no handler for the event
// ends at its ctx's deadline with an *AckIncompleteError of 0 out of 1,
// wrapping context.DeadlineExceeded, while the event did reach Node.
func TestMixedServerSideEmitTimeout(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, m := range []mode{{name: "classic"}, {name: "sharded-dynamic", sharded: true, sub: Dynamic}} {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			c := newMixedCluster(t, peer, m)
			got := make(chan struct{}, 1)
			c.goNode.srv.OnServerEvent("go-silent", func(_ socket.Args, ack socket.AckFunc) {
				if ack != nil {
					got <- struct{}{} // asked for an answer, and never given one
				}
			})

			ref := c.start(map[string]any{"op": "sseAck", "event": "go-silent"})
			select {
			case <-got:
			case <-time.After(waitFor):
				t.Fatal("Node's serverSideEmitWithAck never reached the Go handler")
			}
			ev := c.d.Wait(match{"ev": "ack", "ref": ref}, waitFor)
			r, _ := ev.Args()[0].(map[string]any)
			msg, _ := r["error"].(string)
			if res, _ := r["result"].([]any); r["ok"] != false || len(res) != 0 ||
				!strings.Contains(msg, "timeout reached: only 0 responses received out of 1") {
				t.Errorf("Node's serverSideEmitWithAck = %v, want its timeout error", r)
			}

			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			replies, err := c.goNode.srv.ServerSideEmitWithAck(ctx, "node-silent", "x")
			var incomplete *socket.AckIncompleteError
			if !errors.As(err, &incomplete) || incomplete.Expected != 1 || incomplete.Received != 0 ||
				len(replies) != 0 || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("ServerSideEmitWithAck = %v, %v; want 0 of 1 at the deadline", replies, err)
			}
			if args := c.expect(t, "server-event", "n"); len(args) != 2 || args[0] != "node-silent" {
				t.Errorf("Node got %v", args)
			}
		})
	}
}
