package redisadapter

import (
	"testing"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/socket"
)

type benchMsg struct {
	User string `json:"user"`
	Text string `json:"text"`
	At   int64  `json:"at"`
}

// BenchmarkEncodeBroadcast measures the MessagePack message of a classic
// broadcast to a room, as published for every Emit.
func BenchmarkEncodeBroadcast(b *testing.B) {
	p, err := adapter.NewEventPacket("/", "chat:message", benchMsg{"alice", "hello, world", 1700000000000})
	if err != nil {
		b.Fatal(err)
	}
	opts := socket.BroadcastOptions{Rooms: []string{"room-1"}}
	b.ReportAllocs()
	for b.Loop() {
		msg := append([]byte(`["abcdef",`), appendPacket(nil, p, "/")...)
		msg = append(appendOpts(append(msg, ','), opts, true, 0), ']')
		if _, err := encodePayload(msg, p.Attachments()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandleBroadcast measures a node's handling of another node's
// broadcast, up to the local delivery (to no socket).
func BenchmarkHandleBroadcast(b *testing.B) {
	a, _ := fuzzAdapters(b)
	p, _ := adapter.NewEventPacket("/", "chat:message", benchMsg{"alice", "hello, world", 1700000000000})
	msg := append([]byte(`["other1",`), appendPacket(nil, p, "/")...)
	msg = append(appendOpts(append(msg, ','), socket.BroadcastOptions{Rooms: []string{"room-1"}}, true, 0), ']')
	payload, err := encodePayload(msg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.onBroadcastMessage(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeBroadcastSharded measures the cluster message of a
// sharded broadcast to a room (the ClusterAdapter format, which the
// Streams adapter writes into its stream entries too).
func BenchmarkEncodeBroadcastSharded(b *testing.B) {
	_, a := fuzzAdapters(b)
	p, err := adapter.NewEventPacket("/", "chat:message", benchMsg{"alice", "hello, world", 1700000000000})
	if err != nil {
		b.Fatal(err)
	}
	opts := socket.BroadcastOptions{Rooms: []string{"room-1"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.EncodeBroadcast(p, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandleBroadcastSharded measures a node's handling of another
// node's sharded broadcast, from the Pub/Sub payload to the local
// delivery (to no socket).
func BenchmarkHandleBroadcastSharded(b *testing.B) {
	_, sender := fuzzAdapters(b)
	_, receiver := fuzzAdapters(b)
	p, _ := adapter.NewEventPacket("/", "chat:message", benchMsg{"alice", "hello, world", 1700000000000})
	m, err := sender.EncodeBroadcast(p, socket.BroadcastOptions{Rooms: []string{"room-1"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		receiver.handle(m.Channel, m.Payload)
	}
}
