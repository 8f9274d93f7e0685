package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// ErrUnknownKey reports a token whose "kid" names no key the KeySource
// knows. It is wrapped with ErrInvalidToken.
var ErrUnknownKey = errors.New("auth: unknown key")

// maxRSABits bounds the RSA moduli a JWKS may hold, so that a hostile
// document cannot make every verification slow.
const maxRSABits = 8192

// jwk is one verification key of a JWK Set.
type jwk struct {
	alg string // "" when the JWK does not restrict it
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// keySet holds the usable keys of a JWK Set by "kid".
type keySet map[string][]jwk

// find returns the key for a token with kid and alg: one whose kid matches
// and that can verify alg (a JWK's "alg", when present, must equal it).
// A token without kid may use the key of a set that has only one.
func (ks keySet) find(kid, alg string) (any, bool) {
	candidates := ks[kid]
	if kid == "" && len(ks) == 1 {
		for _, keys := range ks {
			candidates = keys
		}
	}
	for _, k := range candidates {
		if (k.alg == "" || k.alg == alg) && checkKey(alg, k.key) == nil {
			return k.key, true
		}
	}
	return nil, false
}

// rawJWK is the wire form of a JWK (RFC 7517), public members only.
type rawJWK struct {
	Kty    string   `json:"kty"`
	Kid    string   `json:"kid"`
	Alg    string   `json:"alg"`
	Use    string   `json:"use"`
	KeyOps []string `json:"key_ops"`
	Crv    string   `json:"crv"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
	D      string   `json:"d"`
}

// parseJWKS decodes a JWK Set document. It keeps the RSA, EC (P-256,
// P-384, P-521) and Ed25519 public keys meant for signatures and skips
// every other member; it fails if the document is malformed or holds no
// usable key. skipped lists why members were skipped, for logs.
func parseJWKS(doc []byte) (ks keySet, skipped []string, err error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, nil, fmt.Errorf("auth: malformed JWK Set: %w", err)
	}
	ks = make(keySet)
	for i, raw := range set.Keys {
		var r rawJWK
		var k jwk
		err := json.Unmarshal(raw, &r)
		if err == nil {
			k, err = r.parse()
		}
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d (kid %q): %v", i, r.Kid, err))
			continue
		}
		ks[r.Kid] = append(ks[r.Kid], k)
	}
	if len(ks) == 0 {
		return nil, skipped, fmt.Errorf("auth: JWK Set has no usable key (%d members)", len(set.Keys))
	}
	return ks, skipped, nil
}

// parse validates one JWK and returns its public key.
func (r *rawJWK) parse() (jwk, error) {
	switch {
	case r.D != "":
		return jwk{}, errors.New("holds a private key; refusing to use a leaked key")
	case r.Use != "" && r.Use != "sig":
		return jwk{}, fmt.Errorf("use %q is not sig", r.Use)
	case r.KeyOps != nil && !slices.Contains(r.KeyOps, "verify"):
		return jwk{}, errors.New("key_ops lacks verify")
	case r.Alg != "" && algorithms[r.Alg].family == 0:
		return jwk{}, fmt.Errorf("unsupported alg %q", r.Alg)
	}
	var key any
	var err error
	switch r.Kty {
	case "RSA":
		key, err = r.rsa()
	case "EC":
		key, err = r.ec()
	case "OKP":
		key, err = r.okp()
	default:
		return jwk{}, fmt.Errorf("unsupported kty %q", r.Kty)
	}
	if err != nil {
		return jwk{}, err
	}
	if r.Alg != "" {
		if err := checkKey(r.Alg, key); err != nil {
			return jwk{}, err
		}
	}
	return jwk{alg: r.Alg, key: key}, nil
}

func (r *rawJWK) rsa() (*rsa.PublicKey, error) {
	n, err := b64(r.N, "n")
	if err != nil {
		return nil, err
	}
	e, err := b64(r.E, "e")
	if err != nil {
		return nil, err
	}
	mod := new(big.Int).SetBytes(n)
	if bits := mod.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits, want %d to %d", bits, minRSABits, maxRSABits)
	}
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64() > 1<<31-1 || exp.Bit(0) == 0 {
		return nil, errors.New("RSA exponent out of range")
	}
	return &rsa.PublicKey{N: mod, E: int(exp.Int64())}, nil
}

func (r *rawJWK) ec() (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch r.Crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, fmt.Errorf("unsupported curve %q", r.Crv)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, err := b64(r.X, "x")
	if err != nil {
		return nil, err
	}
	y, err := b64(r.Y, "y")
	if err != nil {
		return nil, err
	}
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("%s coordinates must be %d bytes", r.Crv, size)
	}
	point := append(append([]byte{4}, x...), y...)
	key, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("invalid %s point: %w", r.Crv, err)
	}
	return key, nil
}

func (r *rawJWK) okp() (ed25519.PublicKey, error) {
	if r.Crv != "Ed25519" {
		return nil, fmt.Errorf("unsupported OKP curve %q", r.Crv)
	}
	x, err := b64(r.X, "x")
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("Ed25519 key of %d bytes", len(x))
	}
	return ed25519.PublicKey(x), nil
}

// b64 decodes a base64url member, tolerating the padding that some
// issuers add.
func b64(s, member string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("member %q is missing", member)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("member %q: %w", member, err)
	}
	return b, nil
}
