package redisadapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/internal/msgpack"
	"github.com/envivo/socketio/socket"
)

// This file holds what both adapters and the emitter share of Node's wire
// formats: decoding a payload (JSON when it starts with '{', MessagePack
// otherwise), the broadcast options, the packets, and single values such
// as an acknowledgement's argument.

// decodePayload returns the JSON form of a message from the bus and the
// binary attachments its placeholders name (MessagePack bin).
func decodePayload(payload []byte) (json.RawMessage, [][]byte, error) {
	if len(payload) > 0 && payload[0] == '{' {
		return payload, nil, nil
	}
	return msgpack.ToJSON(make([]byte, 0, 2*len(payload)+32), payload, msgpack.Placeholders)
}

// encodePayload returns the MessagePack form of msg, a JSON message whose
// placeholders name attachments.
func encodePayload(msg []byte, attachments [][]byte) ([]byte, error) {
	return msgpack.AppendJSON(make([]byte, 0, len(msg)+16), msg, attachments)
}

// roomList decodes a list of rooms. Node rooms may be numbers: they are
// kept as their JSON text, which is how Node names them in channels.
type roomList []string

func (l *roomList) UnmarshalJSON(data []byte) error {
	var names []string
	if err := json.Unmarshal(data, &names); err == nil && !slices.Contains(names, "") {
		*l = names
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(data, &elems); err != nil {
		return err
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		var s string
		switch {
		case len(e) > 0 && e[0] == '"' && json.Unmarshal(e, &s) == nil:
			out = append(out, s)
		case len(e) > 0 && (e[0] == '-' || e[0] >= '0' && e[0] <= '9'):
			out = append(out, string(e))
		default:
			return fmt.Errorf("room %s is neither a string nor a number", e)
		}
	}
	*l = out
	return nil
}

// wireFlags are Node's broadcast flags, as far as a receiving node uses
// them.
type wireFlags struct {
	Volatile bool    `json:"volatile"`
	Compress *bool   `json:"compress"`
	Local    bool    `json:"local"`
	Timeout  float64 `json:"timeout"` // milliseconds, for acknowledgements
}

// wireOpts are Node's broadcast options: {rooms, except, flags}.
type wireOpts struct {
	Rooms  roomList  `json:"rooms"`
	Except roomList  `json:"except"`
	Flags  wireFlags `json:"flags"`
}

// broadcastOptions returns the options to apply locally: the Local flag
// is set, since a message from the bus is never published again.
func (o *wireOpts) broadcastOptions() socket.BroadcastOptions {
	return socket.BroadcastOptions{
		Rooms:  o.Rooms,
		Except: o.Except,
		Flags: socket.BroadcastFlags{
			Volatile: o.Flags.Volatile,
			Compress: o.Flags.Compress,
			Local:    true,
		},
	}
}

// ackTimeout returns the acknowledgement timeout the flags carry, or 0.
func (o *wireOpts) ackTimeout() time.Duration {
	if o.Flags.Timeout <= 0 || o.Flags.Timeout > float64(time.Hour/time.Millisecond) {
		return 0
	}
	return time.Duration(o.Flags.Timeout * float64(time.Millisecond))
}

// appendOpts writes {"rooms":[...],"except":[...]} and, with flags, the
// flags: volatile when set, compress when set either way (Node sends
// false for compress(false)), and timeout when positive. Rooms
// and except are deduplicated, as Node's sets are.
func appendOpts(b []byte, opts socket.BroadcastOptions, flags bool, timeout time.Duration) []byte {
	b = append(b, `{"rooms":`...)
	b = appendStrings(b, dedupe(opts.Rooms))
	b = append(b, `,"except":`...)
	b = appendStrings(b, dedupe(opts.Except))
	if flags {
		b = append(b, `,"flags":`...)
		b = appendFlags(b, opts.Flags, timeout)
	}
	return append(b, '}')
}

func appendFlags(b []byte, f socket.BroadcastFlags, timeout time.Duration) []byte {
	b = append(b, '{')
	sep := func() {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
	}
	if f.Volatile {
		b = append(b, `"volatile":true`...)
	}
	if f.Compress != nil {
		sep()
		b = strconv.AppendBool(append(b, `"compress":`...), *f.Compress)
	}
	if timeout > 0 {
		sep()
		b = append(b, `"timeout":`...)
		b = strconv.AppendInt(b, max(timeout.Milliseconds(), 1), 10)
	}
	return append(b, '}')
}

// appendStrings writes a JSON array of strings; nil is [].
func appendStrings(b []byte, list []string) []byte {
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = msgpack.AppendJSONString(b, s)
	}
	return append(b, ']')
}

// dedupe returns list without repeated elements, in order of first
// appearance; list itself when it has none.
func dedupe(list []string) []string {
	if len(list) > 16 {
		return dedupeSlow(list)
	}
	for i := 1; i < len(list); i++ {
		for j := 0; j < i; j++ {
			if list[i] == list[j] {
				return dedupeSlow(list)
			}
		}
	}
	return list
}

func dedupeSlow(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := make([]string, 0, len(list))
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// wirePacket is a Socket.IO packet as Node's adapters carry it:
// {type:2, data:[event, ...args], nsp}. A missing nsp means "/".
type wirePacket struct {
	Type int             `json:"type"`
	Data json.RawMessage `json:"data"`
	Nsp  *string         `json:"nsp"`
}

// namespace returns the packet's namespace, "/" when it names none.
func (p *wirePacket) namespace() string {
	if p.Nsp == nil {
		return "/"
	}
	return *p.Nsp
}

// packet rebuilds the event for local delivery in namespace nsp; all are
// the attachments of the whole message.
func (p *wirePacket) packet(nsp string, all [][]byte) (*socket.Packet, error) {
	const event, binaryEvent = 2, 5
	if p.Type != event && p.Type != binaryEvent {
		return nil, fmt.Errorf("packet type %d is not an event", p.Type)
	}
	data, att, err := localize(p.Data, all)
	if err != nil {
		return nil, err
	}
	if args, err := adapter.NewArgs(data, att); err != nil || args.Len() == 0 {
		return nil, fmt.Errorf("packet data is not a non-empty array")
	}
	return adapter.NewPacket(nsp, data, att), nil
}

// appendPacket writes {"type":2,"data":[...]} and, if nsp is not empty,
// its "nsp" member. Placeholders in the data keep naming p.Attachments.
func appendPacket(b []byte, p *socket.Packet, nsp string) []byte {
	b = append(b, `{"type":2,"data":`...)
	b = append(b, bytes.TrimSpace(p.Data())...)
	if nsp != "" {
		b = append(b, `,"nsp":`...)
		b = msgpack.AppendJSONString(b, nsp)
	}
	return append(b, '}')
}

// localize returns data with its placeholders numbered from 0 and the
// attachments they name, taken from all, the attachments of a whole
// message.
func localize(data json.RawMessage, all [][]byte) (json.RawMessage, [][]byte, error) {
	if len(all) == 0 {
		return data, nil, nil
	}
	mp, err := msgpack.AppendJSON(nil, data, all)
	if err != nil {
		return nil, nil, err
	}
	return msgpack.ToJSON(nil, mp, msgpack.Placeholders)
}

// value is one JavaScript value from the wire, such as a client's
// acknowledgement: JSON whose placeholders name att. A zero value is
// undefined (the member was absent).
type value struct {
	raw json.RawMessage
	att [][]byte
}

// valueOf returns the value raw holds; all are the message's attachments.
func valueOf(raw json.RawMessage, all [][]byte) (value, error) {
	if len(raw) == 0 {
		return value{}, nil
	}
	data, att, err := localize(raw, all)
	return value{raw: data, att: att}, err
}

// args returns the value as acknowledgement arguments: one argument, or
// none for undefined.
func (v value) args() socket.Args {
	if len(v.raw) == 0 {
		return socket.Args{}
	}
	data := make([]byte, 0, len(v.raw)+2)
	data = append(append(append(data, '['), v.raw...), ']')
	a, err := adapter.NewArgs(data, v.att)
	if err != nil {
		return socket.Args{}
	}
	return a
}

// valueOfArgs returns the first of args, which adapter.Cluster passes
// alone; undefined when there is none.
func valueOfArgs(args socket.Args) value {
	if args.Len() == 0 {
		return value{}
	}
	data, att := args.Encode() // [x]
	return value{raw: data[1 : len(data)-1], att: att}
}

// nodeJSON returns v as JSON.stringify writes it in Node, binary data as
// {"type":"Buffer","data":[...]}; null for undefined in an array, and the
// caller omits undefined members.
func (v value) nodeJSON() json.RawMessage {
	if len(v.att) == 0 {
		return v.raw
	}
	mp, err := msgpack.AppendJSON(nil, v.raw, v.att)
	if err != nil {
		return json.RawMessage(`null`)
	}
	out, _, err := msgpack.ToJSON(nil, mp, msgpack.NodeBuffers)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return out
}

// wireSocket is Node's form of a fetched socket.
type wireSocket struct {
	ID        string           `json:"id"`
	Handshake socket.Handshake `json:"handshake"`
	Rooms     []string         `json:"rooms"`
	Data      any              `json:"data"`
}

// appendSockets writes the JSON array of the sockets' snapshots, data {}
// when a socket has none, as Node's socket.data.
func appendSockets(b []byte, sockets []*socket.RemoteSocket) ([]byte, error) {
	list := make([]wireSocket, len(sockets))
	for i, s := range sockets {
		list[i] = wireSocket{ID: s.ID, Handshake: s.Handshake, Rooms: s.Rooms, Data: s.Data}
		if s.Data == nil {
			list[i].Data = struct{}{}
		}
		if list[i].Rooms == nil {
			list[i].Rooms = []string{}
		}
	}
	js, err := json.Marshal(list)
	return append(b, js...), err
}

// decodeSockets decodes fetched sockets and binds them to nsp. Binary
// values in their data become []byte. A socket that does not decode is
// skipped and reported in the error.
func decodeSockets(raw json.RawMessage, all [][]byte, nsp *socket.Namespace) ([]*socket.RemoteSocket, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("sockets: %w", err)
	}
	out := make([]*socket.RemoteSocket, 0, len(list))
	var bad error
	for _, e := range list {
		rs, err := decodeSocket(e, all)
		if err != nil {
			bad = fmt.Errorf("socket %.100s: %v", e, err)
			continue
		}
		out = append(out, adapter.NewRemoteSocket(nsp, *rs))
	}
	return out, bad
}

// fetchedSocket is a fetched socket whose data is decoded apart, so that
// its placeholders become the attachments they stand for.
type fetchedSocket struct {
	socket.RemoteSocket
	Data json.RawMessage `json:"data"` // hides RemoteSocket.Data
}

// decodeSocket decodes one fetched socket; all are the attachments of the
// message it came in.
func decodeSocket(e json.RawMessage, all [][]byte) (*socket.RemoteSocket, error) {
	var w fetchedSocket
	if err := json.Unmarshal(e, &w); err != nil {
		return nil, err
	}
	if w.ID == "" {
		return nil, errors.New("no id")
	}
	if len(w.Data) > 0 {
		m, err := decodeData(w.Data, all)
		if err != nil {
			return nil, err
		}
		w.RemoteSocket.Data = m
	}
	return &w.RemoteSocket, nil
}

// decodeData decodes a fetched socket's data, JSON whose placeholders
// name all: an object, or null. Binary values become []byte.
func decodeData(raw json.RawMessage, all [][]byte) (map[string]any, error) {
	args, err := adapter.NewArgs(append(append([]byte{'['}, raw...), ']'), all)
	if err != nil {
		return nil, err
	}
	var v any
	switch x := args.Value(0).(type) {
	case json.RawMessage: // no binary data
		if err := json.Unmarshal(x, &v); err != nil {
			return nil, err
		}
	default:
		v = x
	}
	m, ok := v.(map[string]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("data is a %T, not an object", v)
	}
	return m, nil
}

// object writes a JSON object member by member, in order.
type object struct{ b []byte }

func newObject(sizeHint int) *object {
	o := &object{b: make([]byte, 1, sizeHint+16)}
	o.b[0] = '{'
	return o
}

func (o *object) key(k string) *object {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
	return o
}

// str adds a string member; an empty value is left out when omitEmpty.
func (o *object) str(k, v string, omitEmpty bool) *object {
	if v == "" && omitEmpty {
		return o
	}
	o.key(k)
	o.b = appendJSONString(o.b, v)
	return o
}

func (o *object) int(k string, v int) *object {
	o.key(k)
	o.b = strconv.AppendInt(o.b, int64(v), 10)
	return o
}

func (o *object) bool(k string, v bool) *object {
	o.key(k)
	o.b = strconv.AppendBool(o.b, v)
	return o
}

func (o *object) strings(k string, v []string) *object {
	o.key(k)
	o.b = appendStrings(o.b, v)
	return o
}

// raw adds a member whose value is JSON text; an empty one is left out,
// as JSON.stringify leaves out undefined.
func (o *object) raw(k string, v []byte) *object {
	if len(v) == 0 {
		return o
	}
	o.key(k)
	o.b = append(o.b, v...)
	return o
}

// bytes closes the object and returns its JSON text.
func (o *object) bytes() []byte { return append(o.b, '}') }

func appendJSONString(b []byte, s string) []byte { return msgpack.AppendJSONString(b, s) }
