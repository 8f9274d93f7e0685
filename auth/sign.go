package auth

import (
	"fmt"

	"github.com/golang-jwt/jwt/v5"
)

// Signer issues tokens, for tests, examples and small applications that
// sign their own. Issuing tokens is the application's job (its login
// endpoint); nothing in this package's verification path uses Signer.
// A Signer is a value: it is safe for concurrent use if Key is.
type Signer struct {
	// Algorithm is one of the algorithms JWTOptions accepts, such as
	// "HS256"; never "none".
	Algorithm string
	// Key signs: a []byte secret for HS*, an *rsa.PrivateKey for RS* and
	// PS*, an *ecdsa.PrivateKey for ES*, an ed25519.PrivateKey for EdDSA.
	Key any
	// KeyID, when set, is written to the "kid" header, for verifiers that
	// look keys up by kid (KeyFunc, JWKS).
	KeyID string
}

// Sign returns claims as a compact, signed JWT.
func (s Signer) Sign(claims jwt.Claims) (string, error) {
	if _, ok := algorithms[s.Algorithm]; !ok {
		return "", fmt.Errorf("auth: cannot sign with algorithm %q", s.Algorithm)
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(s.Algorithm), claims)
	if s.KeyID != "" {
		t.Header["kid"] = s.KeyID
	}
	return t.SignedString(s.Key)
}
