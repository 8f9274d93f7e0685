package parser

import (
	"encoding/json"
	"strings"
	"testing"
)

var jsonSamples = []string{
	``, ` `, `null`, `true`, `false`, `nul`, `truex`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`,
	`-1.25e-300`, `1x`, `""`, `"a"`, `"\""`, `"\\"`, `"\/\b\f\n\r\t"`, `"\u00e9\uD83D\uDE00"`, `"\u12"`, `"\u12G4"`, `"\a"`,
	"\"\x01\"", "\"\x7f\"", "\"\xff\xfe\"", `"unterminated`, `[]`, `[ ]`, `[1,2]`, `[1,]`, `[,1]`, `[1 2]`, `[`, `]`, `[[[]]]`,
	`{}`, `{ }`, `{"a":1}`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `{"a":[{"b":{}}]}`, `{"a":1}}`,
	" \t\r\n[1] \t\r\n", "\v[1]", "[1]\x00", `[1][2]`, `"a" "b"`, `NaN`, `Infinity`, `'a'`, "\xef\xbb\xbf[]",
}

func TestScanMatchesJSONValid(t *testing.T) {
	t.Parallel()
	samples := append([]string{
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
		strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
		strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	}, jsonSamples...)
	for _, s := range samples {
		_, err := scanJSON([]byte(s), true, nil)
		if got, want := err == nil, json.Valid([]byte(s)); got != want {
			name := s
			if len(name) > 40 {
				name = name[:40] + "..."
			}
			t.Errorf("scanJSON(%q) valid = %v (%v), json.Valid = %v", name, got, err, want)
		}
	}
}
