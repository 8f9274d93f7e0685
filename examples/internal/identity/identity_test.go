package identity

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/envivo/socketio/auth"
	"github.com/golang-jwt/jwt/v5"
)

var ada = User{ID: "u1", Name: "Ada", Email: "ada@example.com", Role: "admin"}

func TestIssueVerify(t *testing.T) {
	t.Parallel()
	tokens := NewTokens([]byte("a secret of at least 32 bytes......"), 0)
	token, expires, err := tokens.Issue(ada)
	if err != nil || time.Until(expires) < DefaultTTL-time.Minute {
		t.Fatalf("Issue: %v, expires %v", err, expires)
	}
	if u, err := tokens.Verify(context.Background(), token); err != nil || u != ada {
		t.Errorf("Verify = %+v, %v", u, err)
	}
	other := NewTokens([]byte("another secret of at least 32 bytes"), 0)
	if _, err := other.Verify(context.Background(), token); !errors.Is(err, auth.ErrInvalidToken) {
		t.Errorf("a token of another secret: %v", err)
	}
	expired, _ := auth.Signer{Algorithm: "HS256", Key: []byte("a secret of at least 32 bytes......")}.Sign(Claims{
		UserClaims: auth.UserClaims{RegisteredClaims: jwt.RegisteredClaims{
			Subject: "u1", ExpiresAt: jwt.NewNumericDate(time.Now().Add(-time.Minute)),
		}},
	})
	if _, err := tokens.Verify(context.Background(), expired); !errors.Is(err, auth.ErrExpiredToken) {
		t.Errorf("an expired token: %v", err)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	tokens := NewTokens([]byte("a secret of at least 32 bytes......"), 0)
	token, _, _ := tokens.Issue(ada)
	banned := errors.New("banned")
	h := tokens.Require(func(ctx context.Context, u User) error {
		if u.Name == "Eve" {
			return banned
		}
		return nil
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := FromContext(r.Context())
		_, _ = w.Write([]byte(u.Name))
	}))
	eve, _, _ := tokens.Issue(User{ID: "u2", Name: "Eve"})
	cases := []struct {
		header string
		status int
		body   string
	}{
		{"", 401, "missing bearer token"},
		{"Basic abc", 401, "missing bearer token"},
		{"Bearer ", 401, "missing bearer token"},
		{"Bearer garbage", 401, "invalid token"},
		{"Bearer " + eve, 401, "banned"},
		{"Bearer " + token, 200, "Ada"},
		{"bearer " + token, 200, "Ada"},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			req.Header.Set("Authorization", c.header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%q: %d %s, want %d %q", c.header, w.Code, w.Body, c.status, c.body)
		}
	}
}

func TestSecret(t *testing.T) {
	t.Setenv(SecretEnv, "")
	if got := string(Secret(slog.New(slog.DiscardHandler))); got != DevSecret {
		t.Errorf("without %s: %q", SecretEnv, got)
	}
	t.Setenv(SecretEnv, "from the environment")
	if got := string(Secret(slog.New(slog.DiscardHandler))); got != "from the environment" {
		t.Errorf("with %s: %q", SecretEnv, got)
	}
}
