package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// JWKSOptions configures a JWKS. The zero value, and nil, are valid: every
// zero field takes the default in its comment. NewJWKS copies the struct.
type JWKSOptions struct {
	// Client makes the requests. Default: http.DefaultClient.
	Client *http.Client
	// FetchTimeout bounds one fetch of the document, from the request to the
	// end of the body. A handshake waits for a fetch at most this long.
	// Default: 5s.
	FetchTimeout time.Duration
	// MaxAge is how long fetched keys are used before a refresh; the
	// refresh runs in the background while the old keys keep working.
	// Default: 1h.
	MaxAge time.Duration
	// MinRefreshInterval rate-limits fetches: after one, a token with an
	// unknown "kid" triggers no other fetch for this long, so that a flood
	// of forged kids cannot flood the issuer. Failed fetches count too.
	// Default: 30s.
	MinRefreshInterval time.Duration
	// MaxBodySize bounds the document, in bytes. Default: 1 MiB.
	MaxBodySize int64
	// Logger receives a warning for each failed fetch, and a debug line for
	// each key of the document that was skipped. Default: none.
	Logger *slog.Logger
}

func (o *JWKSOptions) withDefaults() JWKSOptions {
	c := JWKSOptions{}
	if o != nil {
		c = *o
	}
	if c.Client == nil {
		c.Client = http.DefaultClient
	}
	if c.FetchTimeout <= 0 {
		c.FetchTimeout = 5 * time.Second
	}
	if c.MaxAge <= 0 {
		c.MaxAge = time.Hour
	}
	if c.MinRefreshInterval <= 0 {
		c.MinRefreshInterval = 30 * time.Second
	}
	if c.MaxBodySize <= 0 {
		c.MaxBodySize = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// JWKS is a KeySource that fetches a JSON Web Key Set (RFC 7517) from a
// URL, such as an identity provider's /.well-known/jwks.json, and caches it.
//
// Keys are fetched on first use, refreshed in the background once older
// than MaxAge, and refetched at once when a token names an unknown "kid"
// (the issuer rotated its keys), at most once per MinRefreshInterval.
// While the endpoint fails, is slow or serves a malformed document, the
// keys last fetched stay in use; a handshake never waits for a fetch
// longer than FetchTimeout, and concurrent handshakes share one fetch.
// It starts no goroutine except for the duration of a fetch.
//
// A JWKS is safe for concurrent use, and can serve several
// JWTAuthenticators.
type JWKS struct {
	url  string
	opts JWKSOptions

	mu        sync.Mutex
	keys      keySet
	fetchedAt time.Time // of the keys
	triedAt   time.Time // of the last fetch, successful or not
	inflight  *fetch
}

// fetch is one download of the document, shared by those who wait for it.
type fetch struct {
	done chan struct{} // closed when err is set
	err  error
}

// NewJWKS returns a JWKS for the document at url. It does not fetch
// anything yet; call Refresh to fail fast at startup. opts may be nil.
func NewJWKS(url string, opts *JWKSOptions) *JWKS {
	return &JWKS{url: url, opts: opts.withDefaults()}
}

// VerificationKey implements KeySource: it returns the key for kid and
// alg, fetching the document first if it is not cached or does not hold
// kid and the rate limit allows. It waits at most until ctx is done.
// A kid still unknown afterwards is an error wrapping ErrUnknownKey.
func (j *JWKS) VerificationKey(ctx context.Context, kid, alg string) (any, error) {
	j.mu.Lock()
	key, found := j.keys.find(kid, alg)
	now := time.Now()
	f := j.inflight
	mayFetch := f == nil && now.Sub(j.triedAt) >= j.opts.MinRefreshInterval
	switch {
	case found && mayFetch && now.Sub(j.fetchedAt) >= j.opts.MaxAge:
		j.start() // refresh in the background; the cached key serves now
		fallthrough
	case found:
		j.mu.Unlock()
		return key, nil
	case mayFetch:
		f = j.start()
	}
	j.mu.Unlock()
	if f == nil {
		return nil, fmt.Errorf("%w: kid %q (rate-limited refresh)", ErrUnknownKey, kid)
	}
	if err := f.wait(ctx); err != nil {
		return nil, fmt.Errorf("%w: kid %q: %w", ErrUnknownKey, kid, err)
	}
	j.mu.Lock()
	key, found = j.keys.find(kid, alg)
	j.mu.Unlock()
	if !found {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	return key, nil
}

// Refresh fetches the document now, whatever the rate limit, and waits
// until it is in use or ctx is done. On failure the previous keys stay in
// use. Call it at startup to check the URL and warm the cache.
func (j *JWKS) Refresh(ctx context.Context) error {
	j.mu.Lock()
	f := j.inflight
	if f == nil {
		f = j.start()
	}
	j.mu.Unlock()
	return f.wait(ctx)
}

// start begins a fetch on a goroutine of its own, so that it survives the
// handshake that asked for it. j.mu must be held.
func (j *JWKS) start() *fetch {
	f := &fetch{done: make(chan struct{})}
	j.inflight = f
	j.triedAt = time.Now()
	go j.run(f)
	return f
}

func (j *JWKS) run(f *fetch) {
	ctx, cancel := context.WithTimeout(context.Background(), j.opts.FetchTimeout)
	defer cancel()
	keys, err := j.download(ctx)
	j.mu.Lock()
	if err == nil {
		j.keys = keys
		j.fetchedAt = time.Now()
	}
	j.inflight = nil
	j.mu.Unlock()
	if err != nil {
		j.opts.Logger.Warn("auth: JWKS fetch failed; keeping the previous keys", "url", j.url, "err", err)
	}
	f.err = err
	close(f.done)
}

// download fetches and parses the document.
func (j *JWKS) download(ctx context.Context) (keySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := j.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: JWKS fetch: HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, j.opts.MaxBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("auth: JWKS fetch: %w", err)
	}
	if int64(len(body)) > j.opts.MaxBodySize {
		return nil, fmt.Errorf("auth: JWKS document exceeds %d bytes", j.opts.MaxBodySize)
	}
	keys, skipped, err := parseJWKS(body)
	for _, s := range skipped {
		j.opts.Logger.Debug("auth: JWKS key skipped", "url", j.url, "reason", s)
	}
	return keys, err
}

// wait waits for the fetch to end or ctx to be done.
func (f *fetch) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return errors.Join(errors.New("auth: gave up waiting for the JWKS"), ctx.Err())
	}
}
