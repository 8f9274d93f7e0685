package auth

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/envivo/socketio/socket"
)

func TestConnectError(t *testing.T) {
	t.Parallel()
	custom := &socket.ConnectError{Message: "banned", Data: map[string]any{"code": "banned", "until": 1}}
	cases := []struct {
		name     string
		messages map[Code]string
		err      error
		want     *socket.ConnectError
	}{
		{"missing", nil, ErrMissingToken, refusal("missing token", "missing_token")},
		{"invalid", nil, ErrInvalidToken, refusal("invalid token", "invalid_token")},
		{"expired", nil, ErrExpiredToken, refusal("expired token", "expired_token")},
		{"wrapped expired", nil, fmt.Errorf("%w: token is expired", ErrExpiredToken), refusal("expired token", "expired_token")},
		// Whatever else went wrong is an invalid token, with no detail.
		{"other error", nil, errors.New("crypto/rsa: verification error"), refusal("invalid token", "invalid_token")},
		{"deadline", nil, context.DeadlineExceeded, refusal("invalid token", "invalid_token")},
		{"unknown key", nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrUnknownKey), refusal("invalid token", "invalid_token")},
		{"connect error passes", nil, custom, custom},
		{"wrapped connect error passes", nil, fmt.Errorf("ban: %w", custom), custom},
		{"overridden text", map[Code]string{CodeExpiredToken: "session expired, sign in again"}, ErrExpiredToken,
			refusal("session expired, sign in again", "expired_token")},
		{"other texts kept", map[Code]string{CodeExpiredToken: "x"}, ErrMissingToken, refusal("missing token", "missing_token")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := (&Options{Messages: c.messages}).withDefaults()
			if got := o.connectError(c.err); !reflect.DeepEqual(got, c.want) {
				t.Errorf("connectError(%v) = %+v, want %+v", c.err, got, c.want)
			}
		})
	}
}

func refusal(msg, code string) *socket.ConnectError {
	return &socket.ConnectError{Message: msg, Data: map[string]any{"code": code}}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	msgs := map[Code]string{CodeInvalidToken: "nope"}
	o := (&Options{Messages: msgs}).withDefaults()
	msgs[CodeInvalidToken] = "changed"
	if o.Messages[CodeInvalidToken] != "nope" || o.Messages[CodeMissingToken] != "missing token" {
		t.Errorf("Messages = %v", o.Messages)
	}
	if o.Timeout != 10*time.Second || o.ExpiryEvent != "auth:expired" || o.Logger == nil || o.DisconnectOnExpiry {
		t.Errorf("defaults = %+v", o)
	}
	if n := (*Options)(nil).withDefaults(); n.Timeout != 10*time.Second || len(n.Messages) != 3 {
		t.Errorf("nil defaults = %+v", n)
	}
	if defaultMessages[CodeInvalidToken] != "invalid token" {
		t.Error("withDefaults changed the package defaults")
	}
}
