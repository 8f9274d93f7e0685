package nodepeer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// commandTimeout bounds the wait for client.js to answer a command.
const commandTimeout = 10 * time.Second

// exitTimeout bounds the wait for a Node process to exit on its own at the end
// of a test before it is killed.
const exitTimeout = 5 * time.Second

// Event is one report from client.js, decoded from JSON: numbers are float64,
// arrays []any, objects map[string]any. Every event has "ev".
type Event map[string]any

// String returns the string field key, or "" if it is absent or not a string.
func (e Event) String(key string) string {
	s, _ := e[key].(string)
	return s
}

// Int returns the numeric field key as an int, or 0 if it is absent or not a number.
func (e Event) Int(key string) int {
	f, _ := e[key].(float64)
	return int(f)
}

// Args returns the "args" field (event arguments, or acknowledgement
// arguments), or nil.
func (e Event) Args() []any {
	a, _ := e["args"].([]any)
	return a
}

// Match selects events: every field it names must equal the event's field,
// compared after a JSON round trip (so Match{"attempt": 1} matches the float64
// 1 of a decoded event). A nil value matches an absent or null field.
type Match map[string]any

// Driver controls one client.js process; see the package documentation for
// the protocol. Its methods are meant for the test goroutine of the test it
// is bound to, and fail that test on errors.
type Driver struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncBuffer
	seq    int

	mu     sync.Mutex
	queue  []Event       // reported, not yet returned by Wait
	seen   []Event       // everything reported, for failure messages
	notify chan struct{} // signalled (cap 1) when queue grows
	exited chan struct{} // closed when stdout reaches EOF
}

// Client starts testdata/node/client.js under Node, bound to t: at t.Cleanup
// its stdin is closed (client.js then disconnects its sockets and exits), it
// is killed if it lingers, and the cleanup waits for the process and its
// reader goroutine. Its stderr is logged if the test failed.
func (p *Peer) Client(t testing.TB) *Driver {
	t.Helper()
	cmd := exec.Command(p.node, filepath.Join(p.dir, "client.js"))
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(p.dir, "node_modules"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("nodepeer: client.js stdin: %v", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("nodepeer: client.js stdout: %v", err)
	}
	d := &Driver{
		t:      t,
		cmd:    cmd,
		stdin:  stdin,
		stderr: &syncBuffer{},
		notify: make(chan struct{}, 1),
		exited: make(chan struct{}),
	}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("nodepeer: start client.js: %v", err)
	}
	go d.read(stdout)
	t.Cleanup(d.close)
	return d
}

// read queues every line of client.js's stdout until EOF.
func (d *Driver) read(stdout io.Reader) {
	defer close(d.exited)
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var e Event
			if jerr := json.Unmarshal(line, &e); jerr != nil || e == nil {
				e = Event{"ev": "invalid", "line": string(line)}
			}
			d.mu.Lock()
			d.queue = append(d.queue, e)
			d.seen = append(d.seen, e)
			d.mu.Unlock()
			select {
			case d.notify <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

func (d *Driver) close() {
	d.stdin.Close()
	select {
	case <-d.exited:
	case <-time.After(exitTimeout):
		d.cmd.Process.Kill()
		<-d.exited
	}
	err := d.cmd.Wait()
	if d.t.Failed() {
		if err != nil {
			d.t.Logf("nodepeer: client.js: %v", err)
		}
		if s := d.stderr.String(); s != "" {
			d.t.Logf("nodepeer: client.js stderr:\n%s", s)
		}
	}
}

// Send writes a raw command (see the package documentation) and waits until
// client.js has issued it. It fails the test if client.js answers with an
// error. The map is not modified; a "seq" field is added to a copy.
func (d *Driver) Send(cmd map[string]any) {
	d.t.Helper()
	d.seq++
	seq := d.seq
	c := make(map[string]any, len(cmd)+1)
	for k, v := range cmd {
		c[k] = v
	}
	c["seq"] = seq
	line, err := json.Marshal(c)
	if err != nil {
		d.t.Fatalf("nodepeer: encode command %v: %v", cmd, err)
	}
	if _, err := d.stdin.Write(append(line, '\n')); err != nil {
		d.t.Fatalf("nodepeer: write command to client.js: %v%s", err, d.stderrNote())
	}
	e := d.wait(fmt.Sprintf("answer to command %s", line), func(e Event) bool {
		ev := e.String("ev")
		return (ev == "done" || ev == "error") && e["seq"] == float64(seq)
	}, commandTimeout)
	if e.String("ev") == "error" {
		d.t.Fatalf("nodepeer: client.js refused command %s: %s", line, e.String("message"))
	}
}

// Connect creates socket client with io(url, {forceNew: true, ...opts}).
// Then Wait for its "connect" or "connect_error".
func (d *Driver) Connect(client, url string, opts map[string]any) {
	d.t.Helper()
	if opts == nil {
		opts = map[string]any{}
	}
	d.Send(map[string]any{"cmd": "connect", "client": client, "url": url, "opts": opts})
}

// Emit sends event name with args and no acknowledgement callback.
func (d *Driver) Emit(client, name string, args ...any) {
	d.t.Helper()
	d.Send(map[string]any{"cmd": "emit", "client": client, "name": name, "args": nonNil(args)})
}

// EmitWithAck sends event name with args and an acknowledgement callback; the
// reply is reported as {"ev":"ack","ref":ref,"args":[...]}. With timeout > 0
// it uses socket.timeout(timeout), and a reply that does not come in time is
// reported as {"ev":"ack_error","ref":ref,"message":...}; with 0 the callback
// is a plain one (subject to the socket's ackTimeout option, if any).
func (d *Driver) EmitWithAck(client, ref, name string, timeout time.Duration, args ...any) {
	d.t.Helper()
	c := map[string]any{"cmd": "emit", "client": client, "name": name, "args": nonNil(args), "ack": true, "ref": ref}
	if timeout > 0 {
		ms := timeout.Milliseconds()
		if ms == 0 {
			ms = 1
		}
		c["timeout"] = ms
	}
	d.Send(c)
}

// Ack answers, with args, the acknowledgement requested by an incoming event
// (the "ackRef" of its "event" report).
func (d *Driver) Ack(client string, ackRef int, args ...any) {
	d.t.Helper()
	d.Send(map[string]any{"cmd": "ack", "client": client, "ackRef": ackRef, "args": nonNil(args)})
}

// Disconnect calls socket.disconnect() on client.
func (d *Driver) Disconnect(client string) {
	d.t.Helper()
	d.Send(map[string]any{"cmd": "disconnect", "client": client})
}

// CloseTransport closes the Engine.IO connection under client's socket, as
// a network failure would; its Manager then reconnects by itself.
func (d *Driver) CloseTransport(client string) {
	d.t.Helper()
	d.Send(map[string]any{"cmd": "close_transport", "client": client})
}

// Wait returns the first reported event, oldest first, that matches m,
// removing it from the buffer; events that do not match stay buffered for
// later Waits. It fails the test, listing the events seen so far, if none
// arrives within timeout or client.js exits first.
func (d *Driver) Wait(m Match, timeout time.Duration) Event {
	d.t.Helper()
	want := normalize(m)
	return d.wait(fmt.Sprintf("event matching %s", describeMatch(want)), func(e Event) bool {
		return matches(e, want)
	}, timeout)
}

// Never fails the test if an event matching m is reported within d, or is
// already buffered. Use it to check that something does not happen.
func (d *Driver) Never(m Match, within time.Duration) {
	d.t.Helper()
	want := normalize(m)
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for last := false; ; {
		d.mu.Lock()
		for _, e := range d.queue {
			if matches(e, want) {
				d.mu.Unlock()
				d.t.Fatalf("nodepeer: unexpected event %s (matching %s)", describeEvent(e), describeMatch(want))
				return
			}
		}
		d.mu.Unlock()
		if last {
			return
		}
		select {
		case <-d.notify:
		case <-d.exited:
			last = true
		case <-deadline.C:
			last = true
		}
	}
}

func matches(e Event, want map[string]any) bool {
	for k, v := range want {
		if !reflect.DeepEqual(e[k], v) {
			return false
		}
	}
	return true
}

func (d *Driver) wait(what string, ok func(Event) bool, timeout time.Duration) Event {
	d.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		if e := d.take(ok); e != nil {
			return e
		}
		select {
		case <-d.notify:
		case <-d.exited:
			// Stdout is closed, so the queue is final: look once more.
			if e := d.take(ok); e != nil {
				return e
			}
			d.t.Fatalf("nodepeer: client.js exited while waiting for %s%s%s", what, d.seenNote(), d.stderrNote())
			return nil
		case <-deadline.C:
			d.t.Fatalf("nodepeer: no %s within %v%s", what, timeout, d.seenNote())
			return nil
		}
	}
}

// take removes and returns the oldest queued event accepted by ok, or nil.
func (d *Driver) take(ok func(Event) bool) Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, e := range d.queue {
		if ok(e) {
			d.queue = append(d.queue[:i:i], d.queue[i+1:]...)
			return e
		}
	}
	return nil
}

// seenNote lists the events reported so far, for failure messages.
func (d *Driver) seenNote() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.seen) == 0 {
		return "; no events seen"
	}
	const max = 100
	var b strings.Builder
	fmt.Fprintf(&b, "; events seen so far (%d):", len(d.seen))
	from := 0
	if len(d.seen) > max {
		from = len(d.seen) - max
		fmt.Fprintf(&b, "\n\t... %d earlier events", from)
	}
	for _, e := range d.seen[from:] {
		b.WriteString("\n\t")
		b.WriteString(describeEvent(e))
	}
	return b.String()
}

func (d *Driver) stderrNote() string {
	if s := d.stderr.String(); s != "" {
		return "\nclient.js stderr:\n" + s
	}
	return ""
}

// normalize gives m the form decoded JSON has (float64 numbers, []any, ...).
func normalize(m Match) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("nodepeer: Match %v is not JSON: %v", map[string]any(m), err))
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func describeMatch(m map[string]any) string {
	b, _ := json.Marshal(m) // sorted keys
	return string(b)
}

// describeEvent renders e as JSON with "ev" first, shortened if long.
func describeEvent(e Event) string {
	keys := make([]string, 0, len(e))
	for k := range e {
		if k != "ev" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	ev, _ := json.Marshal(e["ev"])
	b.WriteString(`{"ev":`)
	b.Write(ev)
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(e[k])
		b.WriteByte(',')
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	const max = 400
	if s := b.String(); len(s) > max {
		return s[:max] + "...(truncated)"
	}
	return b.String()
}

func nonNil(args []any) []any {
	if args == nil {
		return []any{}
	}
	return args
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
