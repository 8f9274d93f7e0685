package socket

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestWebTransportUnlinked: this package's tests do not link package
// webtransport, so a Server whose Transports name WebTransport panics
// with a message naming the package to import; and an HTTP request for
// transport=webtransport gets Node's 400 {"code":0,"message":"Transport
// unknown"}.
func TestWebTransportUnlinked(t *testing.T) {
	t.Parallel()
	func() {
		defer func() {
			msg := fmt.Sprint(recover())
			if !strings.Contains(msg, "github.com/envivo/socketio/webtransport") {
				t.Errorf("NewServer panicked with %q", msg)
			}
		}()
		NewServer(&Options{EngineOptions: EngineOptions{Transports: []string{Polling, WebTransport}}})
	}()

	url := serve(t, NewServer(nil))
	rsp, err := http.Get(url + "/socket.io/?EIO=4&transport=webtransport")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rsp.Body)
	rsp.Body.Close()
	if rsp.StatusCode != http.StatusBadRequest || string(body) != `{"code":0,"message":"Transport unknown"}` {
		t.Fatalf("%d %s", rsp.StatusCode, body)
	}
}
