package auth

// Interop tests: the official socket.io-client, driven under Node through
// internal/nodepeer, against a socket.Server guarded by this package.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envivo/socketio/internal/nodepeer"
	"github.com/envivo/socketio/internal/sockettest"
	"github.com/envivo/socketio/socket"
	"github.com/golang-jwt/jwt/v5"
)

const waitFor = 10 * time.Second

type match = nodepeer.Match

// liveUser returns UserClaims valid for ttl from the real clock.
func liveUser(sub string, ttl time.Duration) *UserClaims {
	return user(func(c *UserClaims) {
		c.Subject = sub
		c.IssuedAt = jwt.NewNumericDate(time.Now())
		c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(ttl))
	})
}

// seen is what a connection handler saw of an accepted socket.
type seen struct {
	claims   UserClaims
	ok       bool
	userID   string
	identity *Identity
	rooms    []string
}

// recordConnections reports what the connection handlers of nsp see, and
// puts every socket in its user's room.
func recordConnections(nsp interface{ OnConnection(func(*socket.Socket)) }) <-chan seen {
	c := make(chan seen, 16)
	nsp.OnConnection(func(s *socket.Socket) {
		s.Join("user:" + UserID(s))
		claims, ok := Claims[UserClaims](s)
		id, _ := IdentityOf(s)
		c <- seen{claims: claims, ok: ok, userID: UserID(s), identity: id, rooms: s.Rooms()}
	})
	return c
}

func receive[T any](t testing.TB, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(waitFor):
		t.Fatalf("timed out waiting for %T", *new(T))
		panic("unreachable")
	}
}

// expectRefusal waits for client's connect_error and checks its message and
// data.code.
func expectRefusal(t testing.TB, d *nodepeer.Driver, client, message, code string) {
	t.Helper()
	e := d.Wait(match{"ev": "connect_error", "client": client}, waitFor)
	if got := e.String("message"); got != message {
		t.Errorf("%s: err.message = %q, want %q", client, got, message)
	}
	data, _ := e["data"].(map[string]any)
	if data["code"] != code || len(data) != 1 {
		t.Errorf("%s: err.data = %v, want {code: %s}", client, e["data"], code)
	}
}

func TestInteropJWT(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	secret := keys().secret
	srv := socket.NewServer(nil)
	srv.Use(Middleware(HS256(secret), &Options{Logger: slog.New(slog.DiscardHandler)}))
	connections := recordConnections(srv)
	url := sockettest.Serve(t, srv, srv)
	d := peer.Client(t)
	hs := Signer{Algorithm: "HS256", Key: secret}

	for _, tr := range []string{"websocket", "polling"} {
		client := "good-" + tr
		d.Connect(client, url, map[string]any{
			"transports": []string{tr},
			"auth":       map[string]any{"token": sign(t, hs, liveUser(client, time.Hour))},
		})
		d.Wait(match{"ev": "connect", "client": client}, waitFor)
		got := receive(t, connections)
		if !got.ok || got.claims.Subject != client || got.claims.Email != "ada@example.com" || got.claims.Role != "admin" {
			t.Errorf("%s: Claims = %+v, %v", client, got.claims, got.ok)
		}
		if got.userID != client || got.identity == nil || got.identity.Subject != client {
			t.Errorf("%s: UserID = %q, identity = %+v", client, got.userID, got.identity)
		}
		if !strings.Contains(strings.Join(got.rooms, ","), "user:"+client) {
			t.Errorf("%s: rooms = %v", client, got.rooms)
		}
	}

	refused := []struct {
		client        string
		auth          any // nil: no auth option
		message, code string
	}{
		{"no-token", nil, "missing token", "missing_token"},
		{"empty-auth", map[string]any{}, "missing token", "missing_token"},
		{"expired", map[string]any{"token": sign(t, hs, liveUser("x", -time.Minute))}, "expired token", "expired_token"},
		{"tampered", map[string]any{"token": tamper(sign(t, hs, liveUser("x", time.Hour)))}, "invalid token", "invalid_token"},
		{"wrong-secret", map[string]any{"token": sign(t, Signer{Algorithm: "HS256", Key: []byte("not the server's secret, 32 bytes")}, liveUser("x", time.Hour))}, "invalid token", "invalid_token"},
		{"alg-none", map[string]any{"token": must(jwt.NewWithClaims(jwt.SigningMethodNone, liveUser("x", time.Hour)).SignedString(jwt.UnsafeAllowNoneSignatureType))}, "invalid token", "invalid_token"},
		{"number", map[string]any{"token": 42}, "invalid token", "invalid_token"},
		{"garbage", map[string]any{"token": "not.a.jwt"}, "invalid token", "invalid_token"},
		{"oversized", map[string]any{"token": strings.Repeat("A", 20000)}, "invalid token", "invalid_token"},
	}
	for _, c := range refused {
		opts := map[string]any{"reconnection": false}
		if c.auth != nil {
			opts["auth"] = c.auth
		}
		d.Connect(c.client, url, opts)
		expectRefusal(t, d, c.client, c.message, c.code)
	}
	d.Never(match{"ev": "connect", "client": "tampered"}, 100*time.Millisecond)
	if len(connections) != 0 {
		t.Errorf("a refused client reached the connection handler: %+v", <-connections)
	}
}

// tamper promotes the token's subject without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	parts[1] = b64url([]byte(`{"sub":"root","role":"admin","exp":4102444800}`))
	return strings.Join(parts, ".")
}

// adminClaims are the claims of the admin namespace's tokens.
type adminClaims struct {
	jwt.RegisteredClaims
	Scopes []string `json:"scp"`
}

func TestInteropNamespaces(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	k := keys()
	// "/" takes HS256 tokens from the app; "/admin" takes RS256 tokens of
	// an identity provider whose keys are served by a local issuer, with a
	// scope check and messages of its own.
	is := newIssuer(t, jwksDoc(jwkOf("idp-1", "RS256", k.rsa)))
	admins, err := NewJWT[adminClaims](JWTOptions{
		Algorithms: []string{"RS256"},
		Keys:       is.jwks(nil),
		Issuer:     "https://idp.test/",
		Audience:   []string{"admin-console"},
	})
	if err != nil {
		t.Fatal(err)
	}
	needScope := AuthenticatorFunc(func(ctx context.Context, h *socket.Handshake) (*Identity, error) {
		id, err := admins.Authenticate(ctx, h)
		if err != nil {
			return nil, err
		}
		if c := id.Claims.(adminClaims); !strings.Contains(strings.Join(c.Scopes, " "), "admin") {
			return nil, &socket.ConnectError{Message: "forbidden", Data: map[string]any{"code": "forbidden"}}
		}
		return id, nil
	})

	srv := socket.NewServer(nil)
	srv.Use(Middleware(HS256(k.secret), nil))
	srv.Of("/admin").Use(Middleware(needScope, &Options{Messages: map[Code]string{CodeInvalidToken: "admin token required"}}))
	adminSeen := make(chan adminClaims, 4)
	srv.Of("/admin").OnConnection(func(s *socket.Socket) {
		c, _ := Claims[adminClaims](s)
		adminSeen <- c
	})
	url := sockettest.Serve(t, srv, srv)
	d := peer.Client(t)

	appToken := sign(t, Signer{Algorithm: "HS256", Key: k.secret}, liveUser("u-1", time.Hour))
	idpToken := func(scopes ...string) string {
		return sign(t, Signer{Algorithm: "RS256", Key: k.rsa, KeyID: "idp-1"}, adminClaims{
			RegisteredClaims: jwt.RegisteredClaims{
				Subject: "admin-1", Issuer: "https://idp.test/", Audience: jwt.ClaimStrings{"admin-console"},
				ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
			},
			Scopes: scopes,
		})
	}
	noRetry := func(tok string) map[string]any {
		return map[string]any{"reconnection": false, "auth": map[string]any{"token": tok}}
	}

	d.Connect("app-on-main", url, noRetry(appToken))
	d.Wait(match{"ev": "connect", "client": "app-on-main"}, waitFor)
	d.Connect("admin", url+"/admin", noRetry(idpToken("read", "admin")))
	d.Wait(match{"ev": "connect", "client": "admin"}, waitFor)
	if c := receive(t, adminSeen); c.Subject != "admin-1" || len(c.Scopes) != 2 {
		t.Errorf("admin claims = %+v", c)
	}
	d.Connect("app-on-admin", url+"/admin", noRetry(appToken))
	expectRefusal(t, d, "app-on-admin", "admin token required", "invalid_token")
	d.Connect("idp-on-main", url, noRetry(idpToken("admin")))
	expectRefusal(t, d, "idp-on-main", "invalid token", "invalid_token")
	d.Connect("no-scope", url+"/admin", noRetry(idpToken("read")))
	expectRefusal(t, d, "no-scope", "forbidden", "forbidden")
	d.Connect("nothing-on-admin", url+"/admin", map[string]any{"reconnection": false})
	expectRefusal(t, d, "nothing-on-admin", "missing token", "missing_token")
	if n := is.hits.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

func TestInteropTokenSources(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	secret := keys().secret
	srv := socket.NewServer(nil)
	a, err := NewJWT[UserClaims](JWTOptions{
		Algorithms: []string{"HS256"}, Keys: Secret(secret),
		Source: FirstOf(FromAuth("token"), FromBearer(), FromCookie("access_token")),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Use(Middleware(a, nil))
	connections := recordConnections(srv)
	url := sockettest.Serve(t, srv, srv)
	d := peer.Client(t)
	tok := func(sub string) string {
		return sign(t, Signer{Algorithm: "HS256", Key: secret}, liveUser(sub, time.Hour))
	}
	// Under Node, extraHeaders reach the server on every transport.
	cases := []struct {
		client string
		opts   map[string]any
	}{
		{"auth", map[string]any{"auth": map[string]any{"token": tok("auth")}}},
		{"bearer", map[string]any{"extraHeaders": map[string]any{"Authorization": "Bearer " + tok("bearer")}}},
		{"cookie", map[string]any{"transports": []string{"websocket"}, "extraHeaders": map[string]any{"Cookie": "theme=dark; access_token=" + tok("cookie")}}},
	}
	for _, c := range cases {
		d.Connect(c.client, url, c.opts)
		d.Wait(match{"ev": "connect", "client": c.client}, waitFor)
		if got := receive(t, connections); got.userID != c.client {
			t.Errorf("%s: UserID = %q", c.client, got.userID)
		}
	}
	d.Connect("query", url, map[string]any{"reconnection": false, "query": map[string]any{"token": tok("query")}})
	expectRefusal(t, d, "query", "missing token", "missing_token")
}

func TestInteropExpiry(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	secret := keys().secret
	srv := socket.NewServer(nil)
	srv.Use(Middleware(HS256(secret), &Options{DisconnectOnExpiry: true}))
	reasons := make(chan string, 4)
	srv.OnConnection(func(s *socket.Socket) {
		s.OnDisconnect(func(s *socket.Socket, reason socket.DisconnectReason) { reasons <- UserID(s) + ": " + string(reason) })
	})
	url := sockettest.Serve(t, srv, srv)
	d := peer.Client(t)
	hs := Signer{Algorithm: "HS256", Key: secret}

	// exp has a resolution of one second: the short token expires 4 to 5
	// seconds from now, late enough for a loaded machine to connect first.
	short := liveUser("short", 0)
	short.ExpiresAt = jwt.NewNumericDate(time.Now().Truncate(time.Second).Add(5 * time.Second))
	d.Connect("short", url, map[string]any{"auth": map[string]any{"token": sign(t, hs, short)}})
	d.Connect("long", url, map[string]any{"auth": map[string]any{"token": sign(t, hs, liveUser("long", time.Hour))}})
	d.Wait(match{"ev": "connect", "client": "short"}, waitFor)
	d.Wait(match{"ev": "connect", "client": "long"}, waitFor)

	e := d.Wait(match{"ev": "event", "client": "short", "name": "auth:expired"}, waitFor)
	if args := e.Args(); len(args) != 1 || args[0].(map[string]any)["code"] != "expired_token" ||
		args[0].(map[string]any)["message"] != "expired token" {
		t.Errorf("auth:expired args = %v", e.Args())
	}
	if r := d.Wait(match{"ev": "disconnect", "client": "short"}, waitFor).String("reason"); r != "io server disconnect" {
		t.Errorf("client's disconnect reason = %q", r)
	}
	if r := receive(t, reasons); r != "short: server namespace disconnect" {
		t.Errorf("server's disconnect = %q", r)
	}
	if time.Now().Before(short.ExpiresAt.Time) {
		t.Errorf("disconnected before the token expired at %v", short.ExpiresAt.Time)
	}
	d.Never(match{"ev": "disconnect", "client": "long"}, 200*time.Millisecond)
}

func TestInteropExpiryWatchEndsWithSocket(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	secret := keys().secret
	srv := socket.NewServer(nil)
	srv.Use(Middleware(HS256(secret), &Options{DisconnectOnExpiry: true, ExpiryEvent: "session:over"}))
	// A later middleware refuses: the expiry watch must end with the socket.
	srv.Use(func(ctx context.Context, s *socket.Socket) error {
		if UserID(s) == "banned" {
			return errors.New("banned")
		}
		return nil
	})
	url := sockettest.Serve(t, srv, srv)
	d := peer.Client(t)
	hs := Signer{Algorithm: "HS256", Key: secret}
	// exp has a resolution of one second. The tokens of the clients that
	// go away expire while the test still runs, but late enough for a
	// loaded machine to connect them first.
	soon := func(sub string, in time.Duration) string {
		c := liveUser(sub, 0)
		c.ExpiresAt = jwt.NewNumericDate(time.Now().Truncate(time.Second).Add(in))
		return sign(t, hs, c)
	}
	d.Connect("banned", url, map[string]any{"reconnection": false, "auth": map[string]any{"token": soon("banned", 5*time.Second)}})
	d.Wait(match{"ev": "connect_error", "client": "banned", "message": "banned"}, waitFor)
	d.Connect("leaver", url, map[string]any{"auth": map[string]any{"token": soon("leaver", 5*time.Second)}})
	d.Wait(match{"ev": "connect", "client": "leaver"}, waitFor)
	d.Disconnect("leaver")
	d.Connect("stayer", url, map[string]any{"auth": map[string]any{"token": soon("stayer", 6*time.Second)}})
	d.Wait(match{"ev": "connect", "client": "stayer"}, waitFor)
	d.Wait(match{"ev": "event", "client": "stayer", "name": "session:over"}, waitFor)
	d.Wait(match{"ev": "disconnect", "client": "stayer", "reason": "io server disconnect"}, waitFor)
	d.Never(match{"ev": "event", "name": "session:over", "client": "leaver"}, 100*time.Millisecond)
}

// logRecorder is a slog.Handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []string // message, then key=value pairs
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	line := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	l.mu.Lock()
	l.records = append(l.records, line)
	l.mu.Unlock()
	return nil
}

func (l *logRecorder) find(substr string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.records {
		if strings.Contains(r, substr) {
			return r, true
		}
	}
	return "", false
}

func TestInteropRefusalsLoggedNotTold(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	logs := &logRecorder{}
	secret := keys().secret
	srv := socket.NewServer(nil)
	srv.Use(Middleware(HS256(secret), &Options{Logger: slog.New(logs)}))
	// An authenticator that hangs until its deadline, and one that forgets
	// to return an identity: both refuse as invalid, neither blocks others.
	srv.Of("/slow").Use(Middleware(AuthenticatorFunc(func(ctx context.Context, _ *socket.Handshake) (*Identity, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}), &Options{Timeout: 200 * time.Millisecond, Logger: slog.New(logs)}))
	srv.Of("/nil").Use(Middleware(AuthenticatorFunc(func(context.Context, *socket.Handshake) (*Identity, error) {
		return nil, nil
	}), nil))
	url := sockettest.Serve(t, srv, srv)
	d := peer.Client(t)
	noRetry := func(tok any) map[string]any {
		return map[string]any{"reconnection": false, "auth": map[string]any{"token": tok}}
	}

	forged := sign(t, Signer{Algorithm: "HS256", Key: []byte("someone else's secret, 32 bytes!")}, liveUser("x", time.Hour))
	d.Connect("forged", url, noRetry(forged))
	e := d.Wait(match{"ev": "connect_error", "client": "forged"}, waitFor)
	if e.String("message") != "invalid token" || strings.Contains(fmt.Sprint(e), "signature") {
		t.Errorf("the client was told %v", e)
	}
	if line, ok := logs.find("auth: refused"); !ok || !strings.Contains(line, "DEBUG") || !strings.Contains(line, "signature is invalid") {
		t.Errorf("refusal log = %q, want a debug line with the reason", line)
	}

	start := time.Now()
	d.Connect("slow", url+"/slow", noRetry("x"))
	d.Connect("meanwhile", url, noRetry(sign(t, Signer{Algorithm: "HS256", Key: secret}, liveUser("m", time.Hour))))
	d.Wait(match{"ev": "connect", "client": "meanwhile"}, waitFor)
	expectRefusal(t, d, "slow", "invalid token", "invalid_token")
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("refused after %v, before the timeout", elapsed)
	}
	if _, ok := logs.find("context deadline exceeded"); !ok {
		t.Error("the timeout was not logged")
	}
	d.Connect("nil", url+"/nil", noRetry("x"))
	expectRefusal(t, d, "nil", "invalid token", "invalid_token")
}

// TestInteropRemoteIdentity: the identity of a socket reaches FetchSockets
// typed, and, in the JSON form another node's answer arrives in,
// RemoteClaims decodes the claims back into their own type.
func TestInteropRemoteIdentity(t *testing.T) {
	t.Parallel()
	peer := nodepeer.Require(t)
	secret := keys().secret
	srv := socket.NewServer(nil)
	srv.Use(Middleware(HS256(secret), nil))
	url := sockettest.Serve(t, srv, srv)
	d := peer.Client(t)
	claims := liveUser("ada", time.Hour)
	claims.Email, claims.Role = "ada@example.com", "admin"
	d.Connect("ada", url, map[string]any{"auth": map[string]any{"token": sign(t, Signer{Algorithm: "HS256", Key: secret}, claims)}})
	d.Wait(match{"ev": "connect", "client": "ada"}, waitFor)

	snaps, err := srv.FetchSockets(context.Background())
	if err != nil || len(snaps) != 1 {
		t.Fatalf("FetchSockets = %d, %v", len(snaps), err)
	}
	b, err := json.Marshal(snaps[0])
	if err != nil {
		t.Fatal(err)
	}
	var remote socket.RemoteSocket // as a cluster adapter decodes it
	if err := json.Unmarshal(b, &remote); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]*socket.RemoteSocket{"local": snaps[0], "decoded": &remote} {
		id, ok := RemoteIdentity(r)
		if !ok || id.Subject != "ada" {
			t.Errorf("%s: RemoteIdentity = %+v, %v", name, id, ok)
		}
		c, ok := RemoteClaims[UserClaims](r)
		if !ok || c.Subject != "ada" || c.Email != "ada@example.com" || c.Role != "admin" {
			t.Errorf("%s: RemoteClaims = %+v, %v", name, c, ok)
		}
	}
}
