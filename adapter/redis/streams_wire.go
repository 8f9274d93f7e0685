package redisadapter

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/internal/msgpack"
	"github.com/envivo/socketio/socket"
)

// This file holds the Streams adapter's wire forms, those of Node's
// @socket.io/redis-streams-adapter 0.3: stream entries, Pub/Sub messages
// and stored sessions.
//
// A stream entry has the string fields uid, nsp, type (the cluster message
// type in decimal) and data: the message's data as JSON text, or, when it
// holds binary values, as the base64 of its MessagePack form. A Pub/Sub
// message is the MessagePack form of the whole cluster message {type,
// data, uid, nsp}. A session is the base64 of the MessagePack form of
// {sid, pid, rooms, data}.

// clusterEntry is a cluster message read from a stream entry or a Pub/Sub
// message.
type clusterEntry struct {
	uid  string
	nsp  string
	typ  int
	data clusterData
	att  [][]byte // the binary values the data's placeholders name
}

// decodeEntry decodes the fields of a stream entry. An entry with no nsp
// is not the adapter's: it returns nil and no error.
func decodeEntry(values map[string]any) (*clusterEntry, error) {
	field := func(k string) string { s, _ := values[k].(string); return s }
	e := &clusterEntry{uid: field("uid"), nsp: field("nsp")}
	if e.nsp == "" {
		return nil, nil
	}
	typ, err := strconv.Atoi(field("type"))
	if err != nil {
		return nil, fmt.Errorf("entry type %q: %v", field("type"), err)
	}
	e.typ = typ
	raw := field("data")
	if raw == "" {
		return e, nil
	}
	js := []byte(raw)
	if raw[0] != '{' {
		mp, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return nil, fmt.Errorf("entry data: %v", err)
		}
		if js, e.att, err = decodePayload(mp); err != nil {
			return nil, fmt.Errorf("entry data: %v", err)
		}
	}
	if err := json.Unmarshal(js, &e.data); err != nil {
		return nil, fmt.Errorf("entry data: %v", err)
	}
	return e, nil
}

// decodeClusterMessage decodes a Pub/Sub message of the Streams adapter:
// MessagePack (JSON is accepted too).
func decodeClusterMessage(payload []byte) (*clusterEntry, error) {
	js, att, err := decodePayload(payload)
	if err != nil {
		return nil, err
	}
	var m clusterMessage
	if err := json.Unmarshal(js, &m); err != nil {
		return nil, err
	}
	e := &clusterEntry{uid: m.UID, typ: m.Type, att: att}
	if m.Nsp != nil {
		e.nsp = *m.Nsp
	}
	if len(m.Data) > 0 && string(m.Data) != "null" {
		if err := json.Unmarshal(m.Data, &e.data); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// entryData returns the data field of a stream entry for data, JSON whose
// placeholders name att: the JSON text itself without binary, else base64
// MessagePack, or with plaintext JSON with Node's Buffer objects.
func entryData(data []byte, att [][]byte, plaintext bool) (string, error) {
	if len(att) == 0 {
		return string(data), nil
	}
	if plaintext {
		return string(value{raw: data, att: att}.nodeJSON()), nil
	}
	mp, err := encodePayload(data, att)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(mp), nil
}

// appendOffset returns a copy of p whose event gets offset as its last
// argument, as Node's addOffsetIfNecessary.
func appendOffset(p *socket.Packet, offset string) *socket.Packet {
	data := []byte(strings.TrimRight(string(p.Data()), " \t\r\n"))
	if len(data) < 2 || data[len(data)-1] != ']' {
		return p
	}
	out := make([]byte, 0, len(data)+len(offset)+4)
	out = append(out, data[:len(data)-1]...)
	if strings.TrimSpace(string(data[1:len(data)-1])) != "" {
		out = append(out, ',')
	}
	out = appendJSONString(out, offset)
	out = append(out, ']')
	return adapter.NewPacket(p.Namespace(), out, p.Attachments())
}

// encodeSession returns the stored form of s, as Node's adapter stores
// it: the base64 of the MessagePack of {sid, pid, rooms, data}, data {}
// when the socket holds none.
func encodeSession(s *socket.Session) (string, error) {
	c := *s
	if c.Data == nil {
		c.Data = map[string]any{}
	}
	if c.Rooms == nil {
		c.Rooms = []string{}
	}
	js, err := json.Marshal(&c)
	if err != nil {
		return "", err
	}
	mp, err := msgpack.AppendJSON(nil, js, nil)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(mp), nil
}

// decodeSession decodes a stored session. Binary values in its data
// become what JSON.stringify makes of a Node Buffer.
func decodeSession(stored string) (*socket.Session, error) {
	mp, err := base64.StdEncoding.DecodeString(stored)
	if err != nil {
		return nil, fmt.Errorf("session: %v", err)
	}
	js, _, err := msgpack.ToJSON(nil, mp, msgpack.NodeBuffers)
	if err != nil {
		return nil, fmt.Errorf("session: %v", err)
	}
	var s struct {
		ID    string         `json:"sid"`
		PID   string         `json:"pid"`
		Rooms roomList       `json:"rooms"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(js, &s); err != nil {
		return nil, fmt.Errorf("session: %v", err)
	}
	if s.ID == "" || s.PID == "" {
		return nil, errors.New("session: no sid or pid")
	}
	return &socket.Session{ID: s.ID, PID: s.PID, Rooms: s.Rooms, Data: s.Data}, nil
}

// streamID is a stream entry id, <ms>-<seq>.
type streamID struct{ ms, seq uint64 }

// parseStreamID parses an entry id, as Node's /^[0-9]+-[0-9]+$/ accepts.
func parseStreamID(s string) (streamID, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok || !allDigits(a) || !allDigits(b) {
		return streamID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	return streamID{ms, seq}, err1 == nil && err2 == nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// after reports whether id comes after o in the stream.
func (id streamID) after(o streamID) bool {
	return id.ms > o.ms || id.ms == o.ms && id.seq > o.seq
}

// next returns the id right after id, the start of an exclusive range.
func (id streamID) next() string {
	if id.seq == ^uint64(0) {
		return strconv.FormatUint(id.ms+1, 10) + "-0"
	}
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq+1, 10)
}
