package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// issuer serves a JWK Set over HTTP, as an identity provider does, and
// lets the test rotate keys, fail or stall.
type issuer struct {
	*httptest.Server
	hits atomic.Int32

	mu     sync.Mutex
	doc    []byte
	status int
	stall  chan struct{} // when set, requests wait until it is closed
}

func newIssuer(t *testing.T, doc []byte) *issuer {
	t.Helper()
	is := &issuer{doc: doc, status: http.StatusOK}
	is.Server = httptest.NewServer(http.HandlerFunc(is.serve))
	t.Cleanup(func() {
		is.set(nil, 0, nil) // release stalled requests
		is.Close()
	})
	return is
}

func (is *issuer) serve(w http.ResponseWriter, r *http.Request) {
	is.hits.Add(1)
	is.mu.Lock()
	doc, status, stall := is.doc, is.status, is.stall
	is.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(doc)
}

// set changes what the issuer serves; a zero status keeps the status, a
// nil doc the document.
func (is *issuer) set(doc []byte, status int, stall chan struct{}) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if doc != nil {
		is.doc = doc
	}
	if status != 0 {
		is.status = status
	}
	if is.stall != nil && is.stall != stall {
		close(is.stall)
	}
	is.stall = stall
}

// jwks returns a JWKS of is with fast test settings changed by edit.
func (is *issuer) jwks(edit func(o *JWKSOptions)) *JWKS {
	o := &JWKSOptions{
		Client:             is.Client(),
		FetchTimeout:       2 * time.Second,
		MinRefreshInterval: time.Nanosecond,
	}
	if edit != nil {
		edit(o)
	}
	return NewJWKS(is.URL+"/.well-known/jwks.json", o)
}

func jwksVerifier(t testing.TB, ks KeySource, algs ...string) *JWTAuthenticator[UserClaims] {
	return newJWT(t, JWTOptions{Algorithms: algs, Keys: ks, Now: clock, Issuer: "https://issuer.test/"})
}

// eventually polls cond until it holds or fails the test after 5s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestJWKSVerify(t *testing.T) {
	t.Parallel()
	k := keys()
	is := newIssuer(t, jwksDoc(jwkOf("r", "RS256", k.rsa), jwkOf("e", "ES256", k.p256), jwkOf("o", "", k.ed)))
	a := jwksVerifier(t, is.jwks(nil), "RS256", "ES256", "EdDSA")
	cases := []struct {
		name string
		s    Signer
		want error
	}{
		{"RS256", Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "r"}, nil},
		{"ES256", Signer{Algorithm: "ES256", Key: k.p256, KeyID: "e"}, nil},
		{"EdDSA", Signer{Algorithm: "EdDSA", Key: k.ed, KeyID: "o"}, nil},
		{"kid of another key", Signer{Algorithm: "ES256", Key: k.p256, KeyID: "r"}, ErrInvalidToken},
		{"right kid, wrong key", Signer{Algorithm: "RS256", Key: k.rsa2, KeyID: "r"}, ErrInvalidToken},
		{"no kid", Signer{Algorithm: "RS256", Key: k.rsa}, ErrInvalidToken},
		{"alg the JWK forbids", Signer{Algorithm: "PS256", Key: k.rsa, KeyID: "r"}, ErrInvalidToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := a.Verify(context.Background(), sign(t, c.s, user(nil)))
			checkErr(t, err, c.want)
		})
	}
	t.Cleanup(func() {
		// "kid of another key" and "no kid" may each refetch, nothing more.
		if n := is.hits.Load(); n < 1 || n > 3 {
			t.Errorf("%d fetches", n)
		}
	})
}

func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	k := keys()
	is := newIssuer(t, jwksDoc(jwkOf("2024", "RS256", k.rsa)))
	a := jwksVerifier(t, is.jwks(nil), "RS256")
	old := sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "2024"}, user(nil))
	next := sign(t, Signer{Algorithm: "RS256", Key: k.rsa2, KeyID: "2025"}, user(nil))
	verify := func(tok string, want error) {
		t.Helper()
		_, err := a.Verify(context.Background(), tok)
		checkErr(t, err, want)
	}

	verify(old, nil)
	verify(old, nil)
	if n := is.hits.Load(); n != 1 {
		t.Fatalf("%d fetches for one kid, want 1", n)
	}
	// The issuer publishes its next key beside the current one: a token of
	// the new kid triggers a refetch.
	is.set(jwksDoc(jwkOf("2024", "RS256", k.rsa), jwkOf("2025", "RS256", k.rsa2)), 0, nil)
	verify(next, nil)
	verify(old, nil)
	if n := is.hits.Load(); n != 2 {
		t.Fatalf("%d fetches after rotation, want 2", n)
	}
	// The old key is withdrawn: it keeps working from the cache until the
	// next fetch, which a token of an unknown kid triggers.
	is.set(jwksDoc(jwkOf("2025", "RS256", k.rsa2)), 0, nil)
	verify(sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "2023"}, user(nil)), ErrInvalidToken)
	verify(old, ErrInvalidToken)
	verify(next, nil)
}

func TestJWKSRateLimit(t *testing.T) {
	t.Parallel()
	k := keys()
	is := newIssuer(t, jwksDoc(jwkOf("a", "RS256", k.rsa)))
	ks := is.jwks(func(o *JWKSOptions) { o.MinRefreshInterval = time.Hour })
	a := jwksVerifier(t, ks, "RS256")
	good := sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "a"}, user(nil))
	if _, err := a.Verify(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	// A flood of forged kids: none may reach the issuer within the interval.
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			tok := sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: fmt.Sprint("forged-", i)}, user(nil))
			_, err := a.Verify(context.Background(), tok)
			if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, ErrUnknownKey) {
				t.Errorf("forged kid: err = %v", err)
			}
		})
	}
	wg.Wait()
	if _, err := a.Verify(context.Background(), good); err != nil {
		t.Fatalf("known kid after the flood: %v", err)
	}
	if n := is.hits.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
	// Refresh ignores the rate limit.
	if err := ks.Refresh(context.Background()); err != nil || is.hits.Load() != 2 {
		t.Errorf("Refresh = %v after %d fetches", err, is.hits.Load())
	}
}

func TestJWKSBadEndpoint(t *testing.T) {
	t.Parallel()
	k := keys()
	valid := jwksDoc(jwkOf("a", "RS256", k.rsa))
	huge := append(jwksDoc(jwkOf("a", "RS256", k.rsa))[:1], []byte(`"pad":"`+strings.Repeat("x", 4096)+`",`)...)
	huge = append(huge, valid[1:]...)
	cases := []struct {
		name   string
		doc    []byte
		status int
	}{
		{"server error", valid, http.StatusInternalServerError},
		{"not found", valid, http.StatusNotFound},
		{"redirect loop", valid, http.StatusTemporaryRedirect},
		{"malformed", []byte(`{"keys":[{"kty":"RSA",`), http.StatusOK},
		{"html", []byte(`<html>login</html>`), http.StatusOK},
		{"no usable key", jwksDoc(with(jwkOf("a", "RS256", k.rsa), "use", "enc")), http.StatusOK},
		{"huge", huge, http.StatusOK},
	}
	tok := sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "a"}, user(nil))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			is := newIssuer(t, valid)
			ks := is.jwks(func(o *JWKSOptions) { o.MaxBodySize = 4096 })
			a := jwksVerifier(t, ks, "RS256")
			is.set(c.doc, c.status, nil)
			// Nothing cached: refused as invalid.
			if _, err := a.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify with a bad endpoint: %v", err)
			}
			if err := ks.Refresh(context.Background()); err == nil {
				t.Fatal("Refresh succeeded")
			}
			// Keys fetched before the endpoint broke stay in use.
			is.set(valid, http.StatusOK, nil)
			if err := ks.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			is.set(c.doc, c.status, nil)
			if err := ks.Refresh(context.Background()); err == nil {
				t.Fatal("Refresh succeeded")
			}
			if _, err := a.Verify(context.Background(), tok); err != nil {
				t.Fatalf("cached key after a failed refresh: %v", err)
			}
		})
	}
}

func TestJWKSUnreachable(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there any more
	ks := NewJWKS(url, &JWKSOptions{FetchTimeout: time.Second})
	a := jwksVerifier(t, ks, "RS256")
	tok := sign(t, Signer{Algorithm: "RS256", Key: keys().rsa, KeyID: "a"}, user(nil))
	_, err := a.Verify(context.Background(), tok)
	checkErr(t, err, ErrInvalidToken)
	if !errors.Is(err, ErrUnknownKey) {
		t.Errorf("err = %v, want ErrUnknownKey", err)
	}
	if err := NewJWKS("::not a url", nil).Refresh(context.Background()); err == nil {
		t.Error("Refresh of a malformed URL succeeded")
	}
}

func TestJWKSSlowEndpoint(t *testing.T) {
	t.Parallel()
	k := keys()
	is := newIssuer(t, jwksDoc(jwkOf("a", "RS256", k.rsa)))
	is.set(nil, 0, make(chan struct{})) // every request stalls until cleanup
	const fetchTimeout = 200 * time.Millisecond
	a := jwksVerifier(t, is.jwks(func(o *JWKSOptions) { o.FetchTimeout = fetchTimeout }), "RS256")
	tok := sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "a"}, user(nil))

	// Many handshakes at once: they share one fetch and all give up when
	// it times out, long before the issuer would answer.
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := a.Verify(context.Background(), tok)
			if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v, want an invalid token after the fetch timeout", err)
			}
		})
	}
	wg.Wait()
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("handshakes waited %v with a fetch timeout of %v", elapsed, fetchTimeout)
	}
	if n := is.hits.Load(); n != 1 {
		t.Errorf("%d fetches, want 1 shared", n)
	}
}

func TestJWKSCallerGivesUp(t *testing.T) {
	t.Parallel()
	k := keys()
	is := newIssuer(t, jwksDoc(jwkOf("a", "RS256", k.rsa)))
	release := make(chan struct{})
	is.set(nil, 0, release)
	ks := is.jwks(func(o *JWKSOptions) { o.FetchTimeout = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := ks.VerificationKey(ctx, "a", "RS256"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	// The fetch goes on for those who come next.
	is.set(nil, 0, nil)
	key, err := ks.VerificationKey(context.Background(), "a", "RS256")
	if err != nil || key == nil {
		t.Fatalf("after the fetch completed: %v", err)
	}
	if n := is.hits.Load(); n != 1 {
		t.Errorf("%d fetches, want 1", n)
	}
}

func TestJWKSMaxAge(t *testing.T) {
	t.Parallel()
	k := keys()
	is := newIssuer(t, jwksDoc(jwkOf("a", "RS256", k.rsa)))
	ks := is.jwks(func(o *JWKSOptions) { o.MaxAge = 10 * time.Millisecond })
	if err := ks.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	is.set(jwksDoc(jwkOf("a", "RS256", k.rsa), jwkOf("b", "ES256", k.p256)), 0, release)
	time.Sleep(20 * time.Millisecond)
	// Stale keys still answer at once, while a refresh starts behind them.
	if _, err := ks.VerificationKey(context.Background(), "a", "RS256"); err != nil {
		t.Fatalf("stale key: %v", err)
	}
	eventually(t, "the background refresh", func() bool { return is.hits.Load() == 2 })
	is.set(nil, http.StatusInternalServerError, nil) // releases the refresh
	eventually(t, "key b", func() bool {
		ks.mu.Lock()
		defer ks.mu.Unlock()
		_, ok := ks.keys.find("b", "ES256")
		return ok && ks.inflight == nil
	})
}

func TestJWKSDefaults(t *testing.T) {
	t.Parallel()
	o := (*JWKSOptions)(nil).withDefaults()
	if o.Client != http.DefaultClient || o.FetchTimeout != 5*time.Second || o.MaxAge != time.Hour ||
		o.MinRefreshInterval != 30*time.Second || o.MaxBodySize != 1<<20 || o.Logger == nil {
		t.Errorf("defaults = %+v", o)
	}
}
