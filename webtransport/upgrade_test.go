package webtransport

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/envivo/socketio/socket"
)

// pollingHandshake opens a polling session on ts and returns its sid and
// the upgrades it is offered.
func pollingHandshake(t *testing.T, ts *testServer) (string, []string) {
	t.Helper()
	body, status := get(t, ts.httpURL+"/socket.io/?EIO=4&transport=polling")
	var open struct {
		SID      string   `json:"sid"`
		Upgrades []string `json:"upgrades"`
	}
	if status != http.StatusOK || !strings.HasPrefix(body, "0") || json.Unmarshal([]byte(body[1:]), &open) != nil {
		t.Fatalf("polling handshake: %d %q", status, body)
	}
	return open.SID, open.Upgrades
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	rsp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	return string(b), rsp.StatusCode
}

// TestGoClientUpgrade: a polling session is offered both upgrades, in
// Node's order; a WebTransport stream that opens with its sid, probes
// ("2probe", "3probe") and sends "5" becomes its transport, after which
// polling requests get 400 and a second upgrade of the sid is closed.
func TestGoClientUpgrade(t *testing.T) {
	srv := socket.NewServer(withWebTransport(socket.Polling, socket.WebSocket))
	rec := record(srv)
	ts := startServer(t, srv)
	sid, upgrades := pollingHandshake(t, ts)
	if !slices.Equal(upgrades, []string{"websocket", "webtransport"}) {
		t.Fatalf("upgrades %q", upgrades)
	}
	c, _ := dial(t, ts, "EIO=4&transport=webtransport&sid="+sid)
	c.sendText(`0{"sid":"` + sid + `"}`)
	c.sendText("2probe")
	if p, _ := c.next(); p != "3probe" {
		t.Fatalf("probe answered %q", p)
	}
	c.sendText("5")
	c.sendText("40")
	if p, _ := c.next(); !strings.HasPrefix(p, `40{"sid":"`) {
		t.Fatalf("CONNECT answered %q over WebTransport", p)
	}
	if got := wait(t, rec.transports); got != socket.WebTransport {
		t.Fatalf("the socket's transport is %q", got)
	}
	if body, status := get(t, ts.httpURL+"/socket.io/?EIO=4&transport=polling&sid="+sid); status != http.StatusBadRequest {
		t.Fatalf("polling after the upgrade: %d %q", status, body)
	}
	again, _ := dial(t, ts, "")
	again.sendText(`0{"sid":"` + sid + `"}`)
	if !again.closed() {
		t.Fatal("a second upgrade of the session stayed open")
	}
	c.sendText(`421["echo","still here"]`)
	if p, _ := c.next(); p != `431["still here"]` {
		t.Fatalf("ack %q", p)
	}
}
