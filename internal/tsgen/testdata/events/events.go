// Package events declares typed events that cover every mapping of
// the generator; the test compares what it writes with ../events.d.ts and
// compiles TypeScript clients against it.
package events

import (
	"context"
	"encoding/json"
	"net/netip"
	"time"

	"github.com/envivo/socketio/socket"
)

// Greet is sent by clients: only the ClientToServerEvents map has it.
var Greet = socket.Event[Hello]{Name: "greet"}

// Welcome is sent by the server: only the ServerToClientEvents map has it.
var Welcome = socket.Event[Profile]{Name: "welcome"}

// Both directions, with a payload of each.
var (
	// ToServer is the client's form of "message".
	ToServer = socket.Event[Draft]{Name: "message"}
	// ToClient is the server's form of "message".
	ToClient = socket.Event[*Post]{Name: "message"}
)

// Acknowledged events, both ways.
var (
	// Save asks the server to store a draft and answers with its id.
	Save = socket.AckEvent[Draft, SaveReply]{Name: "save"}
	// Confirm asks the client for a yes or no.
	Confirm = socket.AckEvent[string, bool]{Name: "confirm"}
	// Unused is declared and never used: it appears in neither map.
	Unused = socket.Event[int]{Name: "unused"}
)

// Hello is a greeting.
type Hello struct {
	Name string `json:"name"`
}

// Profile covers scalars, pointers, slices, maps, binary, time and tags.
type Profile struct {
	ID       int64           `json:"id"`
	Score    float64         `json:"score"`
	Admin    bool            `json:"admin"`
	Nick     *string         `json:"nick"` // null when unset
	Tags     []string        `json:"tags"`
	Avatar   []byte          `json:"avatar,omitempty"` // binary
	Counts   map[string]int  `json:"counts"`
	Seen     time.Time       `json:"seen"`
	Addr     netip.Addr      `json:"addr"` // a TextMarshaler
	Extra    json.RawMessage `json:"extra"`
	Any      any             `json:"any"`
	Big      int64           `json:"big,string"`
	Grid     [2][2]int       `json:"grid"`
	Friends  []*Profile      `json:"friends"` // recursive
	Inline   struct{ X int } `json:"inline"`
	Weird    string          `json:"with-dash"`
	Hidden   string          `json:"-"`
	Dash     string          `json:"-,"`
	private  string
	Untagged string
	Zero     time.Time `json:"zero,omitzero"`
	Base               // embedded: its fields are promoted
	*Meta              // embedded pointer: its fields optional
	Named    Label     `json:"label"`
}

// Base is embedded in Profile.
type Base struct {
	Created string `json:"created"`
	Name    string `json:"name"`
}

// Meta is embedded in Profile through a pointer.
type Meta struct {
	Version int `json:"version"`
}

// Label is a named string.
type Label string

// Draft is a message not yet posted.
type Draft struct {
	Text string `json:"text"`
}

// Post is a posted message.
type Post struct {
	Draft
	Author string `json:"author"`
}

// SaveReply is the answer to save.
type SaveReply struct {
	ID string `json:"id"`
}

// Register uses the events, which gives each its direction.
func Register(io *socket.Server) {
	io.OnConnection(func(s *socket.Socket) {
		_ = Welcome.Emit(s, Profile{})
		Greet.On(s, func(s *socket.Socket, in Hello) error { return nil })
		ToServer.On(s, func(s *socket.Socket, in Draft) error {
			return ToClient.Emit(io.To("room"), &Post{Draft: in})
		})
		Save.On(s, func(ctx context.Context, s *socket.Socket, in Draft) (SaveReply, error) {
			return SaveReply{ID: "1"}, nil
		})
		ok, _ := Confirm.EmitWithAck(context.Background(), s, "sure?")
		_ = ok
		socket.On(s, "rename", func(s *socket.Socket, in Label) error { return nil })
		socket.OnAck(s, "count", func(ctx context.Context, s *socket.Socket, in []int) (int, error) {
			return len(in), nil
		})
	})
}
