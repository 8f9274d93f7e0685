package jsonapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	type body struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
		Tags  []string
	}
	cases := []struct {
		in     string
		status int // 0: no error
		msg    string
	}{
		{`{"name":"x","count":2}`, 0, ""},
		{``, 400, "body must be a JSON object"},
		{`nope`, 400, "body is not valid JSON"},
		{`{"name":`, 400, "body is not valid JSON"},
		{`"x"`, 400, "body must be a JSON object"},
		{`{"name":1}`, 400, "name must be a string, not a number"},
		{`{"count":"1"}`, 400, "count must be a number, not a string"},
		{`{"Tags":{}}`, 400, "Tags must be an array, not an object"},
		{`{"name":true}`, 400, "name must be a string, not a boolean"},
		{`{"extra":1}`, 400, `unknown field "extra"`},
		{`{} {}`, 400, "body must hold a single JSON object"},
		{`{"name":"` + strings.Repeat("x", MaxBody) + `"}`, 413, "body larger than 65536 bytes"},
	}
	for _, c := range cases {
		var b body
		err := Decode(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(c.in)), &b)
		if c.status == 0 {
			if err != nil {
				t.Errorf("%.40s: %v", c.in, err)
			}
			continue
		}
		w := httptest.NewRecorder()
		Fail(w, err)
		want := `{"error":` + quote(c.msg) + "}\n"
		if w.Code != c.status || w.Body.String() != want {
			t.Errorf("%.40s: %d %s, want %d %s", c.in, w.Code, w.Body, c.status, want)
		}
	}
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
