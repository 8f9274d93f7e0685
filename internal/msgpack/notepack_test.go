package msgpack

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/envivo/socketio/internal/nodecapture"
	"github.com/envivo/socketio/internal/nodepeer"
)

// encodeCases are JSON values, with placeholders for binary data, that
// must encode as notepack.io encodes the same JavaScript values. Numbers
// beyond 2^53 are left out: Node rounds them, this package keeps them.
func encodeCases() []string {
	long := func(n int, s string) string { return `"` + strings.Repeat(s, n) + `"` }
	array := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("1,", n), ",") + "]" }
	object := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `,"k%c":%d`, 'a'+i, i)
		}
		return "{" + b.String()[1:] + "}"
	}
	return []string{
		`["hello",1,"two",{"three":3.5,"n":null,"neg":-7,"big":300,"bin":{"_placeholder":true,"num":0}}]`,
		`[0,127,128,255,256,65535,65536,4294967295,4294967296,9007199254740991,18446744073709549568]`,
		`[-1,-32,-33,-128,-129,-32768,-32769,-2147483648,-2147483649,-9007199254740991]`,
		`[1.5,-1.5,0.1,1e-7,123456.789,-0.0,1.0,2e3]`,
		`[true,false,null,"",{},[]]`,
		long(31, "a"), long(32, "a"), long(255, "b"), long(256, "b"), long(70000, "c"),
		long(11, "é"), long(20, "😀"), `"日本語\n\"\\"`,
		array(15), array(16), array(70000), object(15), object(16),
		`{"nested":{"deeper":[{"a":[1,{"b":null}]}]}}`,
		`[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2},{"_placeholder":true,"num":3}]`,
	}
}

var encodeAttachments = [][]byte{{1, 2, 3}, {}, bytes.Repeat([]byte{7}, 256), bytes.Repeat([]byte{8}, 70000)}

var placeholderRE = regexp.MustCompile(`\{"_placeholder":true,"num":(\d)\}`)

// nodeValue rewrites placeholders as notepack.js expects binary data.
func nodeValue(js string) json.RawMessage {
	return json.RawMessage(placeholderRE.ReplaceAllStringFunc(js, func(m string) string {
		n := m[len(m)-2] - '0'
		return `{"$bin":"` + base64.StdEncoding.EncodeToString(encodeAttachments[n]) + `"}`
	}))
}

// decodeCases are MessagePack values that must decode as notepack.io
// decodes them, then JSON.stringify writes them. notepack's legacy
// ArrayBuffer extension is left out: ToJSON treats it as the binary data
// it is, where JSON.stringify writes an ArrayBuffer as {}.
func decodeCases(t *testing.T) []string {
	cases := []string{
		"93c0d40000c403010203", "81a161d40000", "ca3dcccccd", "cb7ff8000000000000",
		"d6ff00000001", "d7ff003d090000000002", "c70cff000000000000000000000003",
		"d7000000000000000005", "d50501 02", "a1ff", "a3e28061", "a3f09f98", "a3eda080", "84 01c0 ffc0 c0c0 c3c0",
		"cb3e7ad7f29abcaf48", "cb444b1ae4d6e2ef50", "cb8000000000000000", "a8225c0a080c01e280",
	}
	for _, c := range nodeMessages(t) {
		if c.Payload[0] != '{' {
			cases = append(cases, hex.EncodeToString(c.Payload))
		}
	}
	return cases
}

// nodeMessages returns the messages captured from Node (adapter/redis/testdata/node-messages.txt).
func nodeMessages(t testing.TB) []nodecapture.Message {
	t.Helper()
	msgs, err := nodecapture.Read(filepath.Join("..", "..", "adapter", "redis", "testdata", "node-messages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// runNotepack runs testdata/node/notepack.js on cases.
func runNotepack(t *testing.T, cases []map[string]any) []map[string]string {
	t.Helper()
	peer := nodepeer.Require(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(peer.Dir(), "notepack.js"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(peer.Dir(), "node_modules"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("notepack.js: %v\n%s", err, stderr.String())
	}
	var results []map[string]string
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(cases) {
		t.Fatalf("notepack.js output: %v (%d results for %d cases)", err, len(results), len(cases))
	}
	return results
}

// TestMatchesNotepack checks the codec against notepack.io itself, in
// Node: what AppendJSON writes must be notepack's bytes, and what ToJSON
// writes must be JSON.stringify of what notepack decodes.
func TestMatchesNotepack(t *testing.T) {
	t.Parallel()
	encodes := encodeCases()
	decodes := decodeCases(t)
	var cases []map[string]any
	for _, js := range encodes {
		cases = append(cases, map[string]any{"op": "encode", "value": nodeValue(js)})
	}
	for _, h := range decodes {
		cases = append(cases, map[string]any{"op": "decode", "hex": strings.ReplaceAll(h, " ", "")})
	}
	results := runNotepack(t, cases)
	for i, js := range encodes {
		got, err := AppendJSON(nil, []byte(js), encodeAttachments)
		if err != nil {
			t.Errorf("AppendJSON(%.80s): %v", js, err)
			continue
		}
		if want := results[i]["hex"]; hex.EncodeToString(got) != want {
			t.Errorf("AppendJSON(%.80s)\n got %.200x\nwant %.200s (notepack.io)", js, got, want)
		}
	}
	for j, h := range decodes {
		r := results[len(encodes)+j]
		got, _, err := ToJSON(nil, unhex(t, h), NodeBuffers)
		if err != nil || r["error"] != "" {
			t.Errorf("decode %.80s: ToJSON error %v, notepack error %q", h, err, r["error"])
			continue
		}
		if string(got) != r["json"] {
			t.Errorf("decode %.80s\n got %.300s\nwant %.300s (notepack.io)", h, got, r["json"])
		}
	}
}
