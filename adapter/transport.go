package adapter

import (
	"context"
	"time"

	"github.com/envivo/socketio/socket"
)

// Message is an encoded message for the other nodes, and where it goes
// in the backend's terms (a Pub/Sub channel, a stream; empty when the
// backend has one destination).
type Message struct {
	Channel string
	Payload []byte
}

// Transport is what a backend gives a Cluster: the encoding of each
// message in the backend's wire format, and the means to carry it.
// Request ids (id) are those of Cluster's requests, to be given back with
// the answers; to is the uid of the node an answer goes to. Its methods
// are called concurrently.
//
// Encoding (a message to every other node, or an answer to one):
//   - EncodeBroadcast: deliver p to the sockets opts selects;
//   - EncodeBroadcastWithAck: the same, each client asked for an ack,
//     awaited for timeout; the other nodes answer with a client count
//     (EncodeClientCount), then each ack (EncodeAck);
//   - EncodeFetchSockets: answered by EncodeFetchSocketsAnswer;
//   - EncodeAllRooms: answered by EncodeAllRoomsAnswer; or ErrNoAllRooms;
//   - EncodeAddSockets, EncodeDelSockets, EncodeDisconnectSockets: no
//     answer;
//   - EncodeServerSideEmit: with an id (not empty) answered by
//     EncodeServerSideEmitAnswer.
//
// Acks and server-side emit answers carry one argument, or none, as
// Node's adapters forward only the first: arg holds at most one.
type Transport interface {
	EncodeBroadcast(p *socket.Packet, opts socket.BroadcastOptions) (Message, error)
	EncodeBroadcastWithAck(id string, p *socket.Packet, opts socket.BroadcastOptions, timeout time.Duration) (Message, error)
	EncodeFetchSockets(id string, opts socket.BroadcastOptions) (Message, error)
	EncodeAllRooms(id string) (Message, error)
	EncodeAddSockets(opts socket.BroadcastOptions, rooms []string) (Message, error)
	EncodeDelSockets(opts socket.BroadcastOptions, rooms []string) (Message, error)
	EncodeDisconnectSockets(opts socket.BroadcastOptions, close bool) (Message, error)
	EncodeServerSideEmit(id string, p *socket.Packet) (Message, error)

	EncodeClientCount(to, id string, n int) (Message, error)
	EncodeAck(to, id string, arg socket.Args) (Message, error)
	EncodeFetchSocketsAnswer(to, id string, sockets []*socket.RemoteSocket) (Message, error)
	EncodeAllRoomsAnswer(to, id string, rooms []string) (Message, error)
	EncodeServerSideEmitAnswer(to, id string, arg socket.Args) (Message, error)

	// Send hands m to the backend and returns once it was sent, or with
	// an error when it could not be or ctx ended first.
	Send(ctx context.Context, m Message) error
	// Post queues m and returns at once: an error means m was dropped
	// (such as a full queue, or a backend known to be down); a failure to
	// send it later is the transport's to log. A message still queued
	// when ctx ends may be dropped.
	Post(ctx context.Context, m Message) error
	// CountNodes returns the number of nodes of the cluster that serve
	// this namespace, this one included, until ctx ends.
	CountNodes(ctx context.Context) (int, error)
	// Release releases what the transport holds for this adapter. Cluster
	// calls it once, from Close, after failing the pending requests.
	Release() error
}
