package main

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/envivo/socketio/socket"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestMeasureEnvivo runs one small count of the curve against the real
// examples/bench, built and started as the tool does, and checks that
// every figure is there and sane.
func TestMeasureEnvivo(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("the curve reads /proc, which this system lacks")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	repo, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	spec, err := prepareServer(ctx, "envivo", repo, "", work)
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	cfg := config{N: n, Concurrency: 20, Hold: 3 * time.Second, Port: freePort(t), ServerCPU: -1, Run: 7, Work: work}
	res, err := measureCount(ctx, spec, cfg)
	if err != nil {
		t.Fatalf("measureCount: %v\n%+v", err, res)
	}
	line, _ := json.Marshal(res)
	t.Logf("%s", line)
	if res.BcastReceived != n || res.BcastDuplicates != 0 {
		t.Errorf("broadcast reached %d of %d clients, %d duplicates", res.BcastReceived, n, res.BcastDuplicates)
	}
	if res.BcastMillis <= 0 {
		t.Errorf("broadcast time %v ms", res.BcastMillis)
	}
	if res.RSSBeforeKB <= 0 || res.RSSConnectedKB <= 0 || res.RSSPeakKB < res.RSSConnectedKB {
		t.Errorf("RSS before %d kB, connected %d kB, peak %d kB", res.RSSBeforeKB, res.RSSConnectedKB, res.RSSPeakKB)
	}
	if res.ConnectSeconds <= 0 || res.ConnectPerSec <= 0 {
		t.Errorf("connect %v s, %v/s", res.ConnectSeconds, res.ConnectPerSec)
	}
	// Reported, and not lost between the readings: idle connections hold
	// no goroutine on Linux (epoll), one each elsewhere.
	if res.GoroutinesStart == nil || res.GoroutinesEnd == nil {
		t.Error("goroutines not reported")
	} else if *res.GoroutinesEnd <= 0 {
		t.Errorf("goroutines %d .. %d", *res.GoroutinesStart, *res.GoroutinesEnd)
	}
	if res.GCPauseP99 == nil || math.IsNaN(*res.GCPauseP99) || *res.GCPauseP99 < 0 {
		t.Errorf("GC pause p99 %v", res.GCPauseP99)
	}
	if res.HoldSeconds < 3 || res.HeartbeatCPUPct < 0 {
		t.Errorf("hold %v s, CPU %v %%", res.HoldSeconds, res.HeartbeatCPUPct)
	}
	if tb := table([]result{res}); !strings.Contains(tb, "| envivo | 50 |") {
		t.Errorf("table:\n%s", tb)
	}
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestClientsAnswerPings: the clients answer the server's pings, so a
// server with a 200 ms ping interval and a 150 ms timeout keeps them all
// through several pings (a client that did not answer would be dropped
// for a ping timeout after 350 ms).
func TestClientsAnswerPings(t *testing.T) {
	io := socket.NewServer(&socket.Options{EngineOptions: socket.EngineOptions{
		PingInterval: 200 * time.Millisecond, PingTimeout: 150 * time.Millisecond}})
	dropped := make(chan socket.DisconnectReason, 10)
	io.OnConnection(func(s *socket.Socket) {
		s.OnDisconnect(func(_ *socket.Socket, r socket.DisconnectReason) { dropped <- r })
	})
	ts := httptest.NewServer(io)
	defer ts.Close()
	const n = 5
	f := newFleet(n)
	defer f.close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	err := f.connect(context.Background(), url, 2, func(int) net.IP { return net.IPv4(127, 0, 0, 1) })
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-dropped:
		t.Fatalf("a client was dropped: %s", r)
	case <-time.After(time.Second):
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := io.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestMeasureTooMany: a count the descriptor limit cannot hold fails
// before any server starts.
func TestMeasureTooMany(t *testing.T) {
	lim, err := openFilesLimit("self")
	if err != nil || lim > math.MaxInt32 {
		t.Skip("no finite descriptor limit to exceed")
	}
	spec := &serverSpec{kind: "envivo", argv: []string{"false"}}
	_, err = measureCount(context.Background(), spec, config{N: int(lim)})
	if err == nil || !strings.Contains(err.Error(), "descriptors") {
		t.Fatalf("err = %v, want one about descriptors", err)
	}
}

func TestPauseP99(t *testing.T) {
	bounds := []float64{0, 1e-5, 1e-4, 1e-3, 1e300}
	rt := func(c ...uint64) *goRuntime { return &goRuntime{PauseCounts: c, PauseBounds: bounds} }
	for _, tc := range []struct {
		name string
		a, b *goRuntime
		want float64
	}{
		{"no pause", rt(5, 0, 0, 0), rt(5, 0, 0, 0), 0},
		{"all in one bucket", rt(0, 0, 0, 0), rt(0, 10, 0, 0), 1e-4},
		{"tail over 1%", rt(0, 0, 0, 0), rt(98, 0, 2, 0), 1e-3},
		{"tail under 1%", rt(0, 0, 0, 0), rt(999, 0, 1, 0), 1e-5},
		{"difference only", rt(100, 0, 0, 0), rt(100, 0, 0, 3), 1e-3},
		{"mismatch", rt(0, 0), rt(0, 0, 0, 0), math.NaN()},
	} {
		got := pauseP99(tc.a, tc.b)
		if got != tc.want && !(math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCPUListHas(t *testing.T) {
	for _, tc := range []struct {
		list string
		cpu  int
		want bool
	}{{"0-1", 0, true}, {"1", 0, false}, {"1", 1, true}, {"0,2-3", 3, true}, {"2-3", 1, false}} {
		if got := cpuListHas(tc.list, tc.cpu); got != tc.want {
			t.Errorf("cpuListHas(%q, %d) = %v", tc.list, tc.cpu, got)
		}
	}
}
