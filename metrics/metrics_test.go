package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/skipnote"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/metrics"
	"github.com/envivo/socketio/socket"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m))
}

const waitFor = 10 * time.Second

type match = nodepeer.Match

// TestCollector drives the official client through a known session and
// checks that a scrape reports exactly it.
func TestCollector(t *testing.T) {
	peer := nodepeer.Require(t)
	srv := socket.NewServer(nil)
	acked := make(chan error, 1)
	srv.OnConnection(func(s *socket.Socket) {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := s.EmitWithAck(ctx, "question")
			acked <- err
		}()
	})
	srv.Of("/secure").Use(func(context.Context, *socket.Socket) error {
		return &socket.ConnectError{Message: "no"}
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewCollector(srv, &metrics.Options{ConstLabels: prometheus.Labels{"server": "a"}}))
	url := sockettest.Serve(t, srv, srv)

	d := peer.Client(t)
	d.Connect("c", url, map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "c"}, waitFor)
	q := d.Wait(match{"ev": "event", "client": "c", "name": "question"}, waitFor)
	d.Ack("c", q.Int("ackRef"), "ok")
	select {
	case err := <-acked:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("no ack")
	}
	if got := scrape(t, reg)[`socketio_sockets{namespace="/",server="a"}`]; got != 1 {
		t.Fatalf("sockets on / while connected = %v", got)
	}
	for range 3 {
		d.Emit("c", "hello", "world")
	}
	d.Send(map[string]any{"cmd": "connect", "client": "s", "manager": "c", "nsp": "/secure"})
	d.Wait(match{"ev": "connect_error", "client": "s"}, waitFor)
	d.Disconnect("c")
	deadline := time.Now().Add(waitFor)
	for scrape(t, reg)[`socketio_connections_total{server="a"}`] != 1 ||
		scrape(t, reg)[`socketio_disconnections_total{reason="client namespace disconnect",server="a"}`] != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the disconnect was not counted")
		}
		time.Sleep(10 * time.Millisecond)
	}

	got := scrape(t, reg)
	want := map[string]float64{
		`socketio_sockets{namespace="/",server="a"}`:               0,
		`socketio_refusals_total{reason="middleware",server="a"}`:  1,
		`socketio_refusals_total{reason="bad_request",server="a"}`: 0,
		// In: CONNECT, the ack, 3 events, CONNECT /secure, DISCONNECT.
		`socketio_packets_received_total{server="a",transport="websocket"}`: 7,
		// Out: the CONNECT reply, the question, the CONNECT_ERROR.
		`socketio_packets_sent_total{server="a",transport="websocket"}`:   3,
		`socketio_packets_received_total{server="a",transport="polling"}`: 0,
		`socketio_bytes_received_total{server="a",transport="polling"}`:   0,
		`socketio_slow_clients_total{direction="outbound",server="a"}`:    0,
		`socketio_ack_latency_seconds_count{server="a"}`:                  1,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if got[`socketio_bytes_received_total{server="a",transport="websocket"}`] <= 0 {
		t.Error("no bytes received counted")
	}
	if got[`socketio_ack_latency_seconds_sum{server="a"}`] <= 0 {
		t.Error("ack latency sum is 0")
	}
}

// scrape gathers reg into a map from "name{labels}" (labels sorted by
// name, as Prometheus sorts them) to value; histograms give _count and
// _sum.
func scrape(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]float64)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := ""
			for _, l := range m.GetLabel() {
				if labels != "" {
					labels += ","
				}
				labels += l.GetName() + `="` + l.GetValue() + `"`
			}
			key := func(suffix string) string { return f.GetName() + suffix + "{" + labels + "}" }
			switch {
			case m.GetCounter() != nil:
				out[key("")] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[key("")] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}
