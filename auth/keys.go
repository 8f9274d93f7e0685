package auth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
)

// KeySource finds the key that verifies a token. Secret and PublicKey give
// one fixed key, KeyFunc looks keys up by "kid", and *JWKS fetches them from
// a URL. Implementations must be safe for concurrent use.
type KeySource interface {
	// VerificationKey returns the key for a token whose header carries kid
	// ("" when it has none) and alg, which is one of the algorithms the
	// verifier accepts. The key must be a []byte HMAC secret for HS256,
	// HS384 and HS512, an *rsa.PublicKey for RS* and PS*, an
	// *ecdsa.PublicKey on the matching curve for ES*, and an
	// ed25519.PublicKey for EdDSA; a key of another kind refuses the token.
	// Any error refuses the token as invalid. It should return promptly
	// once ctx is done.
	VerificationKey(ctx context.Context, kid, alg string) (any, error)
}

// KeyFunc looks a key up by the "kid" of the token header, for keys that
// rotate; see KeySource for the key types. It must be safe for concurrent
// use.
type KeyFunc func(ctx context.Context, kid string) (any, error)

// VerificationKey calls f(ctx, kid).
func (f KeyFunc) VerificationKey(ctx context.Context, kid, _ string) (any, error) {
	return f(ctx, kid)
}

// staticKey is one key for every token, whatever its kid.
type staticKey struct{ key any }

func (k staticKey) VerificationKey(context.Context, string, string) (any, error) {
	return k.key, nil
}

// Secret returns a KeySource of one HMAC secret, for HS256, HS384 and
// HS512. It copies secret. RFC 7518 asks for a secret at least as long as
// the hash: 32 random bytes for HS256.
func Secret(secret []byte) KeySource { return staticKey{bytes.Clone(secret)} }

// PublicKey returns a KeySource of one public key: an *rsa.PublicKey, an
// *ecdsa.PublicKey or an ed25519.PublicKey.
func PublicKey(key crypto.PublicKey) KeySource { return staticKey{key} }

// ErrKeyMismatch reports a key that cannot verify the token's algorithm,
// such as an RSA key for HS256 (the "algorithm confusion" attack) or a
// P-384 key for ES256. It is wrapped with ErrInvalidToken.
var ErrKeyMismatch = errors.New("auth: key does not fit the algorithm")

// family is the kind of key an algorithm verifies with.
type family int

const (
	hmacFamily family = iota + 1
	rsaFamily
	ecFamily
	edFamily
)

// minRSABits is the smallest RSA modulus accepted, as RFC 7518 requires.
const minRSABits = 2048

// algorithms are the "alg" values a verifier may accept.
var algorithms = map[string]struct {
	family family
	curve  elliptic.Curve // for ecFamily
}{
	"HS256": {family: hmacFamily}, "HS384": {family: hmacFamily}, "HS512": {family: hmacFamily},
	"RS256": {family: rsaFamily}, "RS384": {family: rsaFamily}, "RS512": {family: rsaFamily},
	"PS256": {family: rsaFamily}, "PS384": {family: rsaFamily}, "PS512": {family: rsaFamily},
	"ES256": {ecFamily, elliptic.P256()}, "ES384": {ecFamily, elliptic.P384()},
	"ES512": {ecFamily, elliptic.P521()},
	"EdDSA": {family: edFamily},
}

// checkKey reports whether key can verify tokens signed with alg.
func checkKey(alg string, key any) error {
	a, ok := algorithms[alg]
	if !ok {
		return fmt.Errorf("%w: unsupported algorithm %q", ErrKeyMismatch, alg)
	}
	var fits bool
	switch k := key.(type) {
	case []byte:
		fits = a.family == hmacFamily && len(k) > 0
	case *rsa.PublicKey:
		fits = a.family == rsaFamily && k != nil && k.N != nil && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		fits = a.family == ecFamily && k != nil && k.Curve == a.curve
	case ed25519.PublicKey:
		fits = a.family == edFamily && len(k) == ed25519.PublicKeySize
	}
	if !fits {
		return fmt.Errorf("%w: %s cannot use a key of type %T", ErrKeyMismatch, alg, key)
	}
	return nil
}
