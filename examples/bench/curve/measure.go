package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// config is one count's load.
type config struct {
	N           int           // clients
	Concurrency int           // dials in flight
	Hold        time.Duration // how long all N are held idle
	Port        int           // the server's port
	ServerCPU   int           // the CPU the server is pinned to; none if < 0
	Run         int           // the count's index in this run: picks the clients' source addresses
	Work        string        // directory for the server's log
}

// result is one count's figures, one JSON line of output. Figures that a
// server cannot give (the Go runtime's, for Node) are null.
type result struct {
	Server          string   `json:"server"`
	N               int      `json:"n"`
	ConnectSeconds  float64  `json:"connect_s"`
	ConnectPerSec   float64  `json:"connect_per_s"`
	ToolConnectCPU  float64  `json:"tool_cpu_pct_connect"`
	RSSBeforeKB     int64    `json:"rss_before_kb"`
	RSSConnectedKB  int64    `json:"rss_connected_kb"`
	RSSPeakKB       int64    `json:"rss_peak_kb"`
	RSSPerConn      float64  `json:"rss_per_conn_bytes"`
	PeakRSSPerConn  float64  `json:"peak_rss_per_conn_bytes"`
	GoroutinesStart *int64   `json:"goroutines_hold_start"`
	GoroutinesEnd   *int64   `json:"goroutines_hold_end"`
	GCCycles        *int64   `json:"gc_cycles_hold"`
	GCPauseP99      *float64 `json:"gc_pause_p99_s"`
	HoldSeconds     float64  `json:"hold_s"`
	HeartbeatCPUPct float64  `json:"heartbeat_cpu_pct"`
	BcastMillis     float64  `json:"bcast_ms"`
	BcastReceived   int64    `json:"bcast_received"`
	BcastDuplicates int64    `json:"bcast_duplicates"`
	BcastRSSKB      int64    `json:"bcast_rss_before_kb"`
	BcastExtraKB    int64    `json:"bcast_extra_kb"`
	Error           string   `json:"error,omitempty"`
}

// measureCount starts a fresh server from spec, measures cfg.N clients
// against it, kills the server, then closes the clients. Figures measured
// before an error stay in the result.
func measureCount(ctx context.Context, spec *serverSpec, cfg config) (res result, err error) {
	res = result{Server: spec.kind, N: cfg.N}
	if lim, err := openFilesLimit("self"); err != nil || lim < int64(cfg.N)+100 {
		return res, fmt.Errorf("this process may open %d descriptors (%v), %d clients need %d", lim, err, cfg.N, cfg.N+100)
	}
	p, err := spec.start(ctx, cfg.Port, cfg.ServerCPU, filepath.Join(cfg.Work, fmt.Sprintf("%s-%d.log", spec.kind, cfg.N)))
	if err != nil {
		return res, err
	}
	f := newFleet(cfg.N)
	defer func() {
		p.stop() // first, so that the server's side keeps the TIME_WAIT states
		f.close()
	}()
	if lim, err := openFilesLimit(strconv.Itoa(p.pid)); err != nil || lim < int64(cfg.N)+100 {
		return res, fmt.Errorf("the server may open %d descriptors (%v), %d clients need %d", lim, err, cfg.N, cfg.N+100)
	}
	if err := connectPhase(ctx, p, f, cfg, &res); err != nil {
		return res, err
	}
	if err := holdPhase(ctx, p, cfg.Hold, &res); err != nil {
		return res, err
	}
	return res, broadcastPhase(ctx, p, f, &res)
}

// connectPhase reads the server's RSS before any client, resets its peak,
// connects every client, and reads the RSS again.
func connectPhase(ctx context.Context, p *proc, f *fleet, cfg config, res *result) error {
	if err := sleep(ctx, 500*time.Millisecond); err != nil { // let the server settle
		return err
	}
	var err error
	if res.RSSBeforeKB, err = p.statusKB("VmRSS"); err != nil {
		return err
	}
	if err := p.resetPeak(); err != nil {
		return fmt.Errorf("resetting VmHWM: %w", err)
	}
	url := fmt.Sprintf("ws://127.0.0.1:%d/socket.io/?EIO=4&transport=websocket", cfg.Port)
	src := func(i int) net.IP { return net.IPv4(127, byte(1+cfg.Run%250), 0, byte(1+i/10000)) }
	start := time.Now()
	tool0, _ := cpuTicks("self")
	if err := f.connect(ctx, url, cfg.Concurrency, src); err != nil {
		return err
	}
	d := time.Since(start)
	tool1, _ := cpuTicks("self")
	res.ConnectSeconds = d.Seconds()
	res.ConnectPerSec = float64(cfg.N) / d.Seconds()
	res.ToolConnectCPU = float64(tool1-tool0) / clockTicks() / d.Seconds() * 100
	if res.RSSConnectedKB, err = p.statusKB("VmRSS"); err != nil {
		return err
	}
	res.RSSPerConn = perConn(res.RSSConnectedKB-res.RSSBeforeKB, cfg.N)
	return nil
}

// holdPhase holds every client idle for hold, taking the server's CPU
// time and, for Go, its runtime figures at both ends, then its peak RSS
// since connectPhase reset it.
func holdPhase(ctx context.Context, p *proc, hold time.Duration, res *result) error {
	rt0, err := p.runtime()
	if err != nil {
		return err
	}
	start := time.Now()
	t0, err := p.cpuTicks()
	if err != nil {
		return err
	}
	if err := sleep(ctx, hold); err != nil {
		return err
	}
	t1, err := p.cpuTicks()
	if err != nil {
		return err
	}
	res.HoldSeconds = time.Since(start).Seconds()
	res.HeartbeatCPUPct = float64(t1-t0) / clockTicks() / res.HoldSeconds * 100
	rt1, err := p.runtime()
	if err != nil {
		return err
	}
	if rt0 != nil && rt1 != nil {
		cycles, p99 := rt1.GCCycles-rt0.GCCycles, pauseP99(rt0, rt1)
		res.GoroutinesStart, res.GoroutinesEnd, res.GCCycles, res.GCPauseP99 = &rt0.Goroutines, &rt1.Goroutines, &cycles, &p99
	}
	if res.RSSPeakKB, err = p.statusKB("VmHWM"); err != nil {
		return err
	}
	res.PeakRSSPerConn = perConn(res.RSSPeakKB-res.RSSBeforeKB, res.N)
	return nil
}

// broadcastPhase joins every client to "all", waiting for each ack, then
// has the first client emit bcast("all", 1 KB) and times the moment the
// last client receives "msg". The extra memory is the server's peak RSS
// during the broadcast over its RSS before it.
func broadcastPhase(ctx context.Context, p *proc, f *fleet, res *result) error {
	for _, c := range f.clients {
		if err := c.send(`421["join","all"]`); err != nil {
			return fmt.Errorf("join: %w", err)
		}
	}
	if err := wait(ctx, f.joinedAll, time.Minute); err != nil {
		return fmt.Errorf("join acks: %d of %d: %w", f.joined.Load(), f.n, err)
	}
	var err error
	if res.BcastRSSKB, err = p.statusKB("VmRSS"); err != nil {
		return err
	}
	if err := p.resetPeak(); err != nil {
		return err
	}
	start := time.Now()
	if err := f.clients[0].send(`42["bcast","all","` + strings.Repeat("x", 1024) + `"]`); err != nil {
		return fmt.Errorf("bcast: %w", err)
	}
	waitErr := wait(ctx, f.gotAll, time.Minute)
	if waitErr == nil {
		res.BcastMillis = float64(f.lastAt.Load()-start.UnixNano()) / 1e6
		waitErr = sleep(ctx, 500*time.Millisecond) // room for a duplicate to show
	}
	res.BcastReceived = f.got.Load()
	for _, c := range f.clients {
		res.BcastDuplicates += max(int64(c.msgs.Load())-1, 0)
	}
	hwm, err := p.statusKB("VmHWM")
	res.BcastExtraKB = hwm - res.BcastRSSKB
	switch {
	case waitErr != nil:
		return fmt.Errorf("broadcast: %d of %d received: %w", res.BcastReceived, f.n, waitErr)
	case res.BcastDuplicates > 0:
		return fmt.Errorf("broadcast: %d duplicate deliveries", res.BcastDuplicates)
	}
	return err
}

// pauseP99 returns the upper bound of the bucket that holds the 99th
// percentile of the GC pauses between a and b, or 0 without a pause.
func pauseP99(a, b *goRuntime) float64 {
	if len(a.PauseCounts) != len(b.PauseCounts) || len(b.PauseBounds) != len(b.PauseCounts)+1 {
		return math.NaN()
	}
	var total uint64
	d := make([]uint64, len(b.PauseCounts))
	for i := range d {
		d[i] = b.PauseCounts[i] - a.PauseCounts[i]
		total += d[i]
	}
	if total == 0 {
		return 0
	}
	target, cum := uint64(math.Ceil(0.99*float64(total))), uint64(0)
	for i, n := range d {
		if cum += n; cum >= target {
			if hi := b.PauseBounds[i+1]; hi < 1e300 {
				return hi
			}
			return b.PauseBounds[i]
		}
	}
	return math.NaN()
}

func perConn(kb int64, n int) float64 { return float64(kb) * 1024 / float64(n) }

// clockTicks is the unit of /proc/PID/stat's times (USER_HZ).
func clockTicks() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if hz, perr := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil && perr == nil && hz > 0 {
		return hz
	}
	return 100
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// wait waits for ch to be closed, for up to timeout.
func wait(ctx context.Context, ch <-chan struct{}, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return errors.New("timed out after " + timeout.String())
	case <-ctx.Done():
		return ctx.Err()
	}
}
