package socket

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"

	"github.com/envivo/socketio/internal/nodepeer"
)

// TestOnNamespace checks that OnNewNamespace reports the namespaces Of makes
// and the children of a dynamic namespace when they go live, before their
// first socket connects (so a connection handler registered there sees
// it), that Namespaces lists them, and that the sockets of one client
// share their ConnID.
func TestOnNamespace(t *testing.T) {
	peer := nodepeer.Require(t)
	t.Parallel()
	srv := NewServer(nil)
	var mu sync.Mutex
	var made []string
	conns := make(chan [2]string, 4) // namespace, ConnID
	srv.OnNewNamespace(func(nsp *Namespace) {
		mu.Lock()
		made = append(made, nsp.Name())
		mu.Unlock()
		nsp.OnConnection(func(s *Socket) { conns <- [2]string{s.Namespace().Name(), s.ConnID()} })
	})
	srv.Of("/static")
	srv.Of("/static") // exists: not reported again
	srv.OfFunc(func(name string, _ json.RawMessage) bool { return name == "/dyn" })
	url := serve(t, srv)

	d := peer.Client(t)
	d.Connect("a", url+"/dyn", map[string]any{"transports": []string{"websocket"}})
	d.Wait(match{"ev": "connect", "client": "a"}, waitFor)
	d.Send(map[string]any{"cmd": "connect", "client": "b", "manager": "a", "nsp": "/static"})
	d.Wait(match{"ev": "connect", "client": "b"}, waitFor)
	first, second := wait(t, conns), wait(t, conns)
	if first[0] != "/dyn" || second[0] != "/static" || first[1] != second[1] || first[1] == "" {
		t.Errorf("connections seen = %v, %v; want /dyn then /static, one ConnID", first, second)
	}

	mu.Lock()
	if !slices.Equal(made, []string{"/static", "/dyn"}) {
		t.Errorf("OnNewNamespace saw %q, want /static then /dyn", made)
	}
	mu.Unlock()
	var names []string
	for _, nsp := range srv.Namespaces() {
		names = append(names, nsp.Name())
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"/", "/dyn", "/static"}) {
		t.Errorf("Namespaces = %q", names)
	}
}
