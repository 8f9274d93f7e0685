// Command curve measures a bench server (examples/bench, or Node
// socket.io's bench server for comparison) holding many idle WebSocket
// connections: the connection curve of issue 17. Linux only (/proc).
//
//	taskset -c 1 go run ./examples/bench/curve [-server envivo|node] [-counts 1000,5000,10000,19000] [-hold 60s]
//
// For each count N it starts a fresh server pinned to CPU 0 (-server-cpu)
// with its descriptor limit raised to the hard limit: envivo is
// ./examples/bench built into a temporary directory and run with DEBUG=1;
// node is <shared>/node/bench-server.js with the packages of its
// package-lock.json installed by npm ci into a temporary directory
// (-shared, default ../shared/bench beside the repository). Run the tool
// itself on the other CPU, as above; it warns when it shares the server's.
// It then opens N Socket.IO clients over WebSocket (Engine.IO v4, the main
// namespace), 200 dials at a time (-concurrency); each answers the
// server's pings, so the heartbeat runs at its defaults. It reports, as one
// JSON line per N on stdout and a markdown table at the end (unless -json):
//
//   - connect_s, connect_per_s: the time to connect all N, from the first
//     dial to the last namespace CONNECT reply, and N over it;
//     tool_cpu_pct_connect is this tool's own CPU meanwhile, in % of one
//     core: near 100, the tool, not the server, set the rate;
//   - rss_per_conn_bytes: (server VmRSS with all N connected - VmRSS
//     before the first client) / N, from /proc/PID/status;
//   - peak_rss_per_conn_bytes: the same with the peak (VmHWM, reset
//     before the first dial) over connecting and holding;
//   - goroutines_hold_start/end, gc_cycles_hold, gc_pause_p99_s: from the
//     Go server's GET /debug/runtime at both ends of the hold; the p99 is
//     the upper bound of the histogram bucket of the 99th percentile of the
//     stop-the-world GC pauses during the hold (0 without a GC). Null for
//     Node;
//   - heartbeat_cpu_pct: the server's user+system CPU time during the hold
//     (-hold, default 60 s: at least two 25 s ping intervals) as a
//     percentage of one core: what N idle connections cost;
//   - bcast_ms: every client emits join("all") and waits for its ack; then
//     one emits bcast("all", 1 KB string), and this is the time from that
//     emit to the moment the last of the N clients received "msg". Every
//     client must receive it exactly once (bcast_received, bcast_duplicates);
//   - bcast_extra_kb: the server's VmHWM during the broadcast (reset just
//     before it) minus its VmRSS just before it.
//
// The server is killed before the clients close, so that the server's side
// of each connection, not the tool's, keeps the TIME_WAIT state; and the
// clients of the k-th count bind to 127.k.0.1 (and 127.k.0.2, ... per 10,000
// clients), so that no count finds the ephemeral ports of another still in
// TIME_WAIT: one source address has 28,232 of them here (32768-60999).
// The tool needs a descriptor limit above N+100 (Go raises its soft limit
// to the hard one, 20,000 here), so one process holds 19,000 clients.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	server := flag.String("server", "envivo", "the server to measure: envivo or node")
	counts := flag.String("counts", "1000,5000,10000,19000", "comma-separated numbers of clients, one fresh server each")
	hold := flag.Duration("hold", time.Minute, "how long all clients are held idle")
	concurrency := flag.Int("concurrency", 200, "dials in flight")
	port := flag.Int("port", 3400, "the server's port on 127.0.0.1")
	serverCPU := flag.Int("server-cpu", 0, "the CPU the server is pinned to with taskset; -1: not pinned")
	repo := flag.String("repo", "", "the envivo checkout (default: the module root above the working directory)")
	shared := flag.String("shared", "", "the shared bench directory with node/ (default: <repo>/../shared/bench)")
	jsonOnly := flag.Bool("json", false, "print only the JSON lines, no table")
	flag.Parse()
	ns, err := parseCounts(*counts)
	if err != nil {
		fatal(err)
	}
	if *repo == "" {
		if *repo, err = moduleRoot(); err != nil {
			fatal(err)
		}
	}
	if *shared == "" {
		*shared = filepath.Join(*repo, "..", "shared", "bench")
	}
	warnAffinity(*serverCPU)
	if *hold < 50*time.Second {
		fmt.Fprintln(os.Stderr, "curve: warning: a hold under 50 s may see no ping at the default 25 s interval: heartbeat CPU is then idle CPU")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	work, err := os.MkdirTemp("", "curve-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(work)
	spec, err := prepareServer(ctx, *server, *repo, *shared, work)
	if err != nil {
		fatal(err)
	}
	var results []result
	for i, n := range ns {
		cfg := config{N: n, Concurrency: *concurrency, Hold: *hold, Port: *port, ServerCPU: *serverCPU, Run: i, Work: work}
		res, err := measureCount(ctx, spec, cfg)
		if err != nil {
			res.Error = err.Error()
		}
		line, _ := json.Marshal(res)
		fmt.Println(string(line))
		results = append(results, res)
		if ctx.Err() != nil {
			break
		}
	}
	if !*jsonOnly {
		fmt.Print("\n" + table(results))
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "curve:", err)
	os.Exit(1)
}

func parseCounts(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-counts: want positive numbers, got %q", f)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// moduleRoot finds the directory of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: give -repo")
		}
		dir = parent
	}
}

// warnAffinity warns when this process may run on the server's CPU.
func warnAffinity(serverCPU int) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil || serverCPU < 0 {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if list, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok && cpuListHas(strings.TrimSpace(list), serverCPU) {
			fmt.Fprintf(os.Stderr, "curve: warning: this process may run on CPU %d, the server's (CPUs %s): run it as taskset -c 1 go run ./examples/bench/curve\n",
				serverCPU, strings.TrimSpace(list))
		}
	}
}

// cpuListHas reports whether a CPU list such as "0-3,6" holds cpu.
func cpuListHas(list string, cpu int) bool {
	for _, part := range strings.Split(list, ",") {
		lo, hi, found := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := a, error(nil)
		if found {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 == nil && err2 == nil && a <= cpu && cpu <= b {
			return true
		}
	}
	return false
}
