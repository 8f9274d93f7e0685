package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/envivo/socketio/internal/skipnote"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m)) // skipnote: the skips for missing peers, visible
}

// now is the fixed clock of the verification tests.
var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

// testKeys are generated once per run: RSA generation is slow.
type testKeys struct {
	secret           []byte
	rsa, rsa2        *rsa.PrivateKey
	rsaSmall         *rsa.PrivateKey // 1024 bits, below the minimum
	p256, p384, p521 *ecdsa.PrivateKey
	ed               ed25519.PrivateKey
}

var keys = sync.OnceValue(func() *testKeys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	k := &testKeys{secret: []byte("0123456789abcdef0123456789abcdef")}
	var err error
	k.rsa, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsa2, err = rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	k.rsaSmall, err = rsa.GenerateKey(rand.Reader, 1024)
	must(err)
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	must(err)
	_, k.ed, err = ed25519.GenerateKey(rand.Reader)
	must(err)
	return k
})

// user returns valid UserClaims at now, changed by edit.
func user(edit func(c *UserClaims)) *UserClaims {
	c := &UserClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "u-42",
			Issuer:    "https://issuer.test/",
			Audience:  jwt.ClaimStrings{"chat"},
			IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
			ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
		},
		Email: "ada@example.com",
		Role:  "admin",
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// sign signs claims or fails the test.
func sign(t testing.TB, s Signer, claims jwt.Claims) string {
	t.Helper()
	tok, err := s.Sign(claims)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}

// b64url encodes b as JWTs and JWKs do.
func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkOf returns the public JWK of a private key, as an issuer publishes it.
func jwkOf(kid, alg string, priv any) map[string]any {
	m := map[string]any{"kid": kid, "use": "sig"}
	if alg != "" {
		m["alg"] = alg
	}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		m["kty"] = "RSA"
		m["n"] = b64url(k.N.Bytes())
		m["e"] = b64url(big.NewInt(int64(k.E)).Bytes())
	case *ecdsa.PrivateKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		point, err := k.PublicKey.Bytes() // 0x04 || x || y
		if err != nil {
			panic(err)
		}
		m["kty"] = "EC"
		m["crv"] = k.Curve.Params().Name
		m["x"] = b64url(point[1 : 1+size])
		m["y"] = b64url(point[1+size:])
	case ed25519.PrivateKey:
		m["kty"] = "OKP"
		m["crv"] = "Ed25519"
		m["x"] = b64url(k.Public().(ed25519.PublicKey))
	default:
		panic("jwkOf: unsupported key")
	}
	return m
}
