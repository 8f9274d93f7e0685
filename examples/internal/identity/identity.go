// Package identity issues and verifies the access tokens of the example
// programs, and reads who a socket or an HTTP request is.
//
// A token is a JWT signed with HS256 by a secret taken from the JWT_SECRET
// environment variable. Without it the examples use a development secret
// that is printed as a warning at startup: anyone who reads this file can
// forge tokens for a server that runs with it.
package identity

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/envivo/socketio/auth"
	"github.com/envivo/socketio/examples/internal/jsonapi"
	"github.com/envivo/socketio/socket"
	"github.com/golang-jwt/jwt/v5"
)

// SecretEnv is the environment variable that holds the signing secret.
const SecretEnv = "JWT_SECRET"

// DevSecret signs tokens when SecretEnv is not set. It is public: never run
// a server that others can reach with it.
const DevSecret = "envivo-examples-INSECURE-development-secret-change-me"

// DefaultTTL is how long an access token issued by Tokens stays valid.
const DefaultTTL = 12 * time.Hour

// User is who a token says its bearer is.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// Claims are the claims of the examples' access tokens: auth.UserClaims
// (the user id in "sub", "email", "role") plus the display name.
type Claims struct {
	auth.UserClaims
	Name string `json:"name"`
}

// User returns the user the claims describe.
func (c Claims) User() User {
	return User{ID: c.Subject, Name: c.Name, Email: c.Email, Role: c.Role}
}

// Secret returns the signing secret from SecretEnv or, when it is unset,
// DevSecret after a loud warning on logger.
func Secret(logger *slog.Logger) []byte {
	if s := os.Getenv(SecretEnv); s != "" {
		return []byte(s)
	}
	logger.Warn("!!! " + SecretEnv + " is not set: tokens are signed with a PUBLIC development secret. " +
		"Anyone can forge them. Set " + SecretEnv + " to a random value of at least 32 bytes " +
		"before you let anyone else reach this server.")
	return []byte(DevSecret)
}

// Tokens issues access tokens and verifies them, on sockets and on HTTP
// requests. It is safe for concurrent use.
type Tokens struct {
	signer   auth.Signer
	verifier *auth.JWTAuthenticator[Claims]
	ttl      time.Duration
}

// NewTokens returns Tokens that sign and verify with secret; tokens live for
// ttl, or DefaultTTL when ttl is 0.
func NewTokens(secret []byte, ttl time.Duration) *Tokens {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	verifier, err := auth.NewJWT[Claims](auth.JWTOptions{
		Algorithms: []string{"HS256"},
		Keys:       auth.Secret(secret),
		Leeway:     5 * time.Second,
	})
	if err != nil {
		panic(err) // only for an empty secret, a programming error here
	}
	return &Tokens{signer: auth.Signer{Algorithm: "HS256", Key: secret}, verifier: verifier, ttl: ttl}
}

// Issue returns a signed access token for u and when it expires.
func (t *Tokens) Issue(u User) (token string, expires time.Time, err error) {
	now := time.Now()
	expires = now.Add(t.ttl)
	token, err = t.signer.Sign(Claims{
		UserClaims: auth.UserClaims{
			RegisteredClaims: jwt.RegisteredClaims{
				Subject:   u.ID,
				IssuedAt:  jwt.NewNumericDate(now),
				ExpiresAt: jwt.NewNumericDate(expires),
			},
			Email: u.Email,
			Role:  u.Role,
		},
		Name: u.Name,
	})
	return token, expires, err
}

// Authenticator verifies the token a socket sends as io(url, { auth: { token } }),
// for auth.Middleware.
func (t *Tokens) Authenticator() auth.Authenticator { return t.verifier }

// Verify returns the user of a token.
func (t *Tokens) Verify(ctx context.Context, token string) (User, error) {
	c, err := t.verifier.Verify(ctx, token)
	if err != nil {
		return User{}, err
	}
	return c.User(), nil
}

// FromRequest returns the user of the "Authorization: Bearer <token>"
// header of r.
func (t *Tokens) FromRequest(r *http.Request) (User, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return User{}, auth.ErrMissingToken
	}
	return t.Verify(r.Context(), strings.TrimSpace(token))
}

// FromSocket returns the user that auth.Middleware verified for s.
func FromSocket(s *socket.Socket) (User, bool) {
	c, ok := auth.Claims[Claims](s)
	if !ok {
		return User{}, false
	}
	return c.User(), true
}

type ctxKey struct{}

// Authorize returns the user of r's bearer token, after check (when not
// nil) accepted it: check may refuse a verified user, one that no longer
// exists say, with an error fit for clients. The error says why r is
// refused, without the verifier's details: answer it with a 401.
func (t *Tokens) Authorize(r *http.Request, check func(ctx context.Context, u User) error) (User, error) {
	u, err := t.FromRequest(r)
	if err != nil {
		return User{}, errors.New(unauthorized(err))
	}
	if check != nil {
		if err := check(r.Context(), u); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// Require answers 401 to requests that Authorize refuses and passes the
// others to next, with the user in their context (see FromContext).
func (t *Tokens) Require(check func(ctx context.Context, u User) error, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := t.Authorize(r, check)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="envivo-examples"`)
			jsonapi.Error(w, http.StatusUnauthorized, err.Error())
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, u)))
	})
}

// unauthorized returns what a 401 says: which of the auth package's errors
// it was, never the verifier's details.
func unauthorized(err error) string {
	switch {
	case errors.Is(err, auth.ErrMissingToken):
		return "missing bearer token: send Authorization: Bearer <token from POST /api/login>"
	case errors.Is(err, auth.ErrExpiredToken):
		return "expired token: log in again"
	case errors.Is(err, auth.ErrInvalidToken):
		return "invalid token"
	default:
		return "invalid token"
	}
}

// FromContext returns the user that Require put in ctx.
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(ctxKey{}).(User)
	return u, ok
}
