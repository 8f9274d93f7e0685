package auth_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/envivo/socketio/auth"
	"github.com/envivo/socketio/socket"
	"github.com/golang-jwt/jwt/v5"
)

// The tutorial's server: every socket proves who it is with a token in its
// handshake, and joins its user's room.
func Example() {
	secret := []byte("a random secret of at least 32 bytes")

	io := socket.NewServer(nil)
	io.Use(auth.Middleware(auth.HS256(secret), nil))
	io.OnConnection(func(s *socket.Socket) {
		user, _ := auth.Claims[auth.UserClaims](s)
		s.Join("user:" + user.Subject)
		_ = s.Emit("welcome", user.Email, user.Role)
	})

	http.Handle("/socket.io/", io)
}

// Issuing a token, as a login endpoint would, and verifying it, as the
// middleware does for every handshake.
func ExampleSigner() {
	secret := []byte("a random secret of at least 32 bytes")
	token, err := auth.Signer{Algorithm: "HS256", Key: secret}.Sign(auth.UserClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "42",
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(15 * time.Minute)),
		},
		Email: "ada@example.com",
		Role:  "admin",
	})
	if err != nil {
		panic(err)
	}

	user, err := auth.HS256(secret).Verify(context.Background(), token)
	fmt.Println(user.Subject, user.Email, user.Role, err)
	// Output: 42 ada@example.com admin <nil>
}

// An expired token is refused with ErrExpiredToken, which the middleware
// sends to the client as "expired token".
func ExampleJWTAuthenticator_Verify() {
	secret := []byte("a random secret of at least 32 bytes")
	token, _ := auth.Signer{Algorithm: "HS256", Key: secret}.Sign(jwt.RegisteredClaims{
		Subject:   "42",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Minute)),
	})
	_, err := auth.HS256(secret).Verify(context.Background(), token)
	fmt.Println(errors.Is(err, auth.ErrExpiredToken))

	_, err = auth.HS256([]byte("another secret")).Verify(context.Background(), token)
	fmt.Println(errors.Is(err, auth.ErrInvalidToken))
	// Output:
	// true
	// true
}

// Tokens of an identity provider, verified with the keys it publishes.
func ExampleNewJWKS() {
	keys := auth.NewJWKS("https://login.example.com/.well-known/jwks.json", nil)
	verifier, err := auth.NewJWT[auth.UserClaims](auth.JWTOptions{
		Algorithms: []string{"RS256", "ES256"},
		Keys:       keys,
		Issuer:     "https://login.example.com/",
		Audience:   []string{"chat"},
		Leeway:     30 * time.Second,
	})
	if err != nil {
		panic(err)
	}
	io := socket.NewServer(nil)
	io.Use(auth.Middleware(verifier, &auth.Options{DisconnectOnExpiry: true}))
}

// Another scheme: an API key in the auth payload, for a namespace of its
// own.
func ExampleAuthenticatorFunc() {
	apiKeys := auth.AuthenticatorFunc(func(ctx context.Context, h *socket.Handshake) (*auth.Identity, error) {
		var payload struct {
			Key string `json:"apiKey"`
		}
		if err := h.DecodeAuth(&payload); err != nil || payload.Key == "" {
			return nil, auth.ErrMissingToken
		}
		if subtle.ConstantTimeCompare([]byte(payload.Key), []byte("k-123")) != 1 {
			return nil, auth.ErrInvalidToken
		}
		return &auth.Identity{Subject: "service:billing"}, nil
	})

	io := socket.NewServer(nil)
	io.Of("/services").Use(auth.Middleware(apiKeys, nil))

	id, err := apiKeys.Authenticate(context.Background(), &socket.Handshake{Auth: json.RawMessage(`{"apiKey":"k-123"}`)})
	fmt.Println(id.Subject, err)
	_, err = apiKeys.Authenticate(context.Background(), &socket.Handshake{Auth: json.RawMessage(`{}`)})
	fmt.Println(err)
	// Output:
	// service:billing <nil>
	// auth: missing token
}

// Clients that cannot set the auth payload may send the token in the
// Authorization header or a cookie instead.
func ExampleFirstOf() {
	secret := []byte("a random secret of at least 32 bytes")
	verifier, err := auth.NewJWT[auth.UserClaims](auth.JWTOptions{
		Algorithms: []string{"HS256"},
		Keys:       auth.Secret(secret),
		Source:     auth.FirstOf(auth.FromAuth("token"), auth.FromBearer(), auth.FromCookie("access_token")),
	})
	if err != nil {
		panic(err)
	}
	socket.NewServer(nil).Use(auth.Middleware(verifier, nil))
}
