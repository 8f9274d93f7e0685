package admin

import (
	"encoding/json"
	"testing"

	"github.com/envivo/socketio/socket"
)

// FuzzSerializeRemote feeds serializeRemote the sockets other servers
// describe (FetchSockets answers off the cluster bus, decoded as the
// adapter decodes them): whatever their data and handshake hold, it must
// not panic and must give JSON the UI can read, without the handshake's
// auth payload.
func FuzzSerializeRemote(f *testing.F) {
	f.Add([]byte(`{"id":"a","handshake":{"headers":{"x-forwarded-for":"10.0.0.1"},"auth":{"password":"p"},"url":"/socket.io/?EIO=4"},"rooms":["a","r"],"data":{"_admin":{"clientId":"c","transport":"polling"},"user":"u"}}`))
	f.Add([]byte(`{"id":"b","data":{"_admin":"x"},"rooms":null}`))
	f.Add([]byte(`{"id":"c","data":{"_admin":{"clientId":1,"transport":[]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r socket.RemoteSocket
		if json.Unmarshal(b, &r) != nil {
			return
		}
		out, err := json.Marshal(serializeRemote(&r, "/"))
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var back struct {
			Data      map[string]any `json:"data"`
			Handshake map[string]any `json:"handshake"`
			Rooms     []string       `json:"rooms"`
		}
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s -> %s: %v", b, out, err)
		}
		if _, ok := back.Handshake["auth"]; ok {
			t.Fatalf("%s -> %s: the auth payload is shown", b, out)
		}
		if _, ok := back.Data[dataKey]; ok || back.Rooms == nil {
			t.Fatalf("%s -> %s", b, out)
		}
	})
}
