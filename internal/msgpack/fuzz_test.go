package msgpack

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzToJSON feeds arbitrary bytes to the decoder of messages from Redis.
// It must never panic, must return valid JSON, and what it returns must
// reach a fixed point after one round trip through AppendJSON (one:
// integers beyond 2^53 held in floats, which JSON.stringify writes
// rounded, come back as the exact integers).
func FuzzToJSON(f *testing.F) {
	for _, m := range nodeMessages(f) {
		f.Add(m.Payload)
	}
	for _, h := range []string{
		"93c0d40000c403010203", "ca3dcccccd", "d6ff00000001", "c70cff00000000000000000000000003",
		"d50501 02", "84 01c0 ffc0 c0c0 c3c0", "dc0001de0001a16101", "dd00000002c0c0", "c1",
	} {
		f.Add(unhex(f, h))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, att, err := ToJSON(nil, data, Placeholders)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("ToJSON(%x) = %s: not valid JSON", data, out)
		}
		if len(out) > 64*len(data)+64 {
			t.Fatalf("ToJSON(%d bytes) wrote %d bytes", len(data), len(out))
		}
		if bytes.Contains(out, []byte("_placeholder")) && len(att) == 0 {
			return // a map that looks like a placeholder: not a round trip
		}
		mp, err := AppendJSON(nil, out, att)
		if err != nil {
			if bytes.Contains(data, []byte("_placeholder")) {
				return
			}
			t.Fatalf("AppendJSON(ToJSON(%x) = %s): %v", data, out, err)
		}
		out2, att2, err := ToJSON(nil, mp, Placeholders)
		if err != nil || len(att2) != len(att) {
			t.Fatalf("round trip of %x: %s, then %s (%v)", data, out, out2, err)
		}
		mp3, err := AppendJSON(nil, out2, att2)
		if err != nil {
			t.Fatalf("AppendJSON(%s): %v", out2, err)
		}
		if out3, _, err := ToJSON(nil, mp3, Placeholders); err != nil || !bytes.Equal(out3, out2) {
			t.Fatalf("no fixed point for %x: %s, %s, then %s (%v)", data, out, out2, out3, err)
		}
	})
}

// FuzzAppendJSON feeds arbitrary text to the JSON side of the codec. It
// must never panic, and what it writes must decode.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range encodeCases() {
		if len(s) < 1000 {
			f.Add([]byte(s))
		}
	}
	for _, s := range []string{`{"a":[1,2,{"b":"\u00e9"}]}`, `[1e400,-1e400,5e-324]`, `"\ud800"`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	att := [][]byte{{1}, {2, 3}}
	f.Fuzz(func(t *testing.T, js []byte) {
		mp, err := AppendJSON(nil, js, att)
		if err != nil {
			return
		}
		out, att1, err := ToJSON(nil, mp, Placeholders)
		if err != nil || !json.Valid(out) {
			t.Fatalf("ToJSON(AppendJSON(%q) = %x) = %s, %v", js, mp, out, err)
		}
		mp2, err := AppendJSON(nil, out, att1)
		if err != nil {
			t.Fatalf("AppendJSON(%s): %v", out, err)
		}
		again, _, err := ToJSON(nil, mp2, Placeholders)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("unstable round trip of %q: %s, then %s (%v)", js, out, again, err)
		}
	})
}
