package serve

import (
	"bytes"
	"context"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/socket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestFlags(t *testing.T) {
	t.Setenv("PORT", "4321")
	var f Flags
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f.Register(fs, 3000)
	if err := fs.Parse(nil); err != nil || f.Port != 4321 || f.Addr() != "localhost:4321" {
		t.Errorf("with PORT: %+v %v", f, err)
	}
	if err := fs.Parse([]string{"-port", "99", "-host", ""}); err != nil || f.Addr() != ":99" {
		t.Errorf("with -port: %+v %v", f, err)
	}
}

// TestUsage: -h states each default once, the one in effect, whether it
// comes from the environment or not.
func TestUsage(t *testing.T) {
	cases := []struct {
		port, redis string // the environment
		portWant    string // what -port's usage ends with
		redisWant   string // what -redis's usage ends with
	}{
		{"", "", "(default 3000)", "rooms stay in this process"},
		{"4321", "redis://r:6379", "(default 4321)", `(default "redis://r:6379")`},
	}
	for _, c := range cases {
		t.Setenv("PORT", c.port)
		t.Setenv("REDIS_URL", c.redis)
		var f Flags
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		f.Register(fs, 3000)
		var out bytes.Buffer
		fs.SetOutput(&out)
		fs.PrintDefaults()
		for name, want := range map[string]string{"-port": c.portWant, "-redis": c.redisWant} {
			usage := flagUsage(out.String(), name)
			if !strings.HasSuffix(usage, want) || strings.Count(usage, "(default") > 1 {
				t.Errorf("PORT=%q REDIS_URL=%q: %s usage %q, want one default, ending with %q",
					c.port, c.redis, name, usage, want)
			}
		}
	}
}

// flagUsage returns the text PrintDefaults wrote for the flag called name,
// on one line.
func flagUsage(all, name string) string {
	_, rest, _ := strings.Cut(all, "  "+name+" ")
	if i := strings.Index(rest, "\n  -"); i >= 0 {
		rest = rest[:i]
	}
	return strings.Join(strings.Fields(rest), " ")
}

func TestRun(t *testing.T) {
	io := socket.NewServer(nil)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, slog.New(slog.DiscardHandler), "127.0.0.1:0", io, io, func(a net.Addr) { addrs <- a })
	}()
	addr := <-addrs
	if u := URL(addr); u[:17] != "http://localhost:" {
		t.Errorf("URL = %s", u)
	}
	res, err := http.Get("http://" + addr.String() + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("handshake: %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if c, err := (&Flags{}).RedisClient(); c != nil || err != nil || Adapter(c) != nil {
		t.Errorf("without -redis: client %v, err %v; want the in-memory default", c, err)
	}
	if _, err := (&Flags{Redis: "http://nope"}).RedisClient(); err == nil {
		t.Error("a URL that is not redis:// was accepted")
	}
	c, err := (&Flags{Redis: "redis://127.0.0.1:6379/0"}).RedisClient()
	if c == nil || err != nil || Adapter(c) == nil {
		t.Fatalf("with -redis: client %v, err %v; want the Redis adapter", c, err)
	}
	_ = c.Close()
}
