package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestEchoWithSocketIOClient: the official socket.io-client, on
// long-polling only, connects and gets its echo acknowledged with the
// arguments it sent, twice in a row.
func TestEchoWithSocketIOClient(t *testing.T) {
	peer := nodepeer.Require(t)
	ts := httptest.NewServer(newServer())
	// Closed after the client, whose exit ends its pending long-poll GET:
	// Close waits for that request, and floor answers it only with data.
	t.Cleanup(ts.Close)
	d := peer.Client(t)
	d.Connect("c1", ts.URL+"/", map[string]any{"transports": []string{"polling"}})
	d.Wait(nodepeer.Match{"ev": "connect", "client": "c1"}, 10*time.Second)
	for _, ref := range []string{"r1", "r2"} {
		d.EmitWithAck("c1", ref, "echo", 5*time.Second, ref, 2, map[string]any{"x": true})
		args := d.Wait(nodepeer.Match{"ev": "ack", "ref": ref}, 10*time.Second).Args()
		if len(args) != 3 || args[0] != ref || args[1] != float64(2) {
			t.Fatalf("ack %s: %v", ref, args)
		}
	}
}

func TestAnswer(t *testing.T) {
	for p, want := range map[string]string{
		`40`:                  `40{"sid":"s7"}`,
		`40{"token":"x"}`:     `40{"sid":"s7"}`,
		`42["echo","hi"]`:     "", // no ack id
		`4212["echo","hi",1]`: `4312["hi",1]`,
		`423["echo"]`:         `433[]`,
		`423["other",1]`:      "",
		`40/chat,`:            "",
		`423["echo",1`:        "",
		`42`:                  "",
		`3`:                   "",
		``:                    "",
	} {
		got, ok := answer(p, "7")
		if got != want || ok != (want != "") {
			t.Errorf("answer(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
}

// FuzzAnswer: any packet gets an answer or none, never a panic, and an
// answer is a CONNECT reply or an acknowledgement.
func FuzzAnswer(f *testing.F) {
	for _, p := range []string{`40`, `421["echo","x"]`, `42`, `429`, "42\x1e"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		a, ok := answer(p, "1")
		if ok && !strings.HasPrefix(a, "40") && !strings.HasPrefix(a, "43") {
			t.Fatalf("answer(%q) = %q", p, a)
		}
	})
}
