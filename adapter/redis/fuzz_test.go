package redisadapter

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/internal/nodecapture"
	"github.com/envivo/socketio/internal/redispeer"
	"github.com/envivo/socketio/socket"
)

// FuzzHandle feeds arbitrary messages, on every channel they read, to a
// classic and a sharded adapter: nothing may panic. Answers the adapters
// publish fail at once (Redis is not reachable), which they must survive
// too. The seeds are the messages captured from Node.
func FuzzHandle(f *testing.F) {
	for _, m := range readNodeMessages(f) {
		sharded := byte(0)
		if m.Command == "spublish" {
			sharded = 1
		}
		f.Add(sharded, channelIndex(m.Channel), m.Payload)
	}
	for _, p := range hostilePayloads() {
		f.Add(byte(0), byte(0), []byte(p))
		f.Add(byte(1), byte(0), []byte(p))
	}
	classicA, shardedA := fuzzAdapters(f)
	f.Fuzz(func(t *testing.T, kind, channel byte, payload []byte) {
		if kind%2 == 0 {
			chans := []string{classicA.channel, classicA.channel + "room#", classicA.requestChannel,
				classicA.responseChannel, classicA.responseChannel + classicA.uid + "#"}
			classicA.handle(chans[int(channel)%len(chans)], payload)
			return
		}
		chans := []string{shardedA.channel, shardedA.responseChannel, shardedA.channel + "room#"}
		shardedA.handle(chans[int(channel)%len(chans)], payload)
	})
}

// channelIndex maps a captured channel to the fuzz target's channels.
func channelIndex(channel string) byte {
	switch {
	case strings.Contains(channel, "-request#"):
		return 2
	case strings.Contains(channel, "-response#"):
		return 3
	case strings.Count(channel, "#") > 2:
		return 1
	}
	return 0
}

// fuzzAdapters returns adapters whose Redis is a closed port.
func fuzzAdapters(t testing.TB) (*classic, *sharded) {
	client := redis.NewClient(&redis.Options{
		Addr: "127.0.0.1:" + strconv.Itoa(redispeer.FreePort(t)), MaxRetries: -1, DialerRetries: 1, DialTimeout: 100 * time.Millisecond,
	})
	t.Cleanup(func() { _ = client.Close() })
	srvs := []*socket.Server{
		socket.NewServer(&socket.Options{Adapter: New(client, &Options{RequestTimeout: 50 * time.Millisecond})}),
		socket.NewServer(&socket.Options{Adapter: NewSharded(client, &ShardedOptions{RequestTimeout: 50 * time.Millisecond})}),
	}
	t.Cleanup(func() {
		for _, s := range srvs {
			_ = s.Shutdown(context.Background())
		}
	})
	for _, s := range srvs {
		s.OnServerEvent("sse", func(_ socket.Args, ack socket.AckFunc) {
			if ack != nil {
				_ = ack("answer")
			}
		})
	}
	return srvs[0].Of("/").Adapter().(*classic), srvs[1].Of("/").Adapter().(*sharded)
}

// readNodeMessages returns the messages captured from Node (testdata/node-messages.txt).
func readNodeMessages(t testing.TB) []nodecapture.Message {
	t.Helper()
	msgs, err := nodecapture.Read(filepath.Join("testdata", "node-messages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// FuzzRouterInput checks what a Router reads from the network and from
// the directory: the node id in a sid (from any client) and a node's
// address (from Redis). Neither panics; a node id is accepted only in the
// form NodeID documents, and an address only as http(s) with a host.
func FuzzRouterInput(f *testing.F) {
	for _, s := range []string{"abc-DEF_ghi", "-x", "x", "", "a.b-c", "http://10.0.0.5:3000", "file:///etc/passwd", "http://u@h", "https://h/p?q#f", "http:%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if node, ok := nodeOf(s); ok {
			if !strings.HasPrefix(s, node+"-") || !validNodeID(node) || strings.ContainsAny(node, "-_/.:") {
				t.Fatalf("nodeOf(%q) = %q", s, node)
			}
		}
		if u, err := parseNodeAddress(s); err == nil {
			if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
				t.Fatalf("parseNodeAddress(%q) accepted %#v", s, u)
			}
		}
	})
}
