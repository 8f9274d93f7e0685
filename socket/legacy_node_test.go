package socket

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestLegacyLikeNode runs one socket.io-client 2.x scenario against Node's
// socket.io 4.8 with allowEIO3 (testdata/node/server.js) and against
// envivo configured the same way, and requires the client to see the same
// things from both: the ids, the acks, the refusals.
func TestLegacyLikeNode(t *testing.T) {
	peer := nodepeer.Require(t)
	for _, tr := range legacyTransports[:2] { // websocket, polling
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			port := peer.Server(t, "server.js", map[string]string{"ALLOW_EIO3": "1"})
			node := legacyScenario(t, peer, fmt.Sprintf("http://127.0.0.1:%d", port), tr.opts)
			ours := legacyScenario(t, peer, serve(t, nodeLikeServer()), tr.opts)
			if node != ours {
				t.Errorf("socket.io-client 2.x saw\n  from Node:   %s\n  from envivo: %s", node, ours)
			}
		})
	}
}

// nodeLikeServer is envivo doing what server.js does, for what the
// scenario uses.
func nodeLikeServer() *Server {
	srv := legacyServer()
	echo := func(s *Socket) {
		s.OnEvent("echo", func(s *Socket, args Args, ack AckFunc) {
			if ack != nil {
				_ = ack(args.Values()...)
			}
		})
	}
	srv.OnConnection(echo)
	chat := srv.Of("/chat")
	chat.Use(func(ctx context.Context, s *Socket) error {
		var a struct{ Token string }
		if err := s.Handshake().DecodeAuth(&a); err != nil || a.Token != "good" {
			return &ConnectError{Message: "unauthorized", Data: map[string]any{"code": 401}}
		}
		return nil
	})
	chat.OnConnection(echo)
	return srv
}

// legacyScenario returns what 2.x clients observed, ids reduced to their
// form.
func legacyScenario(t *testing.T, peer *nodepeer.Peer, url string, opts map[string]any) string {
	d := peer.Client(t)
	var seen []string
	note := func(e nodepeer.Event, keys ...string) {
		parts := []string{e.String("ev")}
		for _, k := range keys {
			b, _ := json.Marshal(e[k])
			parts = append(parts, k+"="+string(b))
		}
		seen = append(seen, strings.Join(parts, " "))
	}
	d.ConnectV2("root", url, opts)
	root := d.Wait(match{"ev": "connect", "client": "root"}, waitFor).String("id")
	seen = append(seen, fmt.Sprintf("root id of %d characters", len(root)))
	d.EmitWithAck("root", "r1", "echo", 0, "é", nodepeer.Bin([]byte{0, 255}), map[string]any{"k": []any{1, nil}})
	note(d.Wait(match{"ev": "ack", "ref": "r1"}, waitFor), "args")

	// One connection each: a 2.x Manager keeps one socket per namespace,
	// refused or not.
	with := func(extra map[string]any) map[string]any {
		o := map[string]any{"reconnection": false}
		for k, v := range opts {
			o[k] = v
		}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	d.ConnectV2("bad", url+"/chat", with(map[string]any{"query": map[string]any{"token": "bad"}}))
	note(d.Wait(match{"ev": "socket_error", "client": "bad"}, waitFor), "data")
	d.ConnectV2("good", url+"/chat", with(map[string]any{"query": map[string]any{"token": "good"}}))
	id := d.Wait(match{"ev": "connect", "client": "good"}, waitFor).String("id")
	seen = append(seen, fmt.Sprintf("chat id %q...", id[:6]))
	d.EmitWithAck("good", "r2", "echo", 0, nodepeer.Bin([]byte{1}))
	note(d.Wait(match{"ev": "ack", "ref": "r2"}, waitFor), "args")
	d.ConnectV2("nowhere", url+"/nowhere", with(nil))
	note(d.Wait(match{"ev": "socket_error", "client": "nowhere"}, waitFor), "data")
	return strings.Join(seen, "; ")
}

// TestLegacyWireLikeNode compares the raw Engine.IO v3 polling exchange
// with Node's: the handshake's open packet (sid aside) and Content-Type,
// then what a client's ping brings (the implicit "/" CONNECT and the pong).
func TestLegacyWireLikeNode(t *testing.T) {
	peer := nodepeer.Require(t)
	port := peer.Server(t, "server.js", map[string]string{"ALLOW_EIO3": "1"})
	node := legacyWire(t, fmt.Sprintf("http://127.0.0.1:%d", port))
	ours := legacyWire(t, serve(t, nodeLikeServer()))
	if node != ours {
		t.Errorf("v3 polling exchange\n  with Node:   %s\n  with envivo: %s", node, ours)
	}
}

func legacyWire(t *testing.T, base string) string {
	url := base + "/socket.io/?EIO=3&transport=polling"
	get := func(u string) (string, string) {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b), res.Header.Get("Content-Type")
	}
	body, ctype := get(url)
	var open struct{ SID string }
	n, rest, _ := strings.Cut(body, ":")
	size, _ := strconv.Atoi(n)
	if len(rest) < size || json.Unmarshal([]byte(rest[1:size]), &open) != nil {
		t.Fatalf("handshake %q", body)
	}
	out := fmt.Sprintf("%s (%s)", strings.Replace(body[:len(n)+1+size], open.SID, "<sid>", 1), ctype)
	later := rest[size:]
	url += "&sid=" + open.SID
	res, err := http.Post(url, "text/plain;charset=UTF-8", strings.NewReader("1:2"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for i := 0; !strings.HasSuffix(later, "1:3"); i++ {
		if i == 3 {
			t.Fatalf("no pong in %q", later)
		}
		b, _ := get(url)
		later += b
	}
	return out + " then " + later
}
