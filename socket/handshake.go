package socket

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Handshake describes how a client connected to a namespace. It is set before
// middleware runs and never changes afterwards; treat it as read-only.
type Handshake struct {
	// Headers of the HTTP request that opened the connection.
	Headers http.Header
	// Auth is the payload the client sent with its CONNECT packet (the
	// socket.io-client auth option), verbatim; "{}" when it sent none.
	Auth json.RawMessage
	// Address is the remote address of that request, host and port.
	Address string
	// Time is when the client joined the namespace.
	Time time.Time
	// Secure reports whether the request came over TLS.
	Secure bool
	// URL is the request URI of that request, query included; see Query.
	URL string
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
		Headers: make(map[string]any, len(h.Headers)),
		Time:    h.Time.Format("Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"),
		Address: h.Address,
		XDomain: h.XDomain,
		Secure:  h.Secure,
		Issued:  h.Time.UnixMilli(),
		URL:     h.URL,
		Auth:    h.Auth,
	}
	for k, v := range h.Headers {
		j.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
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
	*h = Handshake{
		Headers: make(http.Header, len(j.Headers)),
		Auth:    j.Auth,
		Address: j.Address,
		Time:    time.UnixMilli(j.Issued),
		Secure:  j.Secure,
		URL:     j.URL,
		XDomain: j.XDomain,
	}
	for k, v := range j.Headers {
		h.Headers[http.CanonicalHeaderKey(k)] = stringList(v)
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

func newHandshake(r *http.Request, auth json.RawMessage) Handshake {
	if len(auth) == 0 {
		auth = json.RawMessage(`{}`)
	}
	uri := r.RequestURI // as the client sent it, like Node's req.url
	if uri == "" {
		uri = r.URL.RequestURI()
	}
	return Handshake{
		Headers: r.Header,
		Auth:    auth,
		Address: r.RemoteAddr,
		Time:    time.Now(),
		Secure:  r.TLS != nil,
		URL:     uri,
		XDomain: r.Header.Get("Origin") != "",
	}
}
