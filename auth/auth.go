package auth

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/envivo/socketio/socket"
)

// Authenticator says who a handshake is. Authenticate returns the verified
// identity or an error that refuses the client: wrap ErrMissingToken,
// ErrInvalidToken or ErrExpiredToken (or return a *socket.ConnectError) to
// choose what the client sees; any other error refuses it as an invalid
// token. A nil Identity with a nil error is refused as invalid too.
//
// Authenticate is called concurrently, from one goroutine per handshake,
// and must be safe for that. It should return promptly once ctx is done:
// ctx ends when the client goes away or Options.Timeout passes.
type Authenticator interface {
	Authenticate(ctx context.Context, h *socket.Handshake) (*Identity, error)
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(ctx context.Context, h *socket.Handshake) (*Identity, error)

// Authenticate calls f(ctx, h).
func (f AuthenticatorFunc) Authenticate(ctx context.Context, h *socket.Handshake) (*Identity, error) {
	return f(ctx, h)
}

// Identity is who a socket is, as an Authenticator verified it. The
// middleware stores it on the socket under IdentityKey; read it back with
// IdentityOf, Claims or UserID. Treat it as read-only once returned.
//
// Socket data travels as JSON to other nodes (Namespace.FetchSockets), so
// Claims should encode to JSON.
type Identity struct {
	// Subject identifies the user, as the JWT "sub" claim does; "" when the
	// scheme has none. Use it for per-user rooms: "user:" + Subject.
	Subject string `json:"sub,omitempty"`
	// ExpiresAt is when the credentials stop being accepted: for a JWT, its
	// "exp" claim plus the verifier's leeway. Zero means never.
	ExpiresAt time.Time `json:"exp,omitzero"`
	// Claims is what the scheme verified, in its own type: for
	// JWTAuthenticator[C], a value of type C.
	Claims any `json:"claims,omitempty"`
}

// IdentityKey is the typed slot in which Middleware stores the *Identity.
// IdentityKey.Remote reads it from a socket that FetchSockets returned, on
// any node (see RemoteIdentity).
var IdentityKey = socket.Key[*Identity]{Name: "auth.identity"}

// Code is the machine-readable reason of a refusal, sent to the client as
// err.data.code of its connect_error. The values follow the error codes of
// RFC 6750.
type Code string

// The codes Middleware sends.
const (
	CodeMissingToken Code = "missing_token" // no credentials in the handshake
	CodeInvalidToken Code = "invalid_token" // credentials present but refused
	CodeExpiredToken Code = "expired_token" // credentials valid but expired
)

// The errors an Authenticator wraps to choose the refusal. Errors from this
// package wrap one of them, with details for logs after it; the details
// never reach the client.
var (
	ErrMissingToken = errors.New("auth: missing token")
	ErrInvalidToken = errors.New("auth: invalid token")
	ErrExpiredToken = errors.New("auth: expired token")
)

// IdentityOf returns the identity that Middleware stored on s, if any.
// It is safe for concurrent use.
func IdentityOf(s *socket.Socket) (*Identity, bool) {
	id, ok := IdentityKey.Get(s)
	return id, ok && id != nil
}

// RemoteIdentity returns the identity of a socket that FetchSockets
// returned, which may live on another node. Its Claims are then the JSON
// form of the claims (a map); read them in their own type with
// RemoteClaims.
func RemoteIdentity(r *socket.RemoteSocket) (*Identity, bool) {
	id, ok := IdentityKey.Remote(r)
	return id, ok && id != nil
}

// RemoteClaims is Claims for a socket that FetchSockets returned: the
// verified claims decoded into C, whichever node the socket is on.
func RemoteClaims[C any](r *socket.RemoteSocket) (C, bool) {
	var c C
	id, ok := RemoteIdentity(r)
	if !ok {
		return c, false
	}
	if v, ok := id.Claims.(C); ok {
		return v, true
	}
	b, err := json.Marshal(id.Claims)
	if err != nil || json.Unmarshal(b, &c) != nil {
		var zero C
		return zero, false
	}
	return c, true
}

// Claims returns the claims that the authenticator verified for s, in their
// own type C: auth.Claims[auth.UserClaims](s) after a JWTAuthenticator of
// UserClaims. It reports false when s has no identity or its claims are of
// another type. It is safe for concurrent use.
func Claims[C any](s *socket.Socket) (C, bool) {
	var zero C
	id, ok := IdentityOf(s)
	if !ok {
		return zero, false
	}
	switch c := id.Claims.(type) {
	case C:
		return c, true
	case *C:
		if c != nil {
			return *c, true
		}
	}
	return zero, false
}

// UserID returns the subject of s's identity (the JWT "sub"), or "" when
// s has none. A typical use is a per-user room:
//
//	s.Join("user:" + auth.UserID(s))
func UserID(s *socket.Socket) string {
	if id, ok := IdentityOf(s); ok {
		return id.Subject
	}
	return ""
}
