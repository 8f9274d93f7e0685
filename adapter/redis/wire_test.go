package redisadapter

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/socket"
)

func TestRoomList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{`["a","b"]`, []string{"a", "b"}, false},
		{`[5,-1.5,"x"]`, []string{"5", "-1.5", "x"}, false},
		{`[]`, []string{}, false},
		{`[{}]`, nil, true},
		{`{}`, nil, true},
		{`[null]`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var l roomList
			err := json.Unmarshal([]byte(tt.in), &l)
			if (err != nil) != tt.wantErr || (!tt.wantErr && !slices.Equal(l, tt.want)) {
				t.Errorf("got %v, %v; want %v (error %v)", l, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestAppendOpts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    socket.BroadcastOptions
		flags   bool
		timeout time.Duration
		want    string
	}{
		{"empty", socket.BroadcastOptions{}, true, 0, `{"rooms":[],"except":[],"flags":{}}`},
		{"no flags", socket.BroadcastOptions{Rooms: []string{"a"}}, false, 0, `{"rooms":["a"],"except":[]}`},
		{"deduplicated", socket.BroadcastOptions{Rooms: []string{"a", "b", "a"}, Except: []string{"c", "c"}}, false, 0,
			`{"rooms":["a","b"],"except":["c"]}`},
		{"every flag", socket.BroadcastOptions{Flags: socket.BroadcastFlags{Volatile: true, Compress: new(true), Local: true}}, true, 1500 * time.Millisecond,
			`{"rooms":[],"except":[],"flags":{"volatile":true,"compress":true,"timeout":1500}}`},
		{"compress false", socket.BroadcastOptions{Flags: socket.BroadcastFlags{Compress: new(false)}}, true, 0,
			`{"rooms":[],"except":[],"flags":{"compress":false}}`},
		{"timeout alone", socket.BroadcastOptions{}, true, time.Microsecond, `{"rooms":[],"except":[],"flags":{"timeout":1}}`},
		{"escaped room", socket.BroadcastOptions{Rooms: []string{`a"b`}}, false, 0, `{"rooms":["a\"b"],"except":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(appendOpts(nil, tt.opts, tt.flags, tt.timeout)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWirePacket(t *testing.T) {
	t.Parallel()
	slash := "/chat"
	tests := []struct {
		name    string
		p       wirePacket
		all     [][]byte
		nsp     string
		data    string
		atts    int
		wantErr bool
	}{
		{"event", wirePacket{Type: 2, Data: json.RawMessage(`["e",1]`)}, nil, "/", `["e",1]`, 0, false},
		{"namespace", wirePacket{Type: 2, Data: json.RawMessage(`["e"]`), Nsp: &slash}, nil, "/chat", `["e"]`, 0, false},
		{"binary renumbered", wirePacket{Type: 5, Data: json.RawMessage(`["e",{"_placeholder":true,"num":1}]`)},
			[][]byte{{1}, {2}}, "/", `["e",{"_placeholder":true,"num":0}]`, 1, false},
		{"not an event", wirePacket{Type: 3, Data: json.RawMessage(`["e"]`)}, nil, "/", "", 0, true},
		{"not an array", wirePacket{Type: 2, Data: json.RawMessage(`{}`)}, nil, "/", "", 0, true},
		{"empty array", wirePacket{Type: 2, Data: json.RawMessage(`[]`)}, nil, "/", "", 0, true},
		{"bad placeholder", wirePacket{Type: 2, Data: json.RawMessage(`[{"_placeholder":true,"num":9}]`)}, [][]byte{{1}}, "/", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.namespace(); got != tt.nsp {
				t.Errorf("namespace %q, want %q", got, tt.nsp)
			}
			p, err := tt.p.packet("/x", tt.all)
			if (err != nil) != tt.wantErr {
				t.Fatalf("packet: %v", err)
			}
			if err == nil && (string(p.Data()) != tt.data || len(p.Attachments()) != tt.atts || p.Namespace() != "/x") {
				t.Errorf("packet %s %v %q", p.Data(), p.Attachments(), p.Namespace())
			}
		})
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	args, err := adapter.NewArgs(json.RawMessage(`[{"b":{"_placeholder":true,"num":0}}]`), [][]byte{{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	v := valueOfArgs(args)
	if string(v.raw) != `{"b":{"_placeholder":true,"num":0}}` || len(v.att) != 1 {
		t.Errorf("valueOfArgs = %s %v", v.raw, v.att)
	}
	if got := string(v.nodeJSON()); got != `{"b":{"type":"Buffer","data":[1,2]}}` {
		t.Errorf("nodeJSON = %s", got)
	}
	var out struct{ B []byte }
	if a := v.args(); a.Len() != 1 || a.Decode(0, &out) != nil || string(out.B) != "\x01\x02" {
		t.Errorf("args = %v, %v", a.Values(), out)
	}
	empty, _ := adapter.NewArgs(json.RawMessage(`[]`), nil)
	if v := valueOfArgs(empty); v.raw != nil || v.args().Len() != 0 {
		t.Errorf("valueOfArgs of no argument = %s", v.raw)
	}
	if v, err := valueOf(nil, nil); err != nil || v.raw != nil {
		t.Errorf("valueOf(undefined) = %v, %v", v, err)
	}
}

func TestHashSlot(t *testing.T) {
	t.Parallel()
	// Values from the Redis documentation of CLUSTER KEYSLOT and the
	// cluster specification.
	for key, want := range map[string]int{
		"somekey": 11058, "foo{hash_tag}": 2515, "bar{hash_tag}": 2515, "foo": 12182, "{}foo": hashSlot("{}foo"),
		"{user1000}.following": hashSlot("user1000"), "": 0,
	} {
		if got := hashSlot(key); got != want {
			t.Errorf("hashSlot(%q) = %d, want %d", key, got, want)
		}
	}
	if hashSlot("{}foo") == hashSlot("foo") {
		t.Error("an empty hash tag must not be used")
	}
}

func TestRoomIndex(t *testing.T) {
	t.Parallel()
	var x roomIndex
	var created, deleted []string
	onCreate := func(room string) bool { created = append(created, room); return room != "private" }
	onDelete := func(room string) { deleted = append(deleted, room) }
	x.add("s1", []string{"a", "b", "private"}, onCreate)
	x.add("s2", []string{"a", "c"}, onCreate)
	x.add("s2", []string{"a"}, onCreate) // already in
	if !slices.Equal(created, []string{"a", "b", "private", "c"}) {
		t.Errorf("created %v", created)
	}
	x.del("s1", []string{"a", "zzz"}, onDelete) // s2 still in a
	x.del("s1", nil, onDelete)                  // b and private; private was not subscribed
	if !slices.Equal(deleted, []string{"b"}) {
		t.Errorf("deleted %v", deleted)
	}
	x.del("s2", nil, onDelete)
	slices.Sort(deleted)
	if !slices.Equal(deleted, []string{"a", "b", "c"}) || len(x.subscribedRooms()) != 0 {
		t.Errorf("deleted %v, still subscribed %v", deleted, x.subscribedRooms())
	}
}

// TestDefaults: a nil Logger stays nil, which means the server's logger.
func TestDefaults(t *testing.T) {
	t.Parallel()
	o := (*Options)(nil).withDefaults()
	if o.Key != "socket.io" || o.RequestTimeout != 5*time.Second || o.Logger != nil || o.PublishOnSpecificResponseChannel {
		t.Errorf("Options defaults: %+v", o)
	}
	s := (&ShardedOptions{RequestTimeout: time.Second}).withDefaults()
	if s.ChannelPrefix != "socket.io" || s.RequestTimeout != time.Second || s.SubscriptionMode != Dynamic || s.Logger != nil {
		t.Errorf("ShardedOptions defaults: %+v", s)
	}
	for m, want := range map[SubscriptionMode]string{Dynamic: "dynamic", Static: "static", DynamicPrivate: "dynamic-private"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q, want %q", m, m.String(), want)
		}
	}
}

func TestEmitterChannels(t *testing.T) {
	t.Parallel()
	id := "abcdefghijklmnopqrst" // 20 characters: looks like a socket id
	tests := []struct {
		opts  EmitterOptions
		nsp   string
		rooms []string
		want  string
	}{
		{EmitterOptions{}, "/", nil, "socket.io#/#"},
		{EmitterOptions{Key: "k"}, "chat", []string{"r"}, "k#/chat#r#"},
		{EmitterOptions{}, "/", []string{"r", "s"}, "socket.io#/#"},
		{EmitterOptions{}, "/", []string{id}, "socket.io#/#" + id + "#"},
		{EmitterOptions{Sharded: true}, "/", []string{"r"}, "socket.io#/#r#"},
		{EmitterOptions{Sharded: true}, "/", []string{id}, "socket.io#/#"},
		{EmitterOptions{Sharded: true, SubscriptionMode: DynamicPrivate}, "/", []string{id}, "socket.io#/#" + id + "#"},
		{EmitterOptions{Sharded: true, SubscriptionMode: Static}, "/", []string{"r"}, "socket.io#/#"},
	}
	for _, tt := range tests {
		e := NewEmitter(nil, &tt.opts).Of(tt.nsp)
		if got := e.broadcastChannel(socket.BroadcastOptions{Rooms: tt.rooms}); got != tt.want {
			t.Errorf("%+v %s %v: channel %q, want %q", tt.opts, tt.nsp, tt.rooms, got, tt.want)
		}
	}
}
