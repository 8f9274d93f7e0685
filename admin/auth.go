package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"sync"
	"time"

	"github.com/envivo/socketio/socket"
	"golang.org/x/crypto/bcrypt"
)

// sessionTTL is how long a session id the UI got after logging in lets it
// reconnect without the password, as Node's RedisStore keeps them.
const sessionTTL = 24 * time.Hour

// errInvalidCredentials refuses the UI, as Node does.
var errInvalidCredentials = &socket.ConnectError{Message: "invalid credentials"}

// credentials is what the UI sends as its auth payload.
type credentials struct {
	Username  string `json:"username"`
	Password  string `json:"password"`
	SessionID string `json:"sessionId"`
}

func decodeCredentials(s *socket.Socket) credentials {
	var c credentials
	_ = s.Handshake().DecodeAuth(&c) // a payload that does not decode has no credentials
	return c
}

// authenticate is the admin namespace's middleware: a session id this
// server gave out, or the user name and password.
func (a *Admin) authenticate(_ context.Context, s *socket.Socket) error {
	c := decodeCredentials(s)
	if c.SessionID != "" && a.sessions.valid(c.SessionID) {
		return nil
	}
	if a.checkPassword(c) {
		return nil
	}
	return errInvalidCredentials
}

// checkPassword reports whether c holds the configured user name and
// password. The password is checked even for a wrong user name, so that
// the time taken does not tell which one was wrong.
func (a *Admin) checkPassword(c credentials) bool {
	auth := a.opts.Auth
	userOK := subtle.ConstantTimeCompare([]byte(c.Username), []byte(auth.Username)) == 1
	passOK := bcrypt.CompareHashAndPassword([]byte(auth.PasswordHash), []byte(c.Password)) == nil
	return userOK && passOK
}

// startSession sends a new session id to a UI that logged in with its
// password, as Node does, so that it can reconnect without it.
func (a *Admin) startSession(s *socket.Socket) {
	if a.opts.Auth == nil {
		return
	}
	if c := decodeCredentials(s); c.SessionID != "" && a.sessions.valid(c.SessionID) {
		return
	}
	_ = s.Emit("session", a.sessions.create())
}

// sessions are the session ids given out, with their expiry.
type sessions struct {
	mu  sync.Mutex
	ids map[string]time.Time
}

func (ss *sessions) create() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	now := time.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.ids == nil {
		ss.ids = make(map[string]time.Time)
	}
	for old, exp := range ss.ids { // only logged-in users add: few entries
		if now.After(exp) {
			delete(ss.ids, old)
		}
	}
	ss.ids[id] = now.Add(sessionTTL)
	return id
}

func (ss *sessions) valid(id string) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	exp, ok := ss.ids[id]
	return ok && time.Now().Before(exp)
}
