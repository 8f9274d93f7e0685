package header

import (
	"net/http"
	"reflect"
	"testing"
)

func TestCompact(t *testing.T) {
	t.Parallel()
	h := http.Header{
		"User-Agent":    {"Go-http-client/1.1"},
		"Cookie":        {"a=1", "b=2"},
		"authorization": {"Bearer x"}, // not canonical: made so
		"Bad Name":      {"dropped"},
		"X-Split":       {"one\r\ntwo"},
	}
	b := Compact(h, "example.com:80")
	want := Block("Authorization: Bearer x\nCookie: a=1\nCookie: b=2\nHost: example.com:80\n" +
		"User-Agent: Go-http-client/1.1\nX-Split: one  two\n")
	if b != want {
		t.Fatalf("Compact = %q\nwant %q", b, want)
	}
	for _, c := range []struct {
		name string
		get  string
		all  []string
	}{
		{"cookie", "a=1", []string{"a=1", "b=2"}},
		{"AUTHORIZATION", "Bearer x", []string{"Bearer x"}},
		{"host", "example.com:80", []string{"example.com:80"}},
		{"Origin", "", nil},
		{"Bad Name", "", nil},
	} {
		if got := b.Get(c.name); got != c.get {
			t.Errorf("Get(%q) = %q, want %q", c.name, got, c.get)
		}
		if got := b.Values(c.name); !reflect.DeepEqual(got, c.all) {
			t.Errorf("Values(%q) = %q, want %q", c.name, got, c.all)
		}
	}
	wantMap := http.Header{
		"Authorization": {"Bearer x"}, "Cookie": {"a=1", "b=2"}, "Host": {"example.com:80"},
		"User-Agent": {"Go-http-client/1.1"}, "X-Split": {"one  two"},
	}
	if got := b.Expand(); !reflect.DeepEqual(got, wantMap) {
		t.Fatalf("Expand = %v, want %v", got, wantMap)
	}
}

func TestCompactHostField(t *testing.T) {
	t.Parallel()
	// A Host field, as a remote handshake carries, wins over host.
	if got := Compact(http.Header{"Host": {"a"}}, "b").Get("Host"); got != "a" {
		t.Fatalf("Host = %q, want a", got)
	}
	if got := Compact(nil, ""); got != "" {
		t.Fatalf("Compact(nil) = %q, want empty", got)
	}
	if got := Block("").Expand(); len(got) != 0 {
		t.Fatalf("empty Expand = %v", got)
	}
}

// FuzzCompact checks that any header, as a client may send it, comes back
// from its Block with the same values, a line break aside.
func FuzzCompact(f *testing.F) {
	f.Add("X-A", "1", "x-a", "2", "h")
	f.Add("", "", "Bad:Name", "v\n", "")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2, host string) {
		h := http.Header{}
		h.Add(n1, v1)
		h.Add(n2, v2)
		b := Compact(h, host)
		for name, value := range b.All() {
			if !validName(name) || oneLine(value) != value {
				t.Fatalf("bad field %q: %q in %q", name, value, b)
			}
		}
		for name, values := range h {
			if !validName(name) {
				continue
			}
			got := b.Values(name)
			if len(got) != len(values) {
				t.Fatalf("Values(%q) = %q, want %q", name, got, values)
			}
			for i := range got {
				if got[i] != oneLine(values[i]) {
					t.Fatalf("Values(%q) = %q, want %q", name, got, values)
				}
			}
		}
	})
}
