package adapter

import (
	"testing"

	"github.com/envivo/socketio/socket"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	var g registry
	fetch := newRequest(FetchRequest, 2)
	g.add("f", fetch)
	if g.update("f", EmitRequest, true, nil) != nil {
		t.Error("update of the wrong kind applied")
	}
	g.update("f", FetchRequest, true, nil)
	g.update("f", FetchRequest, true, nil)
	select {
	case <-fetch.done:
	default:
		t.Error("fetch not done after 2 answers")
	}
	if _, open := g.kindOf("f"); !open {
		t.Error("a fetch stays open until its asker removes it")
	}
	bc := newRequest(BroadcastRequest, 1)
	released := false
	bc.release = func() { released = true }
	g.add("b", bc)
	g.update("b", BroadcastRequest, false, func(r *request) { r.acked++ })
	g.update("b", BroadcastRequest, true, func(r *request) { r.clients += 2 })
	if _, open := g.kindOf("b"); !open || released {
		t.Error("broadcast closed before every ack arrived")
	}
	g.update("b", BroadcastRequest, false, func(r *request) { r.acked++ })
	if _, open := g.kindOf("b"); open || !released {
		t.Error("broadcast still open after every ack arrived")
	}
	if !g.remove("f") || g.remove("f") {
		t.Error("remove should report whether the request was open")
	}
}

// TestFirstArg: answers carry the first argument alone, as Node's
// adapters forward it.
func TestFirstArg(t *testing.T) {
	t.Parallel()
	two, err := NewArgs([]byte(`[{"b":{"_placeholder":true,"num":0}},"second"]`), [][]byte{{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	first := firstArg(two)
	var got struct{ B []byte }
	if first.Len() != 1 || first.Decode(0, &got) != nil || string(got.B) != "\x01\x02" {
		t.Errorf("firstArg = %v", first.Values())
	}
	if none := firstArg(socket.Args{}); none.Len() != 0 {
		t.Errorf("firstArg of no argument has %d", none.Len())
	}
}
