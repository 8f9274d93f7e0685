package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"
)

// jwksDoc encodes JWKs as a JWK Set document.
func jwksDoc(keys ...map[string]any) []byte {
	if keys == nil {
		keys = []map[string]any{}
	}
	return must(json.Marshal(map[string]any{"keys": keys}))
}

// with returns a copy of a JWK with members set (or removed, for nil).
func with(k map[string]any, kv ...any) map[string]any {
	c := make(map[string]any, len(k))
	for name, v := range k {
		c[name] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
		} else {
			c[kv[i].(string)] = kv[i+1]
		}
	}
	return c
}

func TestParseJWKS(t *testing.T) {
	t.Parallel()
	k := keys()
	rsaJWK := jwkOf("r1", "RS256", k.rsa)
	ecJWK := jwkOf("e1", "ES256", k.p256)
	edJWK := jwkOf("o1", "EdDSA", k.ed)
	cases := []struct {
		name string
		doc  []byte
		kids []string // the kids kept; nil when parsing must fail
	}{
		{"rsa ec okp", jwksDoc(rsaJWK, ecJWK, edJWK), []string{"r1", "e1", "o1"}},
		{"P-384 and P-521", jwksDoc(jwkOf("p3", "", k.p384), jwkOf("p5", "ES512", k.p521)), []string{"p3", "p5"}},
		{"no alg, no use", jwksDoc(with(rsaJWK, "alg", nil, "use", nil)), []string{"r1"}},
		{"padded base64", jwksDoc(with(edJWK, "x", rsaPad(edJWK["x"].(string)))), []string{"o1"}},
		{"key_ops verify", jwksDoc(with(rsaJWK, "key_ops", []string{"verify"})), []string{"r1"}},
		{"unknown members ignored", jwksDoc(with(rsaJWK, "x5t", "abc", "ext", true)), []string{"r1"}},
		{"bad keys skipped", jwksDoc(rsaJWK, with(ecJWK, "kty", "oct")), []string{"r1"}},
		// Malformed or unusable documents.
		{"empty", []byte(``), nil},
		{"not JSON", []byte(`{"keys":[`), nil},
		{"array", []byte(`[{"kty":"RSA"}]`), nil},
		{"keys not an array", []byte(`{"keys":{"kty":"RSA"}}`), nil},
		{"no keys member", []byte(`{}`), nil},
		{"null", []byte(`null`), nil},
		{"empty set", jwksDoc(), nil},
		{"member not an object", []byte(`{"keys":[1,"a",null]}`), nil},
		{"kty oct", jwksDoc(with(rsaJWK, "kty", "oct", "k", "c2VjcmV0")), nil},
		{"kty unknown", jwksDoc(with(rsaJWK, "kty", "XYZ")), nil},
		{"private key", jwksDoc(with(rsaJWK, "d", "AQAB")), nil},
		{"encryption key", jwksDoc(with(rsaJWK, "use", "enc")), nil},
		{"key_ops without verify", jwksDoc(with(rsaJWK, "key_ops", []string{"encrypt"})), nil},
		{"alg none", jwksDoc(with(rsaJWK, "alg", "none")), nil},
		{"alg of another family", jwksDoc(with(rsaJWK, "alg", "ES256")), nil},
		{"alg of another curve", jwksDoc(with(ecJWK, "alg", "ES384")), nil},
		{"RSA too small", jwksDoc(jwkOf("s", "RS256", k.rsaSmall)), nil},
		{"RSA too large", jwksDoc(with(rsaJWK, "n", b64url(make9000bits()))), nil},
		{"RSA no n", jwksDoc(with(rsaJWK, "n", nil)), nil},
		{"RSA even exponent", jwksDoc(with(rsaJWK, "e", b64url([]byte{1, 0, 0}))), nil},
		{"RSA exponent 1", jwksDoc(with(rsaJWK, "e", b64url([]byte{1}))), nil},
		{"RSA huge exponent", jwksDoc(with(rsaJWK, "e", b64url([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1}))), nil},
		{"RSA n not base64", jwksDoc(with(rsaJWK, "n", "!!!")), nil},
		{"RSA n a number", jwksDoc(with(rsaJWK, "n", 12345)), nil},
		{"EC unknown curve", jwksDoc(with(ecJWK, "crv", "secp256k1")), nil},
		{"EC short x", jwksDoc(with(ecJWK, "x", b64url(make([]byte, 31)))), nil},
		{"EC point not on curve", jwksDoc(with(ecJWK, "y", b64url(make([]byte, 32)))), nil},
		{"EC no y", jwksDoc(with(ecJWK, "y", nil)), nil},
		{"OKP X25519", jwksDoc(with(edJWK, "crv", "X25519")), nil},
		{"OKP short", jwksDoc(with(edJWK, "x", b64url(make([]byte, 31)))), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ks, skipped, err := parseJWKS(c.doc)
			if c.kids == nil {
				if err == nil {
					t.Fatalf("parseJWKS = %v, want an error", ks)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseJWKS: %v (skipped %q)", err, skipped)
			}
			for _, kid := range c.kids {
				if len(ks[kid]) != 1 {
					t.Errorf("kid %q: %d keys", kid, len(ks[kid]))
				}
			}
			if len(ks) != len(c.kids) {
				t.Errorf("kept %d kids, want %v", len(ks), c.kids)
			}
		})
	}
}

func rsaPad(s string) string { return s + strings.Repeat("=", (4-len(s)%4)%4) }

func make9000bits() []byte {
	b := make([]byte, 9000/8)
	b[0] = 0xff
	return b
}

func TestParseJWKSKeyTypes(t *testing.T) {
	t.Parallel()
	k := keys()
	ks, _, err := parseJWKS(jwksDoc(jwkOf("r", "", k.rsa), jwkOf("e", "", k.p256), jwkOf("o", "", k.ed)))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ks["r"][0].key.(*rsa.PublicKey); !ok || !got.Equal(&k.rsa.PublicKey) {
		t.Errorf("RSA key = %#v", ks["r"][0].key)
	}
	if got, ok := ks["e"][0].key.(*ecdsa.PublicKey); !ok || !got.Equal(&k.p256.PublicKey) {
		t.Errorf("EC key = %#v", ks["e"][0].key)
	}
	if got, ok := ks["o"][0].key.(ed25519.PublicKey); !ok || !got.Equal(k.ed.Public()) {
		t.Errorf("OKP key = %#v", ks["o"][0].key)
	}
}

func TestKeySetFind(t *testing.T) {
	t.Parallel()
	k := keys()
	one := must2(parseJWKS(jwksDoc(jwkOf("a", "RS256", k.rsa))))
	two := must2(parseJWKS(jwksDoc(jwkOf("a", "", k.rsa), jwkOf("b", "", k.p256))))
	sameKid := must2(parseJWKS(jwksDoc(jwkOf("x", "", k.rsa), jwkOf("x", "", k.p256))))
	cases := []struct {
		name     string
		ks       keySet
		kid, alg string
		want     any // nil: not found
	}{
		{"by kid", two, "b", "ES256", &k.p256.PublicKey},
		{"alg restricted by the JWK", one, "a", "RS384", nil},
		{"key of another family", two, "a", "ES256", nil},
		{"unknown kid", two, "c", "RS256", nil},
		{"no kid, one key", one, "", "RS256", &k.rsa.PublicKey},
		{"no kid, two keys", two, "", "RS256", nil},
		{"kid given, one key of another kid", one, "b", "RS256", nil},
		{"one kid, two families: RSA", sameKid, "x", "PS256", &k.rsa.PublicKey},
		{"one kid, two families: EC", sameKid, "x", "ES256", &k.p256.PublicKey},
		{"empty set", nil, "", "RS256", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, ok := c.ks.find(c.kid, c.alg)
			if c.want == nil {
				if ok {
					t.Fatalf("find = %T, want none", got)
				}
				return
			}
			if !ok || !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(c.want) {
				t.Fatalf("find = %v, %v", got, ok)
			}
		})
	}
}

func must2(ks keySet, _ []string, err error) keySet {
	if err != nil {
		panic(err)
	}
	return ks
}
