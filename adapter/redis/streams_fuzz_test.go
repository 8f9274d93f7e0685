package redisadapter

import (
	"context"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/msgpack"
	"github.com/envivo/socketio/internal/redispeer"
	"github.com/envivo/socketio/socket"
)

// streamsFuzzAdapter returns a Streams adapter, with recovery on, whose
// Redis is a closed port. Its stream reader's client, whose single
// connection fails to dial, has go-redis probe the port once a second in
// a goroutine of its own, which notices the client's Close only when it
// wakes up: the cleanup waits for that.
func streamsFuzzAdapter(t testing.TB) *streams {
	t.Cleanup(func() { time.Sleep(1100 * time.Millisecond) })
	client := redis.NewClient(&redis.Options{
		Addr: "127.0.0.1:" + strconv.Itoa(redispeer.FreePort(t)), MaxRetries: -1, DialerRetries: 1, DialTimeout: 100 * time.Millisecond,
	})
	t.Cleanup(func() { _ = client.Close() })
	srv := socket.NewServer(&socket.Options{
		Adapter:                 NewStreams(client, &StreamsOptions{RequestTimeout: 50 * time.Millisecond}),
		ConnectionStateRecovery: &socket.ConnectionStateRecovery{},
	})
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	srv.OnServerEvent("sse", func(_ socket.Args, ack socket.AckFunc) {
		if ack != nil {
			_ = ack("answer")
		}
	})
	return srv.Of("/").Adapter().(*streams)
}

// streamsSeeds are cluster messages as Node's Streams adapter writes
// their data, one per type.
var streamsSeeds = []struct {
	typ  int
	data string
}{
	{msgBroadcast, `{"packet":{"type":2,"data":["ev",1,{"_placeholder":true,"num":0}],"nsp":"/"},"opts":{"rooms":["r"],"except":[],"flags":{}}}`},
	{msgBroadcast, `{"packet":{"type":2,"data":["ev"],"nsp":"/"},"requestId":"abc","opts":{"rooms":[],"except":[],"flags":{"timeout":5000}}}`},
	{msgSocketsJoin, `{"opts":{"rooms":[],"except":[]},"rooms":["a",1]}`},
	{msgSocketsLeave, `{"opts":{"rooms":["x"],"except":[]},"rooms":["a"]}`},
	{msgDisconnectSockets, `{"opts":{"rooms":["nobody"],"except":[]},"close":true}`},
	{msgFetchSockets, `{"opts":{"rooms":[],"except":[],"flags":{}},"requestId":"f1"}`},
	{msgFetchSocketsResponse, `{"requestId":"f1","sockets":[{"id":"x","handshake":{},"rooms":["x"],"data":{}}]}`},
	{msgServerSideEmit, `{"requestId":"s1","packet":["sse",{"_placeholder":true,"num":0}]}`},
	{msgServerSideEmitResp, `{"requestId":"s1","packet":"ok"}`},
	{msgClientCount, `{"requestId":"abc","clientCount":2}`},
	{msgBroadcastAck, `{"requestId":"abc","packet":[1]}`},
}

// FuzzStreamEntry feeds arbitrary stream entries to the adapter, as its
// reader hands them on: nothing may panic.
func FuzzStreamEntry(f *testing.F) {
	for _, s := range streamsSeeds {
		f.Add("other", "/", strconv.Itoa(s.typ), s.data, false)
		f.Add("other", "/", strconv.Itoa(s.typ), s.data, true)
	}
	f.Add("other", "/", "3", "not base64!", false)
	f.Add("", "", "", "", false)
	a := streamsFuzzAdapter(f)
	f.Fuzz(func(t *testing.T, uid, nsp, typ, data string, binary bool) {
		if binary { // as Node writes data with binary: base64 MessagePack
			if mp, err := msgpack.AppendJSON(nil, []byte(data), [][]byte{{1, 2}}); err == nil {
				data = base64.StdEncoding.EncodeToString(mp)
			}
		}
		values := map[string]any{"uid": uid, "nsp": nsp, "type": typ, "data": data}
		e, err := decodeEntry(values)
		if err != nil {
			return
		}
		if later := a.onEntry("1-1", e); later != nil {
			later()
		}
		_ = a.missedPacket(redis.XMessage{ID: "1-1", Values: values}, []string{"r"})
	})
}

// FuzzStreamsMessage feeds arbitrary Pub/Sub payloads to the adapter, on
// both its channels: nothing may panic.
func FuzzStreamsMessage(f *testing.F) {
	for _, s := range streamsSeeds {
		msg := `{"type":` + strconv.Itoa(s.typ) + `,"data":` + s.data + `,"uid":"other","nsp":"/"}`
		mp, err := msgpack.AppendJSON(nil, []byte(msg), [][]byte{{7}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, mp)
		f.Add(true, []byte(msg))
	}
	for _, p := range hostilePayloads() {
		f.Add(false, []byte(p))
	}
	a := streamsFuzzAdapter(f)
	f.Fuzz(func(t *testing.T, private bool, payload []byte) {
		channel := a.channel
		if private {
			channel = a.private
		}
		a.handle(channel, payload)
	})
}

// FuzzStreamsSession decodes arbitrary stored sessions: nothing may panic,
// and what decodes encodes again.
func FuzzStreamsSession(f *testing.F) {
	s, err := encodeSession(&socket.Session{ID: "id", PID: "pid", Rooms: []string{"id", "r"}, Data: map[string]any{"k": []any{1.5, "v"}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s)
	f.Add("")
	f.Add("gqNzaWSgo3BpZKA=")
	f.Fuzz(func(t *testing.T, stored string) {
		s, err := decodeSession(stored)
		if err != nil {
			return
		}
		if _, err := encodeSession(s); err != nil {
			t.Errorf("session %+v does not encode: %v", s, err)
		}
	})
}
