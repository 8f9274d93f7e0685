package auth

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"

	"github.com/envivo/socketio/socket"
)

// Options configures Middleware. The zero value, and nil, are valid: every
// zero field takes the default in its comment. Middleware copies the
// struct, so changing it afterwards has no effect.
type Options struct {
	// Messages replaces the err.message a refused client sees, by code.
	// Default: "missing token", "invalid token" and "expired token".
	Messages map[Code]string

	// Timeout bounds each Authenticate call, as a deadline on its context.
	// Default: 10s.
	Timeout time.Duration

	// DisconnectOnExpiry disconnects a socket when its Identity.ExpiresAt
	// passes, so that a long-lived connection does not outlive its
	// credentials. The client first receives ExpiryEvent with
	// {"code": "expired_token", "message": ...}, then a disconnect with
	// reason "io server disconnect", after which socket.io-client does not
	// reconnect by itself: refresh the token on that event, then call
	// socket.connect(). It costs a timer per socket, not a goroutine.
	// Default: false.
	DisconnectOnExpiry bool
	// ExpiryEvent is the event emitted before an expiry disconnect.
	// Default: "auth:expired".
	ExpiryEvent string

	// Logger receives a debug line for every refusal, with the reason that
	// the client is not told. Default: none.
	Logger *slog.Logger
}

// DefaultExpiryEvent is the default of Options.ExpiryEvent.
const DefaultExpiryEvent = "auth:expired"

// defaultMessages are the default texts of Options.Messages.
var defaultMessages = map[Code]string{
	CodeMissingToken: "missing token",
	CodeInvalidToken: "invalid token",
	CodeExpiredToken: "expired token",
}

func (o *Options) withDefaults() Options {
	c := Options{}
	if o != nil {
		c = *o
	}
	msgs := maps.Clone(defaultMessages)
	for code, text := range c.Messages {
		msgs[code] = text
	}
	c.Messages = msgs
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.ExpiryEvent == "" {
		c.ExpiryEvent = DefaultExpiryEvent
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Middleware returns socket middleware that authenticates every client
// joining the namespace it is used on, before it connects:
//
//	io.Use(auth.Middleware(auth.HS256(secret), nil))                  // "/"
//	io.Of("/admin").Use(auth.Middleware(adminAuthenticator, nil))     // its own
//
// An accepted socket carries the *Identity under IdentityKey; read it with
// IdentityOf, Claims or UserID. A refused client gets a connect_error whose
// err.message is the text for the code (see Options.Messages) and whose
// err.data is {"code": code}: CodeMissingToken for errors wrapping
// ErrMissingToken, CodeExpiredToken for ErrExpiredToken, and
// CodeInvalidToken for every other error, so that the client never learns
// why a signature failed. A *socket.ConnectError from the authenticator is
// sent as it is. opts may be nil.
func Middleware(a Authenticator, opts *Options) socket.Middleware {
	o := opts.withDefaults()
	return func(ctx context.Context, s *socket.Socket) error {
		ctx, cancel := context.WithTimeout(ctx, o.Timeout)
		defer cancel()
		id, err := a.Authenticate(ctx, s.Handshake())
		if err == nil && id == nil {
			err = errors.New("auth: authenticator returned no identity")
		}
		if err != nil {
			return o.refuse(s, err)
		}
		IdentityKey.Set(s, id)
		if o.DisconnectOnExpiry && !id.ExpiresAt.IsZero() {
			watchExpiry(s, id.ExpiresAt, &o)
		}
		return nil
	}
}

// refuse logs err and returns the ConnectError the client sees.
func (o *Options) refuse(s *socket.Socket, err error) error {
	ce := o.connectError(err)
	o.Logger.Debug("auth: refused", "nsp", s.Namespace().Name(), "id", s.ID(),
		"address", s.Handshake().Address, "message", ce.Message, "err", err)
	return ce
}

// connectError maps an authenticator's error to what the client sees.
func (o *Options) connectError(err error) *socket.ConnectError {
	if ce, ok := errors.AsType[*socket.ConnectError](err); ok {
		return ce
	}
	code := codeOf(err)
	return &socket.ConnectError{Message: o.Messages[code], Data: map[string]any{"code": string(code)}}
}

// codeOf returns the refusal code for an authenticator's error.
func codeOf(err error) Code {
	switch {
	case errors.Is(err, ErrMissingToken):
		return CodeMissingToken
	case errors.Is(err, ErrExpiredToken):
		return CodeExpiredToken
	default:
		return CodeInvalidToken
	}
}
