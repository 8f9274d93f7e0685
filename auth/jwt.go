package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/envivo/socketio/socket"
	"github.com/golang-jwt/jwt/v5"
)

// JWTOptions configures a JWTAuthenticator. Algorithms and Keys are
// required; every other zero field takes the default in its comment.
// NewJWT copies the struct, so changing it afterwards has no effect.
type JWTOptions struct {
	// Algorithms lists the "alg" header values accepted, such as
	// []string{"RS256"}; a token signed with any other algorithm is refused.
	// "none" is never accepted. Required.
	Algorithms []string
	// Keys finds the key that verifies each token: Secret, PublicKey,
	// KeyFunc or a *JWKS. Required.
	Keys KeySource

	// Issuer, when set, must equal the token's "iss" claim.
	// Default: "iss" is not checked.
	Issuer string
	// Audience, when set, must share a value with the token's "aud" claim.
	// Default: "aud" is not checked.
	Audience []string
	// Leeway is the clock skew tolerated when checking "exp" and "nbf",
	// which are always checked. Default: 0.
	Leeway time.Duration
	// AllowNoExpiry accepts tokens without an "exp" claim, which then never
	// expire. Default: false, a token without "exp" is invalid.
	AllowNoExpiry bool

	// Source says where the handshake carries the token.
	// Default: FromAuth("token"), the client's auth: { token }.
	Source TokenSource
	// MaxTokenSize bounds the length of a token in bytes; a longer one is
	// invalid before any decoding. Default: 8192.
	MaxTokenSize int
	// Now returns the current time for the "exp" and "nbf" checks.
	// Default: time.Now.
	Now func() time.Time
}

// DefaultMaxTokenSize is the default of JWTOptions.MaxTokenSize.
const DefaultMaxTokenSize = 8192

// JWTAuthenticator verifies JSON Web Tokens (RFC 7519) carried by the
// handshake and decodes their claims into a C. Create it with NewJWT; it is
// safe for concurrent use.
type JWTAuthenticator[C any] struct {
	opts      JWTOptions
	parser    *jwt.Parser    // decodes and checks the signature
	validator *jwt.Validator // checks the claims
	// claims returns a new C and the same value as jwt.Claims.
	claims func() (*C, jwt.Claims)
}

// NewJWT returns an authenticator of tokens whose claims decode into C, a
// struct that embeds jwt.RegisteredClaims (such as UserClaims) or
// otherwise implements jwt.Claims through a pointer:
//
//	a, err := auth.NewJWT[auth.UserClaims](auth.JWTOptions{
//		Algorithms: []string{"RS256"},
//		Keys:       auth.NewJWKS("https://issuer.example/.well-known/jwks.json", nil),
//		Issuer:     "https://issuer.example/",
//	})
//
// It fails when Algorithms or Keys are missing, when an algorithm is "none"
// or unknown, or when a Secret or PublicKey cannot verify one of the
// algorithms.
func NewJWT[C any, P interface {
	*C
	jwt.Claims
}](opts JWTOptions) (*JWTAuthenticator[C], error) {
	opts, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	a := &JWTAuthenticator[C]{
		opts:   opts,
		claims: func() (*C, jwt.Claims) { c := new(C); return c, P(c) },
	}
	a.parser = jwt.NewParser(
		jwt.WithValidMethods(opts.Algorithms), jwt.WithStrictDecoding(), jwt.WithoutClaimsValidation())
	a.validator = jwt.NewValidator(opts.validatorOptions()...)
	return a, nil
}

// HS256 returns the authenticator of the common case: tokens signed with
// HS256 by secret, carried in the client's auth: { token }, their claims
// decoded into UserClaims. It panics if secret is empty.
func HS256(secret []byte) *JWTAuthenticator[UserClaims] {
	a, err := NewJWT[UserClaims](JWTOptions{Algorithms: []string{"HS256"}, Keys: Secret(secret)})
	if err != nil {
		panic(err)
	}
	return a
}

func (o JWTOptions) normalize() (JWTOptions, error) {
	o.Algorithms = slices.Clone(o.Algorithms)
	o.Audience = slices.Clone(o.Audience)
	if len(o.Algorithms) == 0 {
		return o, errors.New("auth: JWTOptions.Algorithms is empty")
	}
	if o.Keys == nil {
		return o, errors.New("auth: JWTOptions.Keys is nil")
	}
	for _, alg := range o.Algorithms {
		if _, ok := algorithms[alg]; !ok {
			return o, fmt.Errorf("auth: algorithm %q is not supported", alg)
		}
		if k, ok := o.Keys.(staticKey); ok {
			if err := checkKey(alg, k.key); err != nil {
				return o, err
			}
		}
	}
	if o.Leeway < 0 || o.MaxTokenSize < 0 {
		return o, errors.New("auth: JWTOptions.Leeway and MaxTokenSize must not be negative")
	}
	if o.Source == nil {
		o.Source = FromAuth("token")
	}
	if o.MaxTokenSize == 0 {
		o.MaxTokenSize = DefaultMaxTokenSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

func (o JWTOptions) validatorOptions() []jwt.ParserOption {
	p := []jwt.ParserOption{jwt.WithLeeway(o.Leeway), jwt.WithTimeFunc(o.Now)}
	if !o.AllowNoExpiry {
		p = append(p, jwt.WithExpirationRequired())
	}
	if o.Issuer != "" {
		p = append(p, jwt.WithIssuer(o.Issuer))
	}
	if len(o.Audience) > 0 {
		p = append(p, jwt.WithAudience(o.Audience...))
	}
	return p
}

// Authenticate reads the token from h with the configured Source and
// verifies it; see Verify. The Identity holds the claims as a C, the "sub"
// claim as Subject and "exp" plus the leeway as ExpiresAt.
func (a *JWTAuthenticator[C]) Authenticate(ctx context.Context, h *socket.Handshake) (*Identity, error) {
	token, err := a.opts.Source(h)
	if err != nil {
		return nil, err
	}
	c, claims, err := a.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	id := &Identity{Claims: *c}
	id.Subject, _ = claims.GetSubject()
	if exp, _ := claims.GetExpirationTime(); exp != nil {
		id.ExpiresAt = exp.Add(a.opts.Leeway)
	}
	return id, nil
}

// Verify checks a compact JWT: its size, its algorithm against Algorithms,
// its signature with the key from Keys, then "exp", "nbf", and when
// configured "iss" and "aud". It returns the decoded claims, or an error
// wrapping ErrExpiredToken when the token is genuine but expired only, and
// ErrInvalidToken otherwise (ErrMissingToken for an empty token).
func (a *JWTAuthenticator[C]) Verify(ctx context.Context, token string) (C, error) {
	c, _, err := a.verify(ctx, token)
	if err != nil {
		var zero C
		return zero, err
	}
	return *c, nil
}

func (a *JWTAuthenticator[C]) verify(ctx context.Context, token string) (*C, jwt.Claims, error) {
	switch {
	case token == "":
		return nil, nil, ErrMissingToken
	case len(token) > a.opts.MaxTokenSize:
		return nil, nil, fmt.Errorf("%w: token of %d bytes exceeds %d", ErrInvalidToken, len(token), a.opts.MaxTokenSize)
	}
	c, claims := a.claims()
	_, err := a.parser.ParseWithClaims(token, claims, func(t *jwt.Token) (any, error) {
		return a.key(ctx, t)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	// The signature is genuine: now the claims.
	if err := a.validator.Validate(claims); err != nil {
		if onlyExpired(err) {
			return nil, nil, fmt.Errorf("%w: %w", ErrExpiredToken, err)
		}
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return c, claims, nil
}

// key is the jwt.Keyfunc: it refuses critical extensions, then finds and
// checks the key. The parser has already checked alg against Algorithms.
func (a *JWTAuthenticator[C]) key(ctx context.Context, t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, errors.New("unsupported critical header extension")
	}
	kid, ok := t.Header["kid"].(string)
	if !ok && t.Header["kid"] != nil {
		return nil, errors.New("kid is not a string")
	}
	alg := t.Method.Alg()
	key, err := a.opts.Keys.VerificationKey(ctx, kid, alg)
	if err != nil {
		return nil, err
	}
	return key, checkKey(alg, key)
}

// onlyExpired reports whether "exp" is the only claim check that err, from
// jwt.Validator.Validate, reports: a genuine token from the right issuer
// that has merely expired.
func onlyExpired(err error) bool {
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return errors.Is(err, jwt.ErrTokenExpired)
	}
	for _, e := range joined.Unwrap() {
		if !errors.Is(e, jwt.ErrTokenExpired) {
			return false
		}
	}
	return true
}
