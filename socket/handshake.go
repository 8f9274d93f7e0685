package socket

import (
	"encoding/json"
	"iter"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/header"
)

// Handshake describes how a client connected to a namespace. It is set before
// middleware runs and never changes afterwards; treat it as read-only.
type Handshake struct {
	// Headers of the HTTP request that opened the connection, Host
	// among them as in Node.
	Headers Header
	// Auth is the payload the client sent with its CONNECT packet (the
	// socket.io-client auth option), verbatim; "{}" when it sent none. A
	// socket.io-client 2.x client has no auth option: its namespace's
	// query becomes an object of strings instead, as in Node.
	Auth json.RawMessage
	// Address is the client's IP address, without the port, as in Node
	// (the request's RemoteAddr).
	Address string
	// Time is when the client joined the namespace.
	Time time.Time
	// URL is the request URI of that request, query included; see Query.
	URL string
	// Secure reports whether the request came over TLS.
	Secure bool
	// XDomain reports whether the request carried an Origin header.
	XDomain bool
}

// handshakeJSON is Node's form of a handshake, which cluster adapters
// exchange: lower-case header names with string values, the time as both a
// Date string and milliseconds since the epoch.
type handshakeJSON struct {
	Headers map[string]any  `json:"headers"`
	Time    string          `json:"time"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	Issued  int64           `json:"issued"`
	URL     string          `json:"url"`
	Query   map[string]any  `json:"query"`
	Auth    json.RawMessage `json:"auth"`
}

// MarshalJSON encodes h as Node socket.io does.
func (h Handshake) MarshalJSON() ([]byte, error) {
	j := handshakeJSON{
		Headers: make(map[string]any),
		Time:    h.Time.Format("Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"),
		Address: h.Address,
		XDomain: h.XDomain,
		Secure:  h.Secure,
		Issued:  h.Time.UnixMilli(),
		URL:     h.URL,
		Auth:    h.Auth,
	}
	for name, value := range h.Headers.b.All() {
		name = strings.ToLower(name)
		if prev, ok := j.Headers[name].(string); ok {
			value = prev + ", " + value
		}
		j.Headers[name] = value
	}
	query := h.Query()
	j.Query = make(map[string]any, len(query))
	for k, v := range query {
		if len(v) == 1 {
			j.Query[k] = v[0]
		} else {
			j.Query[k] = v
		}
	}
	if len(j.Auth) == 0 {
		j.Auth = json.RawMessage(`{}`)
	}
	return json.Marshal(j)
}

// Query parses the query of URL (EIO, transport and t included, as in
// Node) on each call: the handshake keeps only the URL, which is what most
// connections need.
func (h *Handshake) Query() url.Values {
	_, raw, _ := strings.Cut(h.URL, "?")
	q, _ := url.ParseQuery(raw)
	return q
}

// UnmarshalJSON decodes Node's form of a handshake. Its query is read from
// its url, from which Node derives it.
func (h *Handshake) UnmarshalJSON(data []byte) error {
	var j handshakeJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	headers := make(http.Header, len(j.Headers))
	for k, v := range j.Headers {
		headers[http.CanonicalHeaderKey(k)] = stringList(v)
	}
	*h = Handshake{
		Headers: NewHeader(headers),
		Auth:    j.Auth,
		Address: j.Address,
		Time:    time.UnixMilli(j.Issued),
		Secure:  j.Secure,
		URL:     j.URL,
		XDomain: j.XDomain,
	}
	return nil
}

// stringList reads a JSON string or array of strings.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// DecodeAuth decodes the auth payload into v, as encoding/json does.
func (h *Handshake) DecodeAuth(v any) error { return json.Unmarshal(h.Auth, v) }

func newHandshake(r *engine.Request, auth json.RawMessage) Handshake {
	if len(auth) == 0 {
		auth = json.RawMessage(`{}`)
	}
	return Handshake{
		Headers: Header{r.Header},
		Auth:    auth,
		Address: remoteIP(r.RemoteAddr),
		Time:    time.Now(),
		Secure:  r.TLS != nil,
		URL:     r.RequestURI,
		XDomain: r.Header.Get("Origin") != "",
	}
}

// Header is the HTTP headers of a handshake request, kept in one string:
// a connection holds them for its whole life, and a map of slices costs
// about three times as much memory. A Header is read-only and safe for
// concurrent use; the zero Header holds no fields.
type Header struct{ b header.Block }

// NewHeader returns a copy of h as a Header, such as for a Handshake made
// by a test or an adapter. Names that are not HTTP tokens are dropped, and
// a line break inside a value becomes a space.
func NewHeader(h http.Header) Header { return Header{header.Compact(h, "")} }

// Get returns the first value of the header name, case-insensitively, or
// "" when there is none, as http.Header.Get does.
func (h Header) Get(name string) string { return h.b.Get(name) }

// Values returns the values of the header name, case-insensitively, in a
// new slice, or nil when there is none.
func (h Header) Values(name string) []string { return h.b.Values(name) }

// All yields each header, name (in canonical form) and value, sorted by
// name; a name with several values is yielded once for each.
func (h Header) All() iter.Seq2[string, string] { return h.b.All() }

// HTTP returns the headers as a new http.Header, which the caller owns.
func (h Header) HTTP() http.Header { return h.b.Expand() }

// remoteIP returns the host of a RemoteAddr ("203.0.113.5:4711" gives
// "203.0.113.5", "[::1]:4711" gives "::1"); an address without a port is
// returned as it is.
func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}
