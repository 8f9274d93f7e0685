package socket

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

func TestHandshakeJSONRoundTrip(t *testing.T) {
	t.Parallel()
	h := Handshake{
		Headers: NewHeader(http.Header{"X-Forwarded-For": {"10.0.0.1"}, "Origin": {"http://a"}}),
		Auth:    json.RawMessage(`{"token":"123"}`),
		Address: "127.0.0.1:5000",
		Time:    time.UnixMilli(1764288000123),
		Secure:  true,
		URL:     "/socket.io/?EIO=4&tag=a&tag=b",
		XDomain: true,
	}
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	if m["issued"] != float64(1764288000123) || m["headers"].(map[string]any)["x-forwarded-for"] != "10.0.0.1" ||
		!reflect.DeepEqual(m["query"], map[string]any{"EIO": "4", "tag": []any{"a", "b"}}) {
		t.Errorf("not Node's form: %s", data)
	}
	var back Handshake
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Headers, h.Headers) || !reflect.DeepEqual(back.Query(), url.Values{"EIO": {"4"}, "tag": {"a", "b"}}) ||
		!back.Time.Equal(h.Time) || string(back.Auth) != string(h.Auth) || back.Address != h.Address {
		t.Errorf("round trip: got %+v", back)
	}
}

func TestHeader(t *testing.T) {
	t.Parallel()
	h := NewHeader(http.Header{"Cookie": {"a=1", "b=2"}, "X-App": {"demo"}})
	if h.Get("cookie") != "a=1" || h.Get("X-APP") != "demo" || h.Get("Origin") != "" {
		t.Errorf("Get: cookie %q, x-app %q, origin %q", h.Get("cookie"), h.Get("X-APP"), h.Get("Origin"))
	}
	if got := h.Values("Cookie"); !reflect.DeepEqual(got, []string{"a=1", "b=2"}) {
		t.Errorf("Values(Cookie) = %q", got)
	}
	var names []string
	for name := range h.All() {
		names = append(names, name)
	}
	if !reflect.DeepEqual(names, []string{"Cookie", "Cookie", "X-App"}) {
		t.Errorf("All names = %q", names)
	}
	m := h.HTTP()
	m.Set("X-App", "changed") // the caller's own map
	if h.Get("X-App") != "demo" {
		t.Error("HTTP shares its map with the Header")
	}
	data, _ := json.Marshal(Handshake{Headers: h})
	var j struct{ Headers map[string]string }
	if err := json.Unmarshal(data, &j); err != nil || j.Headers["cookie"] != "a=1, b=2" {
		t.Errorf("Node form of headers: %s", data)
	}
}
