package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestMetrics scrapes /metrics after real traffic from the official
// client, two users chatting and one refused, and checks that the figures
// are exactly what the clients did.
func TestMetrics(t *testing.T) {
	t.Parallel()
	srv, d, _, _, room := twoInARoom(t)
	join(t, d, "alice", room.ID)
	join(t, d, "bob", room.ID)
	d.Wait(match{"ev": "event", "client": "alice", "name": "chat:userJoined"}, waitFor)
	d.Emit("bob", "chat:message", map[string]any{"roomId": room.ID, "content": "hi"})
	for _, c := range []string{"alice", "bob"} {
		d.Wait(match{"ev": "event", "client": c, "name": "chat:message"}, waitFor)
	}
	d.Connect("intruder", srv.url, map[string]any{"reconnection": false, "transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect_error", "client": "intruder"}, waitFor)
	d.Disconnect("alice")
	d.Wait(match{"ev": "event", "client": "bob", "name": "chat:userLeft"}, waitFor)

	got := scrapeMetrics(t, srv.url+"/metrics")
	want := map[string]float64{
		`socketio_connections_total`:                                          2,
		`socketio_sockets{namespace="/"}`:                                     1,
		`socketio_disconnections_total{reason="client namespace disconnect"}`: 1,
		`socketio_disconnections_total{reason="transport close"}`:             0,
		`socketio_refusals_total{reason="middleware"}`:                        1,
		// In: 3 CONNECTs, 2 chat:join, 1 chat:message, 1 DISCONNECT.
		`socketio_packets_received_total{transport="websocket"}`: 7,
		// Out: 2 CONNECT replies, 2 × (chat:joined, chat:history),
		// chat:userJoined, 2 chat:message, 1 CONNECT_ERROR, chat:userLeft.
		`socketio_packets_sent_total{transport="websocket"}`:   11,
		`socketio_packets_received_total{transport="polling"}`: 0,
		`socketio_slow_clients_total{direction="outbound"}`:    0,
		`socketio_ack_latency_seconds_count`:                   0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present: %v), want %v", k, g, ok, v)
		}
	}
	if got[`socketio_bytes_received_total{transport="websocket"}`] < float64(len(`2["chat:message",{"roomId":"","content":"hi"}]`)) {
		t.Errorf("bytes received %v", got[`socketio_bytes_received_total{transport="websocket"}`])
	}
}

// scrapeMetrics fetches a Prometheus text exposition and returns its
// samples by "name{labels}".
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}
