package auth

// Fuzz targets for everything that reads bytes a client or an issuer
// controls: tokens, the handshake fields tokens come from, and JWK Sets.
//
//	go test -run '^$' -fuzz FuzzVerify -fuzztime 60s ./auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/envivo/socketio/socket"
)

// fuzzVerifier accepts every family, so that fuzzed headers reach each
// verification path.
func fuzzVerifier(t testing.TB) *JWTAuthenticator[UserClaims] {
	k := keys()
	byAlg := func(_ context.Context, kid string) (any, error) {
		switch kid {
		case "hs":
			return k.secret, nil
		case "rs":
			return &k.rsa.PublicKey, nil
		case "es":
			return &k.p256.PublicKey, nil
		case "ed":
			return k.ed.Public(), nil
		}
		return nil, ErrUnknownKey
	}
	return newJWT(t, JWTOptions{
		Algorithms: []string{"HS256", "RS256", "PS256", "ES256", "EdDSA"},
		Keys:       KeyFunc(byAlg),
		Now:        clock,
		Leeway:     1,
	})
}

// refusalSentinels counts the sentinels err wraps.
func refusalSentinels(err error) int {
	n := 0
	for _, s := range []error{ErrMissingToken, ErrInvalidToken, ErrExpiredToken} {
		if errors.Is(err, s) {
			n++
		}
	}
	return n
}

func FuzzVerify(f *testing.F) {
	k := keys()
	for _, s := range []Signer{
		{Algorithm: "HS256", Key: k.secret, KeyID: "hs"},
		{Algorithm: "RS256", Key: k.rsa, KeyID: "rs"},
		{Algorithm: "ES256", Key: k.p256, KeyID: "es"},
		{Algorithm: "EdDSA", Key: k.ed, KeyID: "ed"},
	} {
		tok := sign(f, s, user(nil))
		f.Add(tok)
		f.Add(sign(f, s, user(func(c *UserClaims) { c.ExpiresAt.Time = now.Add(-1e9) })))
		parts := strings.Split(tok, ".")
		f.Add(parts[0] + "." + b64url([]byte(`{"exp":1e400,"nbf":-1,"aud":[1],"sub":{}}`)) + "." + parts[2])
	}
	for _, seed := range []string{
		"", ".", "..", "a.b.c", "a.b.c.d", "eyJhbGciOiJub25lIn0.e30.",
		b64url([]byte(`{"alg":"HS256","kid":["hs"]}`)) + ".e30.AAAA",
		b64url([]byte(`{"alg":"HS256","crit":["x"]}`)) + ".e30.AAAA",
		b64url([]byte(`{"alg":"ES256","kid":"hs"}`)) + ".e30." + b64url(make([]byte, 64)),
	} {
		f.Add(seed)
	}
	a := fuzzVerifier(f)
	f.Fuzz(func(t *testing.T, token string) {
		c, err := a.Verify(context.Background(), token)
		if err == nil {
			// Only the seeds signed above can verify.
			if c.Subject != "u-42" {
				t.Fatalf("forged token accepted: %q -> %+v", token, c)
			}
			return
		}
		if n := refusalSentinels(err); n != 1 {
			t.Fatalf("Verify(%q) = %v, wrapping %d refusal errors, want 1", token, err, n)
		}
	})
}

func FuzzTokenSources(f *testing.F) {
	f.Add([]byte(`{"token":"abc"}`), "Bearer abc", "jwt=abc")
	f.Add([]byte(`{"token":42}`), "Basic x", "jwt=")
	f.Add([]byte(`{"token":{"a":[null]}}`), "bearer  a b", `jwt="abc"; x=1`)
	f.Add([]byte(`[`), "Bearer", "jwt=a; jwt=b")
	f.Add([]byte(`{"token":"\ud800"}`), "Bearer a,b", "=; ;;")
	f.Add([]byte(`null`), "", "")
	sources := []TokenSource{
		FromAuth("token"), FromBearer(), FromCookie("jwt"),
		FirstOf(FromAuth("token"), FromBearer(), FromCookie("jwt")),
	}
	f.Fuzz(func(t *testing.T, auth []byte, authorization, cookie string) {
		h := handshake("")
		h.Auth = json.RawMessage(auth)
		h.Headers = socket.NewHeader(http.Header{"Authorization": {authorization}, "Cookie": {cookie}})
		for i, src := range sources {
			tok, err := src(h)
			switch {
			case err == nil && tok == "":
				t.Fatalf("source %d: empty token without error", i)
			case err != nil && tok != "":
				t.Fatalf("source %d: token %q with error %v", i, tok, err)
			case err != nil && refusalSentinels(err) != 1:
				t.Fatalf("source %d: error %v is not a refusal", i, err)
			case errors.Is(err, ErrExpiredToken):
				t.Fatalf("source %d: a source cannot judge expiry: %v", i, err)
			}
		}
	})
}

func FuzzParseJWKS(f *testing.F) {
	k := keys()
	f.Add(jwksDoc(jwkOf("r", "RS256", k.rsa), jwkOf("e", "", k.p384), jwkOf("o", "EdDSA", k.ed)))
	f.Add(jwksDoc(jwkOf("e5", "ES512", k.p521)))
	f.Add(jwksDoc(with(jwkOf("e", "ES256", k.p256), "y", b64url(make([]byte, 32)))))
	f.Add(jwksDoc(with(jwkOf("r", "", k.rsa), "e", "AAAAAAAAAAAB", "d", "")))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + strings.Repeat("A", 43) + `"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"","y":null,"key_ops":[]}],"keys":1}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		ks, _, err := parseJWKS(doc)
		if err != nil {
			if ks != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		if len(ks) == 0 {
			t.Fatal("no keys without an error")
		}
		// Every key kept can verify some algorithm, and its own alg if set.
		for kid, set := range ks {
			for _, key := range set {
				if !usable(key) {
					t.Fatalf("kid %q: unusable key %T (alg %q)", kid, key.key, key.alg)
				}
			}
		}
	})
}

func usable(k jwk) bool {
	if k.alg != "" {
		return checkKey(k.alg, k.key) == nil
	}
	for alg := range algorithms {
		if checkKey(alg, k.key) == nil {
			return true
		}
	}
	return false
}
