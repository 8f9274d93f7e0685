package auth

import (
	"encoding/json"
	"testing"

	"github.com/envivo/socketio/socket"
)

// handshake returns a handshake with the auth payload auth ("{}" if empty)
// and no headers or query.
func handshake(auth string) *socket.Handshake {
	if auth == "" {
		auth = "{}"
	}
	return &socket.Handshake{URL: "/socket.io/", Auth: json.RawMessage(auth)}
}

// sourceCase is one handshake and what a source should read from it.
type sourceCase struct {
	name string
	h    *socket.Handshake
	want string // the token, when err is nil
	err  error
}

func runSource(t *testing.T, src TokenSource, cases []sourceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := src(c.h)
			checkErr(t, err, c.err)
			if got != c.want {
				t.Errorf("token = %q, want %q", got, c.want)
			}
		})
	}
}

func withHeader(h *socket.Handshake, kv ...string) *socket.Handshake {
	header := h.Headers.HTTP()
	for i := 0; i < len(kv); i += 2 {
		header.Add(kv[i], kv[i+1])
	}
	h.Headers = socket.NewHeader(header)
	return h
}

func TestFromAuth(t *testing.T) {
	t.Parallel()
	runSource(t, FromAuth("token"), []sourceCase{
		{"token", handshake(`{"token":"abc"}`), "abc", nil},
		{"with other fields", handshake(`{"user":"x","token":"abc","n":[1,2]}`), "abc", nil},
		{"escaped", handshake(`{"token":"a\u0062c"}`), "abc", nil},
		{"no payload", handshake(`{}`), "", ErrMissingToken},
		{"other field", handshake(`{"jwt":"abc"}`), "", ErrMissingToken},
		{"field case differs", handshake(`{"Token":"abc"}`), "", ErrMissingToken},
		{"null", handshake(`{"token":null}`), "", ErrMissingToken},
		{"empty", handshake(`{"token":""}`), "", ErrMissingToken},
		{"number", handshake(`{"token":42}`), "", ErrInvalidToken},
		{"bool", handshake(`{"token":true}`), "", ErrInvalidToken},
		{"object", handshake(`{"token":{"a":"b"}}`), "", ErrInvalidToken},
		{"array", handshake(`{"token":["abc"]}`), "", ErrInvalidToken},
		{"payload an array", handshake(`["token","abc"]`), "", ErrInvalidToken},
		{"payload a string", handshake(`"abc"`), "", ErrInvalidToken},
		{"payload null", handshake(`null`), "", ErrMissingToken},
		{"payload malformed", handshake(`{"token":"abc"`), "", ErrInvalidToken},
		{"invalid UTF-8 is replaced, not trusted", handshake("{\"token\":\"a\xffc\"}"), "a\ufffdc", nil},
	})
	runSource(t, FromAuth("jwt"), []sourceCase{
		{"named field", handshake(`{"jwt":"abc","token":"x"}`), "abc", nil},
	})
}

func TestFromBearer(t *testing.T) {
	t.Parallel()
	runSource(t, FromBearer(), []sourceCase{
		{"bearer", withHeader(handshake(""), "Authorization", "Bearer abc.def.ghi"), "abc.def.ghi", nil},
		{"scheme case", withHeader(handshake(""), "Authorization", "bearer abc"), "abc", nil},
		{"extra spaces", withHeader(handshake(""), "Authorization", "  Bearer   abc  "), "abc", nil},
		{"no header", handshake(""), "", ErrMissingToken},
		{"basic scheme", withHeader(handshake(""), "Authorization", "Basic dXNlcjpwYXNz"), "", ErrMissingToken},
		{"scheme only", withHeader(handshake(""), "Authorization", "Bearer"), "", ErrInvalidToken},
		{"scheme and space", withHeader(handshake(""), "Authorization", "Bearer "), "", ErrInvalidToken},
		{"two tokens", withHeader(handshake(""), "Authorization", "Bearer a b"), "", ErrInvalidToken},
		{"comma list", withHeader(handshake(""), "Authorization", "Bearer a, Bearer b"), "", ErrInvalidToken},
		{"two headers", withHeader(handshake(""), "Authorization", "Bearer a", "Authorization", "Bearer b"), "", ErrInvalidToken},
		{"auth payload ignored", handshake(`{"token":"abc"}`), "", ErrMissingToken},
	})
}

func TestFromCookie(t *testing.T) {
	t.Parallel()
	runSource(t, FromCookie("access_token"), []sourceCase{
		{"cookie", withHeader(handshake(""), "Cookie", "access_token=abc.def.ghi"), "abc.def.ghi", nil},
		{"among others", withHeader(handshake(""), "Cookie", "a=1; access_token=abc; b=2"), "abc", nil},
		{"quoted", withHeader(handshake(""), "Cookie", `access_token="abc"`), "abc", nil},
		{"second header", withHeader(handshake(""), "Cookie", "a=1", "Cookie", "access_token=abc"), "abc", nil},
		{"most specific first", withHeader(handshake(""), "Cookie", "access_token=new; access_token=old"), "new", nil},
		{"malformed neighbour", withHeader(handshake(""), "Cookie", "bad cookie; access_token=abc"), "abc", nil},
		{"no cookie", handshake(""), "", ErrMissingToken},
		{"other cookie", withHeader(handshake(""), "Cookie", "session=abc"), "", ErrMissingToken},
		{"prefix of name", withHeader(handshake(""), "Cookie", "access_token_x=abc"), "", ErrMissingToken},
		{"empty", withHeader(handshake(""), "Cookie", "access_token="), "", ErrMissingToken},
	})
}

func TestFromQuery(t *testing.T) {
	t.Parallel()
	q := func(raw string) *socket.Handshake {
		h := handshake("")
		h.URL = "/socket.io/?" + raw
		return h
	}
	runSource(t, FromQuery("token"), []sourceCase{
		{"query", q("EIO=4&transport=polling&token=abc"), "abc", nil},
		{"no parameter", q("EIO=4"), "", ErrMissingToken},
		{"empty", q("token="), "", ErrMissingToken},
		{"twice", q("token=a&token=b"), "", ErrInvalidToken},
	})
	// Not read unless asked for: the default source ignores the query.
	runSource(t, FromAuth("token"), []sourceCase{
		{"default ignores the query", q("token=abc"), "", ErrMissingToken},
	})
}

func TestFirstOf(t *testing.T) {
	t.Parallel()
	src := FirstOf(FromAuth("token"), FromBearer(), FromCookie("jwt"))
	runSource(t, src, []sourceCase{
		{"auth first", withHeader(handshake(`{"token":"a"}`), "Authorization", "Bearer b"), "a", nil},
		{"then header", withHeader(handshake(`{}`), "Authorization", "Bearer b", "Cookie", "jwt=c"), "b", nil},
		{"then cookie", withHeader(handshake(`{}`), "Cookie", "jwt=c"), "c", nil},
		{"none", handshake(`{}`), "", ErrMissingToken},
		// A bad token stops the search rather than falling back.
		{"invalid stops", withHeader(handshake(`{"token":1}`), "Authorization", "Bearer b"), "", ErrInvalidToken},
	})
	runSource(t, FirstOf(), []sourceCase{{"no sources", handshake(`{"token":"a"}`), "", ErrMissingToken}})
}
