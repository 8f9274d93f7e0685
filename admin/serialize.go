package admin

import (
	"context"
	"encoding/json"
	"time"

	"github.com/envivo/socketio/socket"
)

// dataKey is where a socket's data keeps what the UI shows of its
// connection, so that it travels with the socket in a cluster's
// FetchSockets, as Node's socket.data._admin.
const dataKey = "_admin"

// connInfo is the value stored under dataKey. It is replaced, never
// changed, so that snapshots may share it.
type connInfo struct {
	ClientID  string `json:"clientId"`
	Transport string `json:"transport"`
}

// serializedSocket is the UI's form of a socket.
type serializedSocket struct {
	ID        string          `json:"id"`
	ClientID  string          `json:"clientId"`
	Transport string          `json:"transport"`
	NSP       string          `json:"nsp"`
	Data      map[string]any  `json:"data"`
	Handshake json.RawMessage `json:"handshake"`
	Rooms     []string        `json:"rooms"`
}

// serializeRemote returns the UI's form of a socket of any server.
func serializeRemote(r *socket.RemoteSocket, nsp string) serializedSocket {
	info := infoOf(r.Data)
	return serializedSocket{
		ID:        r.ID,
		ClientID:  info.ClientID,
		Transport: info.Transport,
		NSP:       nsp,
		Data:      withoutInfo(r.Data),
		Handshake: handshakeJSON(&r.Handshake),
		Rooms:     nonNil(r.Rooms),
	}
}

// serializeLocal returns the UI's form of a socket of this server.
func serializeLocal(s *socket.Socket) serializedSocket {
	return serializeRemote(&socket.RemoteSocket{
		ID:        s.ID(),
		Handshake: *s.Handshake(),
		Rooms:     s.Rooms(),
		Data:      dataOf(s),
	}, s.Namespace().Name())
}

// dataOf returns a snapshot of the socket's data, connInfo included, as
// FetchSockets takes it on this server.
func dataOf(s *socket.Socket) map[string]any {
	rs, err := s.Namespace().Local().In(s.ID()).FetchSockets(context.Background())
	if err != nil || len(rs) == 0 {
		return nil
	}
	return rs[0].Data
}

// infoOf reads connInfo from data, as stored here or decoded from another
// server's JSON.
func infoOf(data map[string]any) connInfo {
	var info connInfo
	switch v := data[dataKey].(type) {
	case connInfo:
		info = v
	case nil:
	default:
		b, _ := json.Marshal(v)
		_ = json.Unmarshal(b, &info)
	}
	return info
}

func withoutInfo(data map[string]any) map[string]any {
	out := make(map[string]any, len(data))
	for k, v := range data {
		if k != dataKey {
			out[k] = v
		}
	}
	return out
}

// handshakeJSON is Node's form of the handshake without its auth payload
// (the admin UI's password, for one), and with the address a proxy
// reports, as Node's admin does.
func handshakeJSON(h *socket.Handshake) json.RawMessage {
	b, err := json.Marshal(h)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return json.RawMessage(`{}`)
	}
	delete(m, "auth")
	for _, name := range []string{"Cf-Connecting-Ip", "X-Forwarded-For"} {
		if v := h.Headers.Get(name); v != "" {
			m["address"], _ = json.Marshal(v)
			break
		}
	}
	b, _ = json.Marshal(m)
	return b
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// jsTime formats t as JSON.stringify(new Date()) does.
func jsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
