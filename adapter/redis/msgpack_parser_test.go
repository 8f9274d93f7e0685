package redisadapter

import (
	"bytes"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
)

// TestMsgpackParserAcrossServers: two servers speaking the msgpack parser
// share rooms through Redis; a broadcast from one, with binary data,
// reaches a socket.io-msgpack-parser client of the other, and that
// client's ack comes back across Redis.
func TestMsgpackParserAcrossServers(t *testing.T) {
	peer := nodepeer.Require(t)
	r := startRedis(t)
	joined := make(chan struct{}, 1)
	nodes := make([]*testNode, 2)
	for i := range nodes {
		srv := socket.NewServer(&socket.Options{Parser: socket.MsgpackParser, Adapter: New(newClient(t, r), nil)})
		srv.OnConnection(func(s *socket.Socket) {
			s.Join("room")
			joined <- struct{}{}
		})
		nodes[i] = &testNode{srv: srv, url: sockettest.Serve(t, srv, srv)}
	}
	waitServerCount(t, 2, nodes...)
	d := peer.Client(t)
	d.Connect("c", nodes[1].url, map[string]any{"parser": "msgpack", "transports": []string{"websocket"}})
	d.Wait(nodepeer.Match{"ev": "connect", "client": "c"}, 10*time.Second)
	<-joined

	if err := nodes[0].srv.To("room").Emit("news", "hi", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	e := d.Wait(nodepeer.Match{"ev": "event", "name": "news"}, 10*time.Second)
	if b, ok := nodepeer.DecodeBin(e.Args()[1]); e.Args()[0] != "hi" || !ok || !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Fatalf("broadcast arrived as %v", e.Args())
	}

	replies := make(chan []socket.Args, 1)
	go func() {
		got, err := nodes[0].srv.To("room").EmitWithAck(ctxT(t, 10*time.Second), "vote", []byte{4})
		if err != nil {
			t.Errorf("EmitWithAck: %v", err)
		}
		replies <- got
	}()
	q := d.Wait(nodepeer.Match{"ev": "event", "name": "vote"}, 10*time.Second)
	// Across servers, a client's ack carries its first argument only, as
	// with Node's adapters.
	d.Ack("c", q.Int("ackRef"), map[string]any{"vote": "yes", "sig": nodepeer.Bin([]byte{5})})
	select {
	case got := <-replies:
		var v struct {
			Vote string
			Sig  []byte
		}
		if len(got) != 1 || got[0].Decode(0, &v) != nil || v.Vote != "yes" || !bytes.Equal(v.Sig, []byte{5}) {
			t.Fatalf("acks = %v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ack across servers")
	}
}
