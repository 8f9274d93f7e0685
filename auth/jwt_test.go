package auth

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/envivo/socketio/socket"
)

// hsOpts are the options of the HS256 verifier most cases use.
func hsOpts() JWTOptions {
	return JWTOptions{Algorithms: []string{"HS256"}, Keys: Secret(keys().secret), Now: clock}
}

func newJWT(t testing.TB, o JWTOptions) *JWTAuthenticator[UserClaims] {
	t.Helper()
	a, err := NewJWT[UserClaims](o)
	if err != nil {
		t.Fatalf("NewJWT: %v", err)
	}
	return a
}

// segments splits a token, applies edit to its decoded header and payload,
// and joins it again with the original signature.
func reencode(t testing.TB, tok string, header, payload string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if header != "" {
		parts[0] = b64url([]byte(header))
	}
	if payload != "" {
		parts[1] = b64url([]byte(payload))
	}
	return strings.Join(parts, ".")
}

func TestVerifyAlgorithms(t *testing.T) {
	t.Parallel()
	k := keys()
	cases := []struct {
		alg  string
		sign any
		keys KeySource
	}{
		{"HS256", k.secret, Secret(k.secret)},
		{"HS384", k.secret, Secret(k.secret)},
		{"HS512", k.secret, Secret(k.secret)},
		{"RS256", k.rsa, PublicKey(&k.rsa.PublicKey)},
		{"RS384", k.rsa, PublicKey(&k.rsa.PublicKey)},
		{"RS512", k.rsa, PublicKey(&k.rsa.PublicKey)},
		{"PS256", k.rsa, PublicKey(&k.rsa.PublicKey)},
		{"PS512", k.rsa, PublicKey(&k.rsa.PublicKey)},
		{"ES256", k.p256, PublicKey(&k.p256.PublicKey)},
		{"ES384", k.p384, PublicKey(&k.p384.PublicKey)},
		{"ES512", k.p521, PublicKey(&k.p521.PublicKey)},
		{"EdDSA", k.ed, PublicKey(k.ed.Public())},
	}
	for _, c := range cases {
		t.Run(c.alg, func(t *testing.T) {
			t.Parallel()
			a := newJWT(t, JWTOptions{Algorithms: []string{c.alg}, Keys: c.keys, Now: clock})
			tok := sign(t, Signer{Algorithm: c.alg, Key: c.sign}, user(nil))
			got, err := a.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.Subject != "u-42" || got.Email != "ada@example.com" || got.Role != "admin" {
				t.Errorf("claims = %+v", got)
			}
		})
	}
}

func TestVerifyClaims(t *testing.T) {
	t.Parallel()
	hs := Signer{Algorithm: "HS256", Key: keys().secret}
	withIss := func(o JWTOptions) JWTOptions { o.Issuer = "https://issuer.test/"; return o }
	withAud := func(aud ...string) func(JWTOptions) JWTOptions {
		return func(o JWTOptions) JWTOptions { o.Audience = aud; return o }
	}
	withLeeway := func(o JWTOptions) JWTOptions { o.Leeway = time.Minute; return o }
	cases := []struct {
		name   string
		opts   func(JWTOptions) JWTOptions
		claims func(c *UserClaims)
		want   error // nil, ErrInvalidToken or ErrExpiredToken
	}{
		{"valid", nil, nil, nil},
		{"expired", nil, func(c *UserClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second)) }, ErrExpiredToken},
		{"expires now", nil, func(c *UserClaims) { c.ExpiresAt = jwt.NewNumericDate(now) }, ErrExpiredToken},
		{"expired within leeway", withLeeway, func(c *UserClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-30 * time.Second)) }, nil},
		{"expired beyond leeway", withLeeway, func(c *UserClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-2 * time.Minute)) }, ErrExpiredToken},
		{"not yet valid", nil, func(c *UserClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(time.Second)) }, ErrInvalidToken},
		{"not yet valid within leeway", withLeeway, func(c *UserClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(30 * time.Second)) }, nil},
		{"not before passed", nil, func(c *UserClaims) { c.NotBefore = jwt.NewNumericDate(now.Add(-time.Second)) }, nil},
		{"no expiry", nil, func(c *UserClaims) { c.ExpiresAt = nil }, ErrInvalidToken},
		{"no expiry allowed", func(o JWTOptions) JWTOptions { o.AllowNoExpiry = true; return o }, func(c *UserClaims) { c.ExpiresAt = nil }, nil},
		{"issuer", withIss, nil, nil},
		{"wrong issuer", withIss, func(c *UserClaims) { c.Issuer = "https://evil.test/" }, ErrInvalidToken},
		{"no issuer", withIss, func(c *UserClaims) { c.Issuer = "" }, ErrInvalidToken},
		{"issuer not checked", nil, func(c *UserClaims) { c.Issuer = "https://other.test/" }, nil},
		{"audience", withAud("chat"), nil, nil},
		{"one of the audiences", withAud("admin", "chat"), func(c *UserClaims) { c.Audience = jwt.ClaimStrings{"x", "chat"} }, nil},
		{"wrong audience", withAud("admin"), nil, ErrInvalidToken},
		{"no audience", withAud("chat"), func(c *UserClaims) { c.Audience = nil }, ErrInvalidToken},
		// Expired is told only to a holder of a genuine token for this
		// server: any other fault makes it invalid.
		{"expired and wrong issuer", withIss, func(c *UserClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
			c.Issuer = "https://evil.test/"
		}, ErrInvalidToken},
		{"expired and not yet valid", nil, func(c *UserClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour))
			c.NotBefore = jwt.NewNumericDate(now.Add(time.Hour))
		}, ErrInvalidToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := hsOpts()
			if c.opts != nil {
				o = c.opts(o)
			}
			_, err := newJWT(t, o).Verify(context.Background(), sign(t, hs, user(c.claims)))
			checkErr(t, err, c.want)
		})
	}
}

// checkErr fails unless err is nil when want is, or wraps want and no
// other refusal sentinel.
func checkErr(t testing.TB, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want none", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	for _, other := range []error{ErrMissingToken, ErrInvalidToken, ErrExpiredToken} {
		if other != want && errors.Is(err, other) {
			t.Fatalf("err = %v wraps %v as well as %v", err, other, want)
		}
	}
}

func TestVerifyForgeries(t *testing.T) {
	t.Parallel()
	k := keys()
	hs := Signer{Algorithm: "HS256", Key: k.secret}
	good := sign(t, hs, user(nil))
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&k.rsa.PublicKey))})
	rsaVerifier := JWTOptions{Algorithms: []string{"RS256"}, Keys: PublicKey(&k.rsa.PublicKey), Now: clock}
	cases := []struct {
		name  string
		opts  JWTOptions
		token string
	}{
		{"wrong secret", hsOpts(), sign(t, Signer{Algorithm: "HS256", Key: []byte("another secret, 32 bytes long!!!")}, user(nil))},
		{"algorithm not allowed", hsOpts(), sign(t, Signer{Algorithm: "HS384", Key: k.secret}, user(nil))},
		{"alg none", hsOpts(), must(jwt.NewWithClaims(jwt.SigningMethodNone, user(nil)).SignedString(jwt.UnsafeAllowNoneSignatureType))},
		{"alg none with signature", hsOpts(), reencode(t, good, `{"alg":"none","typ":"JWT"}`, "")},
		{"alg header swapped", rsaVerifier, reencode(t, sign(t, Signer{Algorithm: "RS256", Key: k.rsa}, user(nil)), `{"alg":"RS384","typ":"JWT"}`, "")},
		// The classic confusion: an HS256 token whose secret is the
		// verifier's RSA public key.
		{"RSA public key as HMAC secret", rsaVerifier, sign(t, Signer{Algorithm: "HS256", Key: pubPEM}, user(nil))},
		{"RSA public key as HMAC secret, HS256 allowed", JWTOptions{
			Algorithms: []string{"RS256", "HS256"},
			Keys:       KeyFunc(func(context.Context, string) (any, error) { return &k.rsa.PublicKey, nil }),
			Now:        clock,
		}, sign(t, Signer{Algorithm: "HS256", Key: pubPEM}, user(nil))},
		{"RS256 by another key", rsaVerifier, sign(t, Signer{Algorithm: "RS256", Key: k.rsa2}, user(nil))},
		{"ES256 against a P-384 key", JWTOptions{
			Algorithms: []string{"ES256"},
			Keys:       KeyFunc(func(context.Context, string) (any, error) { return &k.p384.PublicKey, nil }),
			Now:        clock,
		}, sign(t, Signer{Algorithm: "ES256", Key: k.p256}, user(nil))},
		{"RSA key too small", JWTOptions{
			Algorithms: []string{"RS256"},
			Keys:       KeyFunc(func(context.Context, string) (any, error) { return &k.rsaSmall.PublicKey, nil }),
			Now:        clock,
		}, sign(t, Signer{Algorithm: "RS256", Key: k.rsaSmall}, user(nil))},
		{"tampered payload", hsOpts(), reencode(t, good, "", `{"sub":"u-1","role":"admin","exp":1900000000}`)},
		{"tampered signature", hsOpts(), good[:len(good)-10] + flip(good[len(good)-10:len(good)-8]) + good[len(good)-8:]},
		{"signature stripped", hsOpts(), good[:strings.LastIndex(good, ".")+1]},
		{"critical extension", hsOpts(), signHeader(t, hs, map[string]any{"crit": []string{"exp"}, "exp": 1})},
		{"kid not a string", hsOpts(), signHeader(t, hs, map[string]any{"kid": 7})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := newJWT(t, c.opts).Verify(context.Background(), c.token)
			checkErr(t, err, ErrInvalidToken)
		})
	}
}

// signHeader signs user claims with extra header members.
func signHeader(t testing.TB, s Signer, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(s.Algorithm), user(nil))
	for k, v := range header {
		tok.Header[k] = v
	}
	out, err := tok.SignedString(s.Key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flip changes base64url text into other valid base64url text.
func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	good := sign(t, Signer{Algorithm: "HS256", Key: keys().secret}, user(nil))
	parts := strings.Split(good, ".")
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrMissingToken},
		{"one segment", "abc", ErrInvalidToken},
		{"two segments", parts[0] + "." + parts[1], ErrInvalidToken},
		{"four segments", good + ".abc", ErrInvalidToken},
		{"dots only", "..", ErrInvalidToken},
		{"header not base64", "!!!." + parts[1] + "." + parts[2], ErrInvalidToken},
		{"payload not base64", parts[0] + ".%%%." + parts[2], ErrInvalidToken},
		{"signature not base64", parts[0] + "." + parts[1] + ".***", ErrInvalidToken},
		{"padded base64", parts[0] + "==." + parts[1] + "." + parts[2], ErrInvalidToken},
		{"header not JSON", b64url([]byte("alg:HS256")) + "." + parts[1] + "." + parts[2], ErrInvalidToken},
		{"header a string", b64url([]byte(`"HS256"`)) + "." + parts[1] + "." + parts[2], ErrInvalidToken},
		{"alg missing", b64url([]byte(`{"typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], ErrInvalidToken},
		{"alg unknown", b64url([]byte(`{"alg":"XX999"}`)) + "." + parts[1] + "." + parts[2], ErrInvalidToken},
		{"alg a number", b64url([]byte(`{"alg":256}`)) + "." + parts[1] + "." + parts[2], ErrInvalidToken},
		{"payload not JSON", parts[0] + "." + b64url([]byte("{")) + "." + parts[2], ErrInvalidToken},
		{"payload an array", parts[0] + "." + b64url([]byte("[1,2]")) + "." + parts[2], ErrInvalidToken},
		{"exp a string", parts[0] + "." + b64url([]byte(`{"exp":"tomorrow"}`)) + "." + parts[2], ErrInvalidToken},
		{"sub a number", parts[0] + "." + b64url([]byte(`{"sub":42}`)) + "." + parts[2], ErrInvalidToken},
		{"oversized", good + strings.Repeat("A", DefaultMaxTokenSize), ErrInvalidToken},
		{"binary", "\x00\xff.\x00.\x00", ErrInvalidToken},
	}
	a := newJWT(t, hsOpts())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.Verify(context.Background(), c.token)
			checkErr(t, err, c.want)
		})
	}
}

func TestVerifyMaxTokenSize(t *testing.T) {
	t.Parallel()
	tok := sign(t, Signer{Algorithm: "HS256", Key: keys().secret}, user(nil))
	for _, limit := range []int{len(tok) - 1, len(tok)} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			o := hsOpts()
			o.MaxTokenSize = limit
			_, err := newJWT(t, o).Verify(context.Background(), tok)
			if limit < len(tok) {
				checkErr(t, err, ErrInvalidToken)
			} else {
				checkErr(t, err, nil)
			}
		})
	}
}

func TestVerifyKeyFunc(t *testing.T) {
	t.Parallel()
	k := keys()
	// Two keys in rotation, looked up by kid.
	byKid := map[string]any{"old": &k.rsa.PublicKey, "new": &k.rsa2.PublicKey}
	var seen []string
	a := newJWT(t, JWTOptions{
		Algorithms: []string{"RS256"},
		Keys: KeyFunc(func(_ context.Context, kid string) (any, error) {
			seen = append(seen, kid)
			if key, ok := byKid[kid]; ok {
				return key, nil
			}
			return nil, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
		}),
		Now: clock,
	})
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"old kid", sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "old"}, user(nil)), nil},
		{"new kid", sign(t, Signer{Algorithm: "RS256", Key: k.rsa2, KeyID: "new"}, user(nil)), nil},
		{"unknown kid", sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "gone"}, user(nil)), ErrInvalidToken},
		{"kid of another key", sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "new"}, user(nil)), ErrInvalidToken},
		{"no kid", sign(t, Signer{Algorithm: "RS256", Key: k.rsa}, user(nil)), ErrInvalidToken},
	}
	for _, c := range cases { // sequential: seen is shared
		_, err := a.Verify(context.Background(), c.token)
		t.Run(c.name, func(t *testing.T) { checkErr(t, err, c.want) })
	}
	if want := []string{"old", "new", "gone", "new", ""}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("kids looked up = %q, want %q", seen, want)
	}
}

func TestNewJWTErrors(t *testing.T) {
	t.Parallel()
	k := keys()
	cases := []struct {
		name string
		opts JWTOptions
	}{
		{"no algorithms", JWTOptions{Keys: Secret(k.secret)}},
		{"no keys", JWTOptions{Algorithms: []string{"HS256"}}},
		{"none", JWTOptions{Algorithms: []string{"none"}, Keys: Secret(k.secret)}},
		{"lower case", JWTOptions{Algorithms: []string{"hs256"}, Keys: Secret(k.secret)}},
		{"unknown", JWTOptions{Algorithms: []string{"HS1"}, Keys: Secret(k.secret)}},
		{"empty secret", JWTOptions{Algorithms: []string{"HS256"}, Keys: Secret(nil)}},
		{"secret for RS256", JWTOptions{Algorithms: []string{"HS256", "RS256"}, Keys: Secret(k.secret)}},
		{"RSA key for HS256", JWTOptions{Algorithms: []string{"HS256"}, Keys: PublicKey(&k.rsa.PublicKey)}},
		{"private key", JWTOptions{Algorithms: []string{"RS256"}, Keys: PublicKey(k.rsa)}},
		{"P-256 key for ES384", JWTOptions{Algorithms: []string{"ES384"}, Keys: PublicKey(&k.p256.PublicKey)}},
		{"negative leeway", JWTOptions{Algorithms: []string{"HS256"}, Keys: Secret(k.secret), Leeway: -1}},
		{"negative size", JWTOptions{Algorithms: []string{"HS256"}, Keys: Secret(k.secret), MaxTokenSize: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if a, err := NewJWT[UserClaims](c.opts); err == nil {
				t.Fatalf("NewJWT = %v, want an error", a)
			}
		})
	}
}

func TestNewJWTCopiesOptions(t *testing.T) {
	t.Parallel()
	secret := append([]byte(nil), keys().secret...)
	o := JWTOptions{Algorithms: []string{"HS256"}, Keys: Secret(secret), Now: clock}
	a := newJWT(t, o)
	o.Algorithms[0] = "HS384"
	secret[0] ^= 1
	tok := sign(t, Signer{Algorithm: "HS256", Key: keys().secret}, user(nil))
	if _, err := a.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify after changing the options: %v", err)
	}
}

func TestHS256(t *testing.T) {
	t.Parallel()
	a := HS256(keys().secret)
	tok := sign(t, Signer{Algorithm: "HS256", Key: keys().secret}, user(func(c *UserClaims) {
		c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(time.Hour))
	}))
	if _, err := a.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("HS256(nil) did not panic")
		}
	}()
	HS256(nil)
}

// customClaims has claims of its own beside the registered ones.
type customClaims struct {
	jwt.RegisteredClaims
	Tenant string   `json:"tenant"`
	Scopes []string `json:"scp"`
}

func TestAuthenticateIdentity(t *testing.T) {
	t.Parallel()
	a, err := NewJWT[customClaims](JWTOptions{
		Algorithms: []string{"HS256"}, Keys: Secret(keys().secret), Now: clock, Leeway: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(time.Hour)
	tok := sign(t, Signer{Algorithm: "HS256", Key: keys().secret}, customClaims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u-7", ExpiresAt: jwt.NewNumericDate(exp)},
		Tenant:           "acme",
		Scopes:           []string{"read", "write"},
	})
	id, err := a.Authenticate(context.Background(), handshake(`{"token":"`+tok+`"}`))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	c, ok := id.Claims.(customClaims)
	if !ok || c.Tenant != "acme" || fmt.Sprint(c.Scopes) != "[read write]" || c.Subject != "u-7" {
		t.Errorf("claims = %#v", id.Claims)
	}
	if id.Subject != "u-7" {
		t.Errorf("Subject = %q", id.Subject)
	}
	if want := exp.Add(5 * time.Second); !id.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want exp + leeway = %v", id.ExpiresAt, want)
	}
}

func TestAuthenticateSources(t *testing.T) {
	t.Parallel()
	tok := sign(t, Signer{Algorithm: "HS256", Key: keys().secret}, user(nil))
	cases := []struct {
		name   string
		source TokenSource
		auth   string
		header string // Authorization
		want   error
	}{
		{"auth.token", nil, `{"token":"` + tok + `"}`, "", nil},
		{"no auth", nil, `{}`, "Bearer " + tok, ErrMissingToken},
		{"token a number", nil, `{"token":42}`, "", ErrInvalidToken},
		{"token an object", nil, `{"token":{"jwt":"` + tok + `"}}`, "", ErrInvalidToken},
		{"bearer", FromBearer(), `{}`, "Bearer " + tok, nil},
		{"bearer ignores auth", FromBearer(), `{"token":"` + tok + `"}`, "", ErrMissingToken},
		{"first of", FirstOf(FromAuth("token"), FromBearer()), `{}`, "Bearer " + tok, nil},
		{"garbage token", nil, `{"token":"x.y.z"}`, "", ErrInvalidToken},
		{"oversized auth token", nil, `{"token":"` + tok + strings.Repeat("A", DefaultMaxTokenSize) + `"}`, "", ErrInvalidToken},
		{"oversized header", FromBearer(), `{}`, "Bearer " + strings.Repeat("A", 1<<20), ErrInvalidToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := hsOpts()
			o.Source = c.source
			h := handshake(c.auth)
			if c.header != "" {
				h.Headers = socket.NewHeader(http.Header{"Authorization": {c.header}})
			}
			id, err := newJWT(t, o).Authenticate(context.Background(), h)
			checkErr(t, err, c.want)
			if err == nil && id.Subject != "u-42" {
				t.Errorf("identity = %+v", id)
			}
		})
	}
}
