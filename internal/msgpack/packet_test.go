package msgpack

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/envivo/socketio/internal/parser"
)

// packetEncodeCases are packets the server sends, each with the JSON
// object, keys in Node's order, that socket.io-msgpack-parser's Encoder
// must turn into the same bytes.
var packetEncodeCases = []struct {
	p    parser.Packet
	node string
}{
	{parser.Packet{Type: parser.Connect, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`{"sid":"abc"}`)},
		`{"type":0,"data":{"sid":"abc"},"nsp":"/"}`},
	{parser.Packet{Type: parser.Disconnect, Namespace: "/chat", ID: parser.NoID},
		`{"type":1,"nsp":"/chat"}`},
	{parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`["hello",1,-2,3.5,"é",null,true,{"a":[]}]`)},
		`{"type":2,"data":["hello",1,-2,3.5,"é",null,true,{"a":[]}],"nsp":"/"}`},
	{parser.Packet{Type: parser.BinaryEvent, Namespace: "/x", ID: 7, Data: json.RawMessage(`["bin",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":2}}]`),
		Attachments: encodeAttachments},
		`{"type":2,"data":["bin",{"_placeholder":true,"num":0},{"k":{"_placeholder":true,"num":2}}],"id":7,"nsp":"/x"}`},
	{parser.Packet{Type: parser.Ack, Namespace: "/", ID: 300, Data: json.RawMessage(`[]`)},
		`{"type":3,"data":[],"id":300,"nsp":"/"}`},
	{parser.Packet{Type: parser.BinaryAck, Namespace: "/", ID: 0, Data: json.RawMessage(`[{"_placeholder":true,"num":1}]`), Attachments: encodeAttachments},
		`{"type":3,"data":[{"_placeholder":true,"num":1}],"id":0,"nsp":"/"}`},
	{parser.Packet{Type: parser.ConnectError, Namespace: "/admin", ID: parser.NoID, Data: json.RawMessage(`{"message":"no","data":{"code":4}}`)},
		`{"type":4,"data":{"message":"no","data":{"code":4}},"nsp":"/admin"}`},
}

// packetDecodeCases are client packets, given as the JSON object that
// socket.io-msgpack-parser's Encoder turns into MessagePack (node), or as
// raw hex (raw). want is the packet DecodePacket returns, as text form
// (see describePacket), "" when it must refuse the packet; stricter marks
// packets that Node's Decoder accepts and DecodePacket refuses on purpose.
var packetDecodeCases = []struct {
	node, raw string
	want      string
	stricter  bool
}{
	{node: `{"type":0,"nsp":"/"}`, want: "0 / -1 "},
	{node: `{"type":0,"data":{"token":"123"},"nsp":"/admin"}`, want: `0 /admin -1 {"token":"123"}`},
	{node: `{"type":2,"data":["ev",1,"two",{"$bin":"AQI="}],"options":{"compress":true},"id":3,"nsp":"/"}`,
		want: `5 / 3 ["ev",1,"two",{"_placeholder":true,"num":0}] 0102`},
	{node: `{"type":2,"data":["ev",{"$bin":"AQ=="}],"options":{"compress":true,"x":{"$bin":"Ag=="}},"nsp":"/"}`,
		want: `5 / -1 ["ev",{"_placeholder":true,"num":0}] 01`},
	{node: `{"type":3,"data":[{"$bin":""},null],"id":0,"nsp":"/c"}`, want: `6 /c 0 [{"_placeholder":true,"num":0},null] `},
	{node: `{"type":3,"data":[],"id":12,"nsp":"/"}`, want: `3 / 12 []`},
	{node: `{"type":1,"nsp":"/chat"}`, want: "1 /chat -1 "},
	{node: `{"type":2,"data":[42,"x"],"nsp":"/"}`, want: `2 / -1 [42,"x"]`},
	{node: `{"type":2,"data":["ev"],"id":2.0,"nsp":"/"}`, want: `2 / 2 ["ev"]`},
	{node: `{"type":4,"data":"refused","nsp":"/"}`, want: `4 / -1 "refused"`},
	{raw: "83a47479706502a46461746191a26576a36e7370a12f", want: `2 / -1 ["ev"]`}, // the raw form
	// What Node refuses too.
	{node: `{"type":5,"data":["ev"],"nsp":"/"}`},
	{node: `{"type":-1,"nsp":"/"}`},
	{node: `{"type":1.5,"nsp":"/"}`},
	{node: `{"type":"2","data":["ev"],"nsp":"/"}`},
	{node: `{"data":["ev"],"nsp":"/"}`},
	{node: `{"type":2,"data":["ev"]}`},
	{node: `{"type":2,"data":["ev"],"nsp":7}`},
	{node: `{"type":2,"data":{"ev":1},"nsp":"/"}`},
	{node: `{"type":2,"nsp":"/"}`},
	{node: `{"type":0,"data":"token","nsp":"/"}`},
	{node: `{"type":0,"data":[],"nsp":"/"}`},
	{node: `{"type":1,"data":{},"nsp":"/"}`},
	{node: `{"type":3,"data":"x","id":1,"nsp":"/"}`},
	{node: `{"type":2,"data":["ev"],"id":"1","nsp":"/"}`},
	{node: `{"type":2,"data":["ev"],"id":1.5,"nsp":"/"}`},
	{node: `["type",2]`},
	{node: `"2"`},
	{raw: "c0"},
	{raw: "c1"},
	{raw: ""},
	{raw: "83a474797065"},
	{raw: "82a47479706502a36e7370a1"},
	{raw: "82a4747970650da36e7370a12f"},
	{raw: "82a47479706501a36e7370a12fc0"}, // trailing byte
	// What this codec refuses beyond Node: inputs socket.io-client never sends.
	{node: `{"type":2,"data":[],"nsp":"/"}`, stricter: true},
	{node: `{"type":2,"data":["connect"],"nsp":"/"}`, stricter: true},
	{node: `{"type":2,"data":[null],"nsp":"/"}`, stricter: true},
	{node: `{"type":2,"data":["ev"],"nsp":"chat"}`, stricter: true},
	{node: `{"type":2,"data":["ev"],"nsp":""}`, stricter: true},
	{node: `{"type":2,"data":["ev"],"id":-1,"nsp":"/"}`, stricter: true},
	{node: `{"type":0,"data":{"k":{"$bin":"AQ=="}},"nsp":"/"}`, stricter: true},
	{raw: "83a47479706501a474797065 01a36e7370a12f", stricter: true}, // type twice
}

// describePacket renders p as "type nsp id data hex(attachments...)".
func describePacket(p *parser.Packet) string {
	var atts []string
	for _, a := range p.Attachments {
		atts = append(atts, hex.EncodeToString(a))
	}
	s := strconv.Itoa(int(p.Type)) + " " + p.Namespace + " " + strconv.FormatInt(p.ID, 10) + " " + string(p.Data)
	if len(atts) > 0 || p.Type.IsBinary() {
		s += " " + strings.Join(atts, ",")
	}
	return s
}

var binRE = regexp.MustCompile(`\{"\$bin":"([^"]*)"\}`)

// binToPlaceholders rewrites the {"$bin"} values of a JSON value, in
// order, as placeholders, and returns their data.
func binToPlaceholders(t *testing.T, js string) (string, [][]byte) {
	var atts [][]byte
	out := binRE.ReplaceAllStringFunc(js, func(m string) string {
		b, err := base64.StdEncoding.DecodeString(binRE.FindStringSubmatch(m)[1])
		if err != nil {
			t.Fatal(err)
		}
		atts = append(atts, b)
		return `{"_placeholder":true,"num":` + strconv.Itoa(len(atts)-1) + `}`
	})
	return out, atts
}

// TestPacketMatchesNodeParser checks the packet codec against
// socket.io-msgpack-parser itself, in Node: AppendPacket must write the
// Encoder's bytes, and DecodePacket must accept what the Decoder accepts
// (save the documented stricter cases), with the same content.
func TestPacketMatchesNodeParser(t *testing.T) {
	t.Parallel()
	var cases []map[string]any
	for _, c := range packetEncodeCases {
		cases = append(cases, map[string]any{"op": "packet_encode", "value": nodeValue(c.node)})
	}
	inputs := make([]string, len(packetDecodeCases))
	for i, c := range packetDecodeCases {
		inputs[i] = strings.ReplaceAll(c.raw, " ", "")
		if c.node != "" {
			cases = append(cases, map[string]any{"op": "packet_encode", "value": json.RawMessage(c.node)})
		}
	}
	results := runNotepack(t, cases)
	for i, c := range packetEncodeCases {
		got, err := AppendPacket(nil, &c.p)
		if want := results[i]["hex"]; err != nil || hex.EncodeToString(got) != want {
			t.Errorf("AppendPacket(%s)\n got %x (%v)\nwant %s (socket.io-msgpack-parser)", describePacket(&c.p), got, err, want)
		}
	}
	next := len(packetEncodeCases)
	var decodes []map[string]any
	for i, c := range packetDecodeCases {
		if c.node != "" {
			inputs[i] = results[next]["hex"]
			next++
		}
		decodes = append(decodes, map[string]any{"op": "packet_decode", "hex": inputs[i]})
	}
	nodeResults := runNotepack(t, decodes)
	for i, c := range packetDecodeCases {
		checkDecodeCase(t, c.node+c.raw, unhex(t, inputs[i]), c.want, c.stricter, nodeResults[i])
	}
}

func checkDecodeCase(t *testing.T, name string, in []byte, want string, stricter bool, node map[string]string) {
	t.Helper()
	p, err := DecodePacket(in, 0)
	switch {
	case err != nil && !errors.Is(err, ErrInvalid):
		t.Errorf("%s: error %v does not wrap ErrInvalid", name, err)
	case want == "" && err == nil:
		t.Errorf("%s: DecodePacket accepted %s", name, describePacket(p))
	case want != "" && err != nil:
		t.Errorf("%s: DecodePacket: %v", name, err)
	case want != "" && describePacket(p) != want:
		t.Errorf("%s: DecodePacket = %s, want %s", name, describePacket(p), want)
	}
	nodeAccepts := node["error"] == ""
	if nodeAccepts != (want != "" || stricter) {
		t.Errorf("%s: socket.io-msgpack-parser accepts: %v (%s%s); the case says otherwise",
			name, nodeAccepts, node["json"], node["error"])
	}
	if want == "" || !nodeAccepts {
		return
	}
	var np struct {
		Type int             `json:"type"`
		Nsp  string          `json:"nsp"`
		ID   *int64          `json:"id"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(node["json"]), &np); err != nil {
		t.Fatalf("%s: Node's packet %s: %v", name, node["json"], err)
	}
	data, atts := binToPlaceholders(t, string(np.Data))
	if string(p.Data) != data || len(atts) != len(p.Attachments) || p.Namespace != np.Nsp {
		t.Errorf("%s: DecodePacket = %s, Node decoded %s", name, describePacket(p), node["json"])
	}
	for j := range atts {
		if !bytes.Equal(atts[j], p.Attachments[j]) {
			t.Errorf("%s: attachment %d = %x, Node decoded %x", name, j, p.Attachments[j], atts[j])
		}
	}
}

// TestDecodePacketAttachmentCap: the cap counts the binary values of the
// packet, whatever their form: bin, or notepack's legacy ArrayBuffer ext.
func TestDecodePacketAttachmentCap(t *testing.T) {
	t.Parallel()
	// {"type":2,"data":["ev",<ext8 type 0: 03>,[<bin: 04>]],"nsp":"/"}
	msg := unhex(t, "83 a474797065 02 a464617461 93 a26576 c7010003 91c40104 a36e7370 a12f")
	for _, max := range []int{0, 2, 5} {
		p, err := DecodePacket(msg, max)
		if err != nil || describePacket(p) != `5 / -1 ["ev",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]] 03,04` {
			t.Errorf("DecodePacket(2 binary values, max %d) = %v, %v", max, p, err)
		}
	}
	if _, err := DecodePacket(msg, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("DecodePacket(2 binary values, max 1): %v", err)
	}
}

// FuzzDecodePacket feeds arbitrary bytes to the decoder of packets from
// msgpack-parser clients. It must never panic; a packet it accepts must
// satisfy parser.CheckPayload, and must come back the same through
// AppendPacket.
func FuzzDecodePacket(f *testing.F) {
	for _, c := range packetEncodeCases {
		if b, err := AppendPacket(nil, &c.p); err == nil {
			f.Add(b)
		}
	}
	for _, c := range packetDecodeCases {
		if c.raw != "" {
			f.Add(unhex(f, strings.ReplaceAll(c.raw, " ", "")))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePacket(data, 10)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("DecodePacket(%x): error %v does not wrap ErrInvalid", data, err)
			}
			return
		}
		if len(p.Attachments) > 10 {
			t.Fatalf("DecodePacket(%x, 10) took %d attachments", data, len(p.Attachments))
		}
		if err := parser.CheckPayload(p.Type, p.Data, len(p.Attachments)); err != nil {
			t.Fatalf("DecodePacket(%x) = %s: %v", data, describePacket(p), err)
		}
		b, err := AppendPacket(nil, p)
		if err != nil {
			t.Fatalf("AppendPacket(DecodePacket(%x) = %s): %v", data, describePacket(p), err)
		}
		q, err := DecodePacket(b, 0)
		if err != nil || describePacket(q) != describePacket(p) {
			t.Fatalf("round trip of %x: %s, then %x: %v (%v)", data, describePacket(p), b, q, err)
		}
	})
}
