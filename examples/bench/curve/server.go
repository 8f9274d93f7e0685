package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serverSpec says how to start one kind of bench server.
type serverSpec struct {
	kind string   // "envivo" or "node"
	argv []string // the program and its arguments
	env  []string // added to the environment, besides PORT
}

// prepareServer builds ./examples/bench of repo (envivo), or installs the
// Node bench server's packages with npm ci (node), into work.
func prepareServer(ctx context.Context, kind, repo, shared, work string) (*serverSpec, error) {
	switch kind {
	case "envivo":
		bin := filepath.Join(work, "bench")
		if err := run(ctx, repo, "go", "build", "-o", bin, "./examples/bench"); err != nil {
			return nil, err
		}
		return &serverSpec{kind: kind, argv: []string{bin}, env: []string{"DEBUG=1"}}, nil
	case "node":
		src := filepath.Join(shared, "node")
		dir := filepath.Join(work, "node")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		for _, f := range []string{"package.json", "package-lock.json"} {
			b, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				return nil, err
			}
		}
		if err := run(ctx, dir, "npm", "ci", "--no-audit", "--no-fund"); err != nil {
			return nil, err
		}
		return &serverSpec{kind: kind, argv: []string{"node", filepath.Join(src, "bench-server.js")},
			env: []string{"NODE_PATH=" + filepath.Join(dir, "node_modules")}}, nil
	}
	return nil, fmt.Errorf("-server: want envivo or node, got %q", kind)
}

// run runs a preparation command in dir, returning its output on failure.
func run(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// proc is one running server process.
type proc struct {
	kind string
	pid  int
	port int
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
}

// start runs the server on port, pinned to cpu (none if cpu < 0) through
// taskset, with its descriptor limit raised to the hard limit through sh
// (os/exec gives a child the soft limit Go found at start, not the one Go
// raised for itself). Both exec, so the process is the server itself. It
// returns once the server answers HTTP.
func (s *serverSpec) start(ctx context.Context, port, cpu int, logPath string) (*proc, error) {
	argv := append([]string{"sh", "-c", `ulimit -n "$(ulimit -Hn)" && exec "$@"`, "sh"}, s.argv...)
	if cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "PORT="+strconv.Itoa(port)), s.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{kind: s.kind, pid: cmd.Process.Pid, port: port, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	if err := p.waitReady(ctx); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// waitReady polls the server until any HTTP answer, for up to 20 s.
func (p *proc) waitReady(ctx context.Context) error {
	url := fmt.Sprintf("http://127.0.0.1:%d/socket.io/", p.port)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return fmt.Errorf("%s server exited: %s", p.kind, p.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if res, err := httpClient.Get(url); err == nil {
			res.Body.Close()
			return nil
		}
	}
	return fmt.Errorf("%s server did not answer in 20 s: %s", p.kind, p.logTail())
}

// logTail returns the end of the server's output.
func (p *proc) logTail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop kills the server's process group and waits for it to exit.
func (p *proc) stop() {
	killProcessGroup(p.cmd)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// statusKB reads a field in kB, such as VmRSS, from /proc/PID/status.
func (p *proc) statusKB(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s", p.pid, field)
}

// resetPeak resets VmHWM to the current RSS.
func (p *proc) resetPeak() error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid), []byte("5"), 0)
}

// cpuTicks returns the server's user plus system time, in clock ticks.
func (p *proc) cpuTicks() (int64, error) { return cpuTicks(strconv.Itoa(p.pid)) }

// cpuTicks returns the user plus system time of process pid ("self" for
// this one), in clock ticks.
func cpuTicks(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ")".
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc/PID/stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	return utime + stime, errors.Join(err1, err2)
}

// goRuntime is what examples/bench's GET /debug/runtime answers.
type goRuntime struct {
	Goroutines  int64     `json:"goroutines"`
	GCCycles    int64     `json:"gcCycles"`
	PauseCounts []uint64  `json:"pauseCounts"`
	PauseBounds []float64 `json:"pauseBounds"`
}

// runtime reads /debug/runtime; nil for a server that has none (Node).
func (p *proc) runtime() (*goRuntime, error) {
	if p.kind != "envivo" {
		return nil, nil
	}
	res, err := httpClient.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/runtime", p.port))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/debug/runtime: %s (is DEBUG=1 set?)", res.Status)
	}
	var rt goRuntime
	return &rt, json.NewDecoder(res.Body).Decode(&rt)
}

// httpClient keeps no idle connection, so no goroutine outlives a call.
var httpClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// openFilesLimit reads the soft "Max open files" of /proc/<pid>/limits
// ("self" for this process).
func openFilesLimit(pid string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/limits")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				if f[0] == "unlimited" {
					return math.MaxInt64, nil
				}
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no Max open files in /proc/" + pid + "/limits")
}
