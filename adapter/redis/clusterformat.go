package redisadapter

import (
	"fmt"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/socket"
)

// clusterFormat encodes the messages of Node's ClusterAdapter format,
// {type, data, uid, nsp}, that the sharded and the Streams adapters share:
// requests go to channel (<prefix>#<nsp>#), answers to the channel of the
// node they answer (channel + uid + "#"). The adapters encode the
// messages whose channel or form differ themselves.
type clusterFormat struct {
	channel string
	sender  string // this node's uid
	nspName string
	// packAlways encodes every message in MessagePack, as Node's Streams
	// adapter does; otherwise only those with attachments are.
	packAlways bool
}

// message returns a cluster message {type, data, uid, nsp} for channel.
func (f *clusterFormat) message(channel string, typ int, data []byte, attachments [][]byte) (adapter.Message, error) {
	msg := newObject(len(data)+64).int("type", typ).raw("data", data).
		str("uid", f.sender, false).str("nsp", f.nspName, false).bytes()
	if len(attachments) == 0 && !f.packAlways {
		return adapter.Message{Channel: channel, Payload: msg}, nil
	}
	payload, err := encodePayload(msg, attachments)
	return adapter.Message{Channel: channel, Payload: payload}, err
}

// answer encodes a response {type, data: {requestId, ...}, uid, nsp} for
// the channel of node to.
func (f *clusterFormat) answer(to string, typ int, data []byte, att [][]byte) (adapter.Message, error) {
	return f.message(f.channel+to+"#", typ, data, att)
}

// EncodeFetchSockets implements adapter.Transport.
func (f *clusterFormat) EncodeFetchSockets(id string, opts socket.BroadcastOptions) (adapter.Message, error) {
	data := newObject(64).raw("opts", appendOpts(nil, opts, true, 0)).str("requestId", id, false).bytes()
	return f.message(f.channel, msgFetchSockets, data, nil)
}

// EncodeAllRooms implements adapter.Transport: the format has no
// all-rooms request, so AllRooms fetches sockets instead, as Node's.
func (f *clusterFormat) EncodeAllRooms(string) (adapter.Message, error) {
	return adapter.Message{}, adapter.ErrNoAllRooms
}

// EncodeServerSideEmit implements adapter.Transport.
func (f *clusterFormat) EncodeServerSideEmit(id string, p *socket.Packet) (adapter.Message, error) {
	data := newObject(len(p.Data())+32).str("requestId", id, true).raw("packet", p.Data()).bytes()
	return f.message(f.channel, msgServerSideEmit, data, p.Attachments())
}

// EncodeClientCount implements adapter.Transport.
func (f *clusterFormat) EncodeClientCount(to, id string, n int) (adapter.Message, error) {
	return f.answer(to, msgClientCount, newObject(48).str("requestId", id, false).int("clientCount", n).bytes(), nil)
}

// EncodeAck implements adapter.Transport.
func (f *clusterFormat) EncodeAck(to, id string, args socket.Args) (adapter.Message, error) {
	arg := valueOfArgs(args)
	data := newObject(len(arg.raw)+48).str("requestId", id, false).raw("packet", arg.raw).bytes()
	return f.answer(to, msgBroadcastAck, data, arg.att)
}

// EncodeFetchSocketsAnswer implements adapter.Transport.
func (f *clusterFormat) EncodeFetchSocketsAnswer(to, id string, sockets []*socket.RemoteSocket) (adapter.Message, error) {
	list, err := appendSockets(nil, sockets)
	if err != nil {
		return adapter.Message{}, err
	}
	data := newObject(len(list)+48).str("requestId", id, false).raw("sockets", list).bytes()
	return f.answer(to, msgFetchSocketsResponse, data, nil)
}

// EncodeAllRoomsAnswer is never called: no node sends the request.
func (f *clusterFormat) EncodeAllRoomsAnswer(string, string, []string) (adapter.Message, error) {
	return adapter.Message{}, adapter.ErrNoAllRooms
}

// EncodeServerSideEmitAnswer implements adapter.Transport.
func (f *clusterFormat) EncodeServerSideEmitAnswer(to, id string, args socket.Args) (adapter.Message, error) {
	arg := valueOfArgs(args)
	data := newObject(len(arg.raw)+48).str("requestId", id, false).raw("packet", arg.raw).bytes()
	return f.answer(to, msgServerSideEmitResp, data, arg.att)
}

// onClusterAnswer hands an answer to a request of this node, in Node's
// ClusterAdapter format (the sharded and the Streams adapters), to the
// cluster core: typ is the message's type, att its attachments.
func (n *node) onClusterAnswer(typ int, d *clusterData, att [][]byte) error {
	id := d.id()
	switch typ {
	case msgClientCount:
		n.OnClientCount(id, d.ClientCount)
	case msgBroadcastAck, msgServerSideEmitResp:
		v, err := valueOf(d.Packet, att)
		if err != nil {
			return err
		}
		if typ == msgBroadcastAck {
			n.OnAck(id, v.args())
		} else {
			n.OnServerSideEmitAnswer(id, v.args())
		}
	case msgFetchSocketsResponse:
		if _, open := n.Pending(id); !open {
			return nil
		}
		sockets, err := decodeSockets(d.Sockets, att, n.nsp)
		n.OnFetchSocketsAnswer(id, sockets)
		return err
	default:
		return fmt.Errorf("unknown response type %d", typ)
	}
	return nil
}
