package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/envivo/socketio/socket"
)

// TokenSource reads the credentials a client sent with its handshake. It
// returns an error wrapping ErrMissingToken when they are absent and
// ErrInvalidToken when they are present but unreadable (a number where a
// string belongs, two conflicting headers). It must be safe for concurrent
// use and must not modify h.
type TokenSource func(h *socket.Handshake) (string, error)

// FromAuth reads the string under field in the client's auth payload:
// io(url, { auth: { token } }) is read by FromAuth("token"). This is the
// default source, and the one socket.io-client supports on every transport.
func FromAuth(field string) TokenSource {
	return func(h *socket.Handshake) (string, error) { return authField(h.Auth, field) }
}

// FromBearer reads the "Authorization: Bearer <token>" header (RFC 6750) of
// the request that opened the connection, for clients that cannot set auth.
// Browsers cannot set headers on a WebSocket: socket.io-client's
// extraHeaders reach the server only over long-polling there, and on every
// transport under Node.
func FromBearer() TokenSource {
	return func(h *socket.Handshake) (string, error) { return bearer(h.Headers.Values("Authorization")) }
}

// FromCookie reads the cookie called name, for browsers that hold the token
// in a cookie (socket.io-client's withCredentials: true, with
// socket.CORS.Credentials on the server for cross-origin pages). A cookie
// is sent automatically by the browser: protect against cross-site
// WebSocket hijacking with socket.CORS.Origins and SameSite cookies.
func FromCookie(name string) TokenSource {
	return func(h *socket.Handshake) (string, error) { return cookie(h.Headers.Values("Cookie"), name) }
}

// FromQuery reads the query parameter called name. It is never used unless
// asked for, because a URL is the worst place for a credential: it is
// written to the access logs of servers and proxies, kept in browser
// history, may leak through the Referer header, and socket.io-client
// repeats it on every long-polling request. Prefer FromAuth.
func FromQuery(name string) TokenSource {
	return func(h *socket.Handshake) (string, error) {
		switch v := h.Query()[name]; {
		case len(v) == 0 || v[0] == "":
			return "", ErrMissingToken
		case len(v) > 1:
			return "", fmt.Errorf("%w: %d %q query parameters", ErrInvalidToken, len(v), name)
		default:
			return v[0], nil
		}
	}
}

// FirstOf tries sources in order and returns the first token found. A
// source that finds unreadable credentials stops the search with its
// error, so that a bad token is never silently replaced by another.
func FirstOf(sources ...TokenSource) TokenSource {
	return func(h *socket.Handshake) (string, error) {
		for _, src := range sources {
			tok, err := src(h)
			if !errors.Is(err, ErrMissingToken) {
				return tok, err
			}
		}
		return "", ErrMissingToken
	}
}

// authField returns the string under field in the JSON object raw. A
// missing, null or empty value is a missing token; any other non-string
// value, or an auth payload that is not an object, is an invalid one.
func authField(raw json.RawMessage, field string) (string, error) {
	var payload map[string]json.RawMessage
	if err := json.Unmarshal(raw, &payload); err != nil {
		return "", fmt.Errorf("%w: auth payload is not a JSON object: %w", ErrInvalidToken, err)
	}
	v, ok := payload[field]
	if !ok || string(v) == "null" {
		return "", ErrMissingToken
	}
	var tok string
	if err := json.Unmarshal(v, &tok); err != nil {
		return "", fmt.Errorf("%w: auth.%s is not a string", ErrInvalidToken, field)
	}
	if tok == "" {
		return "", ErrMissingToken
	}
	return tok, nil
}

// bearer returns the token of the one Authorization header with the Bearer
// scheme. No header, or one with another scheme, is a missing token.
func bearer(values []string) (string, error) {
	if len(values) == 0 {
		return "", ErrMissingToken
	}
	if len(values) > 1 {
		return "", fmt.Errorf("%w: %d Authorization headers", ErrInvalidToken, len(values))
	}
	scheme, tok, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrMissingToken
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" || strings.ContainsAny(tok, " \t,") {
		return "", fmt.Errorf("%w: malformed Bearer credentials", ErrInvalidToken)
	}
	return tok, nil
}

// cookie returns the value of the first cookie called name in the Cookie
// header values: with two cookies of one name (set for different paths), browsers
// send the more specific one first (RFC 6265, section 5.4). Malformed
// cookies are skipped, as net/http does.
func cookie(values []string, name string) (string, error) {
	r := http.Request{Header: http.Header{"Cookie": values}}
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" {
		return "", ErrMissingToken
	}
	return c.Value, nil
}
