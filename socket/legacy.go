package socket

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/envivo/socketio/internal/parser"
	"github.com/envivo/socketio/internal/randid"
)

// What differs for a client of Socket.IO protocol v4, which
// socket.io-client 2.x speaks over Engine.IO v3 (engine.Options.AllowEIO3),
// as Node's server treats it:
//
//   - the client is joined to "/" as soon as it connects, without a
//     CONNECT of its own (newClient);
//   - a CONNECT names its namespace with a query, "/admin?token=x", which
//     becomes the socket's Handshake.Auth, {"token":"x"}; other packets are
//     routed by the namespace without its query;
//   - the CONNECT reply carries no data, and the socket's id is the
//     Engine.IO sid ("/admin#<sid>" outside "/"), the id the client
//     computes for itself;
//   - a refusal carries the middleware's ConnectError.Data, or its message
//     as a JSON string: 44/admin,"Not authorized", which the client emits
//     as "error".

// splitNamespace takes the query off the namespace of p, a packet from a
// legacy client; a CONNECT gets it as its auth payload ({} when none), as
// Node does, whatever data the packet had.
func splitNamespace(p *parser.Packet) {
	name, query, _ := strings.Cut(p.Namespace, "?")
	p.Namespace = name
	if p.Type == parser.Connect {
		p.Data = queryAuth(query)
	}
}

// queryAuth returns the JSON object of a query's parameters, in the order
// they first appear, each with its last value (JavaScript's
// Object.fromEntries of URLSearchParams).
func queryAuth(query string) json.RawMessage {
	var keys []string
	values := map[string]string{}
	for kv := range strings.SplitSeq(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if _, ok := values[k]; !ok {
			keys = append(keys, k)
		}
		values[k] = v
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as JSON.stringify
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		_ = enc.Encode(k)
		b.Truncate(b.Len() - 1) // Encode's newline
		b.WriteByte(':')
		_ = enc.Encode(values[k])
		b.Truncate(b.Len() - 1)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// unescapeQuery decodes a query component; one that does not decode is
// kept as it is.
func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// socketID returns the id of a new socket of namespace nsp.
func (c *client) socketID(nsp string) string {
	switch {
	case !c.legacy:
		return randid.New(randid.Len)
	case nsp == "/":
		return c.conn.ID()
	default:
		return nsp + "#" + c.conn.ID()
	}
}

// connectReply is the data of the CONNECT that admits socket id, with
// pid, the private session id of connection state recovery, if any.
func (c *client) connectReply(id, pid string) json.RawMessage {
	if c.legacy {
		return nil
	}
	reply, _ := json.Marshal(struct {
		SID string `json:"sid"`
		PID string `json:"pid,omitempty"` // with connection state recovery
	}{id, pid})
	return reply
}

// refusal is the data of the CONNECT_ERROR that carries ce. Node sends
// "Invalid namespace" as an object to legacy clients too.
func (c *client) refusal(ce *ConnectError) json.RawMessage {
	if c.legacy && ce != errInvalidNamespace {
		var v any = ce.Message
		if ce.Data != nil {
			v = ce.Data
		}
		if data, err := json.Marshal(v); err == nil {
			return data
		}
	}
	payload := struct {
		Message string `json:"message"`
		Data    any    `json:"data,omitempty"`
	}{ce.Message, ce.Data}
	data, err := json.Marshal(payload)
	if err != nil {
		data, _ = json.Marshal(struct {
			Message string `json:"message"`
		}{ce.Message})
	}
	return data
}
