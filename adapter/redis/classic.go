package redisadapter

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/envivo/socketio/adapter"
	"github.com/envivo/socketio/internal/randid"
	"github.com/envivo/socketio/socket"
)

// classicIDLen is the length of the classic adapter's node and request ids,
// Node's uid2(6).
const classicIDLen = 6

// Request types of the classic adapter, as in Node's lib/index.ts.
const (
	reqSockets          = 0
	reqAllRooms         = 1
	reqRemoteJoin       = 2
	reqRemoteLeave      = 3
	reqRemoteDisconnect = 4
	reqRemoteFetch      = 5
	reqServerSideEmit   = 6
	reqBroadcast        = 7
	reqClientCount      = 8
	reqBroadcastAck     = 9
)

// New returns an Adapter factory for socket.Options.Adapter: each
// namespace gets an adapter that shares its rooms and broadcasts with the
// other servers on client's Redis through PUBLISH and PSUBSCRIBE, in the
// format of Node's @socket.io/redis-adapter (createAdapter). client may be
// a single node, a cluster or a sentinel client; the adapter never closes
// it.
//
// As in Node, every namespace of one factory shares one subscription
// connection, with one pattern and three channels per namespace,
// subscribed when the namespace's adapter is created and unsubscribed when
// it is closed: the connections to Redis do not grow with the number of
// namespaces. The connection is opened with the first adapter and closed
// with the last (Server.Shutdown closes them all). Give each Server its
// own factory: a factory shared by two Servers opens a second connection,
// so that each counts as a node.
//
//	opt, _ := redis.ParseURL(os.Getenv("REDIS_URL"))
//	io := socket.NewServer(&socket.Options{Adapter: redisadapter.New(redis.NewClient(opt), nil)})
func New(client redis.UniversalClient, opts *Options) func(nsp *socket.Namespace) socket.Adapter {
	o := opts.withDefaults()
	hs := newHubs(client, false, o.Logger, o.PublishQueueSize)
	return func(nsp *socket.Namespace) socket.Adapter { return newClassic(hs, o, nsp) }
}

// classic is the adapter of New.
type classic struct {
	node
	client          redis.UniversalClient
	specific        bool // answer on the requester's own channel
	channel         string
	requestChannel  string
	responseChannel string
}

func newClassic(hs *hubs, o Options, nsp *socket.Namespace) *classic {
	a := &classic{client: hs.client, specific: o.PublishOnSpecificResponseChannel}
	a.init(nsp, a, adapter.ClusterOptions{
		UID:            randid.New(classicIDLen),
		NewRequestID:   func() string { return randid.New(classicIDLen) },
		RequestTimeout: o.RequestTimeout,
		Logger:         o.Logger,
	}, hs)
	if !o.KeepRedisLogger {
		installRedisLogger(cmp.Or(o.Logger, nsp.Server().Logger()))
	}
	a.count = func(ctx context.Context) (int, error) {
		return countSubscribers(ctx, a.client, false, a.requestChannel)
	}
	a.channel = o.Key + "#" + nsp.Name() + "#"
	a.requestChannel = o.Key + "-request#" + nsp.Name() + "#"
	a.responseChannel = o.Key + "-response#" + nsp.Name() + "#"
	a.reg = a.hub.register(nsp.Name(), a.handle)
	a.reg.want(patternSub, a.channel+"*")
	a.reg.want(channelSub, a.requestChannel, a.responseChannel, a.responseChannel+a.uid+"#")
	return a
}

// handle dispatches a message by channel, as Node's onmessage and
// onrequest.
func (a *classic) handle(channel string, payload []byte) {
	var err error
	switch {
	case strings.HasPrefix(channel, a.channel):
		err = a.onBroadcastMessage(payload)
	case strings.HasPrefix(channel, a.responseChannel):
		err = a.onResponse(payload)
	case channel == a.requestChannel:
		err = a.onRequest(payload)
	}
	if err != nil {
		a.Drop(channel, err)
	}
}

// onBroadcastMessage handles [uid, packet, opts].
func (a *classic) onBroadcastMessage(payload []byte) error {
	js, att, err := decodePayload(payload)
	if err != nil {
		return err
	}
	var msg []json.RawMessage
	if err := json.Unmarshal(js, &msg); err != nil || len(msg) < 3 {
		return fmt.Errorf("broadcast is not [uid, packet, opts]: %v", err)
	}
	var uid string
	_ = json.Unmarshal(msg[0], &uid)
	if uid == a.uid {
		return nil
	}
	var wp wirePacket
	var opts wireOpts
	if err := json.Unmarshal(msg[1], &wp); err != nil {
		return fmt.Errorf("packet: %w", err)
	}
	if wp.namespace() != a.nsp.Name() {
		return nil
	}
	if err := json.Unmarshal(msg[2], &opts); err != nil {
		return fmt.Errorf("opts: %w", err)
	}
	p, err := wp.packet(a.nsp.Name(), att)
	if err != nil {
		return err
	}
	a.OnBroadcast(p, opts.broadcastOptions())
	return nil
}

// classicRequest is any request of Node's classic adapter.
type classicRequest struct {
	UID       string          `json:"uid"`
	RequestID *string         `json:"requestId"`
	Type      *int            `json:"type"`
	Opts      *wireOpts       `json:"opts"`
	Rooms     roomList        `json:"rooms"`
	Close     bool            `json:"close"`
	Data      json.RawMessage `json:"data"`   // server-side emit: [event, ...args]
	Packet    *wirePacket     `json:"packet"` // broadcast with ack
}

func (r *classicRequest) id() string {
	if r.RequestID == nil {
		return ""
	}
	return *r.RequestID
}

func (a *classic) onRequest(payload []byte) error {
	js, att, err := decodePayload(payload)
	if err != nil {
		return err
	}
	var r classicRequest
	if err := json.Unmarshal(js, &r); err != nil {
		return err
	}
	if r.Type == nil {
		return fmt.Errorf("request has no type")
	}
	if r.UID == a.uid { // applied locally already, or asked by this node
		return nil
	}
	switch *r.Type {
	case reqSockets, reqRemoteFetch, reqAllRooms, reqBroadcast:
		if r.id() == "" {
			return fmt.Errorf("request of type %d has no requestId", *r.Type)
		}
	}
	return a.dispatchRequest(&r, att)
}

func (a *classic) dispatchRequest(r *classicRequest, att [][]byte) error {
	opts := socket.BroadcastOptions{Flags: socket.BroadcastFlags{Local: true}}
	if r.Opts != nil {
		opts = r.Opts.broadcastOptions()
	}
	switch *r.Type {
	case reqSockets:
		a.onSocketIDs(r.UID, r.id(), r.Rooms)
	case reqAllRooms:
		a.OnAllRooms(r.UID, r.id())
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		if r.Opts == nil {
			return fmt.Errorf("request of type %d without opts (the removed per-socket form)", *r.Type)
		}
		a.onRemoteChange(*r.Type, opts, r)
	case reqRemoteFetch:
		a.OnFetchSockets(r.UID, r.id(), opts)
	case reqServerSideEmit:
		p, err := (&wirePacket{Type: 2, Data: r.Data}).packet(a.nsp.Name(), att)
		if err != nil {
			return err
		}
		a.OnServerSideEmit(r.UID, r.id(), p)
	case reqBroadcast:
		if r.Packet == nil || r.Opts == nil {
			return fmt.Errorf("broadcast request without packet or opts")
		}
		p, err := r.Packet.packet(a.nsp.Name(), att)
		if err != nil {
			return err
		}
		a.OnBroadcastWithAck(r.UID, r.id(), p, opts, r.Opts.ackTimeout())
	default:
		return fmt.Errorf("unknown request type %d", *r.Type)
	}
	return nil
}

func (a *classic) onRemoteChange(typ int, opts socket.BroadcastOptions, r *classicRequest) {
	switch typ {
	case reqRemoteJoin:
		a.OnAddSockets(opts, r.Rooms)
	case reqRemoteLeave:
		a.OnDelSockets(opts, r.Rooms)
	default:
		a.OnDisconnectSockets(opts, r.Close)
	}
}

// onSocketIDs answers the legacy SOCKETS request (Node's allSockets) with
// the ids of the local sockets in rooms.
func (a *classic) onSocketIDs(from, id string, rooms []string) {
	sockets := a.Local().Sockets(socket.BroadcastOptions{Rooms: rooms})
	ids := make([]string, len(sockets))
	for i, s := range sockets {
		ids[i] = s.ID()
	}
	msg := answer(-1, id).strings("sockets", ids).bytes()
	a.postAnswer("answer sockets", adapter.Message{Channel: a.answerChannel(from), Payload: msg})
}

// classicResponse is any answer of Node's classic adapter.
type classicResponse struct {
	Type        int             `json:"type"`
	RequestID   string          `json:"requestId"`
	Sockets     json.RawMessage `json:"sockets"`
	Rooms       roomList        `json:"rooms"`
	Data        json.RawMessage `json:"data"` // server-side emit answer
	ClientCount int             `json:"clientCount"`
	Packet      json.RawMessage `json:"packet"` // a client's ack
}

func (a *classic) onResponse(payload []byte) error {
	js, att, err := decodePayload(payload)
	if err != nil {
		return err
	}
	var r classicResponse
	if err := json.Unmarshal(js, &r); err != nil {
		return err
	}
	kind, ok := a.Pending(r.RequestID)
	if !ok {
		return nil // another node's request, or a late answer
	}
	switch kind {
	case adapter.FetchRequest:
		sockets, err := decodeSockets(r.Sockets, att, a.nsp)
		a.OnFetchSocketsAnswer(r.RequestID, sockets)
		return err
	case adapter.RoomsRequest:
		a.OnAllRoomsAnswer(r.RequestID, r.Rooms)
	case adapter.EmitRequest:
		v, err := valueOf(r.Data, att)
		if err != nil {
			return err
		}
		a.OnServerSideEmitAnswer(r.RequestID, v.args())
	case adapter.BroadcastRequest:
		return a.onBroadcastAnswer(&r, att)
	}
	return nil
}

func (a *classic) onBroadcastAnswer(r *classicResponse, att [][]byte) error {
	switch r.Type {
	case reqClientCount:
		a.OnClientCount(r.RequestID, r.ClientCount)
	case reqBroadcastAck:
		v, err := valueOf(r.Packet, att)
		if err != nil {
			return err
		}
		a.OnAck(r.RequestID, v.args())
	default:
		return fmt.Errorf("unexpected answer type %d to a broadcast", r.Type)
	}
	return nil
}

// request starts a request of this node: {"uid":...,"requestId":...,"type":N,
// the request id left out when empty.
func (a *classic) request(typ int, id string) *object {
	return newObject(64).str("uid", a.uid, false).str("requestId", id, true).int("type", typ)
}

func (a *classic) EncodeBroadcast(p *socket.Packet, opts socket.BroadcastOptions) (adapter.Message, error) {
	msg := append([]byte(`[`), appendJSONString(nil, a.uid)...)
	msg = appendPacket(append(msg, ','), p, a.nsp.Name())
	msg = append(appendOpts(append(msg, ','), opts, true, 0), ']')
	payload, err := encodePayload(msg, p.Attachments())
	if err != nil {
		return adapter.Message{}, err
	}
	channel := a.channel
	if rooms := dedupe(opts.Rooms); len(rooms) == 1 {
		channel += rooms[0] + "#"
	}
	return adapter.Message{Channel: channel, Payload: payload}, nil
}

func (a *classic) EncodeBroadcastWithAck(id string, p *socket.Packet, opts socket.BroadcastOptions, timeout time.Duration) (adapter.Message, error) {
	msg := a.request(reqBroadcast, id).
		raw("packet", appendPacket(nil, p, a.nsp.Name())).
		raw("opts", appendOpts(nil, opts, true, timeout)).bytes()
	payload, err := encodePayload(msg, p.Attachments())
	return adapter.Message{Channel: a.requestChannel, Payload: payload}, err
}

func (a *classic) EncodeFetchSockets(id string, opts socket.BroadcastOptions) (adapter.Message, error) {
	msg := a.request(reqRemoteFetch, id).raw("opts", appendOpts(nil, opts, false, 0)).bytes()
	return adapter.Message{Channel: a.requestChannel, Payload: msg}, nil
}

func (a *classic) EncodeAllRooms(id string) (adapter.Message, error) {
	return adapter.Message{Channel: a.requestChannel, Payload: a.request(reqAllRooms, id).bytes()}, nil
}

func (a *classic) EncodeAddSockets(opts socket.BroadcastOptions, rooms []string) (adapter.Message, error) {
	return a.roomsMessage(reqRemoteJoin, opts, rooms), nil
}

func (a *classic) EncodeDelSockets(opts socket.BroadcastOptions, rooms []string) (adapter.Message, error) {
	return a.roomsMessage(reqRemoteLeave, opts, rooms), nil
}

func (a *classic) roomsMessage(typ int, opts socket.BroadcastOptions, rooms []string) adapter.Message {
	msg := a.request(typ, "").raw("opts", appendOpts(nil, opts, false, 0)).strings("rooms", rooms).bytes()
	return adapter.Message{Channel: a.requestChannel, Payload: msg}
}

func (a *classic) EncodeDisconnectSockets(opts socket.BroadcastOptions, close bool) (adapter.Message, error) {
	msg := a.request(reqRemoteDisconnect, "").raw("opts", appendOpts(nil, opts, false, 0)).bool("close", close).bytes()
	return adapter.Message{Channel: a.requestChannel, Payload: msg}, nil
}

// serverSideEmit encodes {uid, requestId?, type:6, data}; binary
// arguments travel as Node's JSON form of a Buffer, as in Node.
func (a *classic) EncodeServerSideEmit(id string, p *socket.Packet) (adapter.Message, error) {
	data := value{raw: p.Data(), att: p.Attachments()}.nodeJSON()
	return adapter.Message{Channel: a.requestChannel, Payload: a.request(reqServerSideEmit, id).raw("data", data).bytes()}, nil
}

// answerChannel is where answers to node uid go.
func (a *classic) answerChannel(uid string) string {
	if a.specific {
		return a.responseChannel + uid + "#"
	}
	return a.responseChannel
}

// answer starts an answer: {"type":N,"requestId":..., the type left out
// when negative.
func answer(typ int, id string) *object {
	o := newObject(64)
	if typ >= 0 {
		o.int("type", typ)
	}
	return o.str("requestId", id, false)
}

func (a *classic) EncodeClientCount(to, id string, n int) (adapter.Message, error) {
	return adapter.Message{Channel: a.answerChannel(to), Payload: answer(reqClientCount, id).int("clientCount", n).bytes()}, nil
}

// ackAnswer encodes a client's ack, MessagePack {type:9, requestId, packet}.
func (a *classic) EncodeAck(to, id string, args socket.Args) (adapter.Message, error) {
	arg := valueOfArgs(args)
	payload, err := encodePayload(answer(reqBroadcastAck, id).raw("packet", arg.raw).bytes(), arg.att)
	return adapter.Message{Channel: a.answerChannel(to), Payload: payload}, err
}

func (a *classic) EncodeFetchSocketsAnswer(to, id string, sockets []*socket.RemoteSocket) (adapter.Message, error) {
	list, err := appendSockets(nil, sockets)
	if err != nil {
		return adapter.Message{}, err
	}
	return adapter.Message{Channel: a.answerChannel(to), Payload: answer(-1, id).raw("sockets", list).bytes()}, nil
}

func (a *classic) EncodeAllRoomsAnswer(to, id string, rooms []string) (adapter.Message, error) {
	return adapter.Message{Channel: a.answerChannel(to), Payload: answer(-1, id).strings("rooms", rooms).bytes()}, nil
}

// serverSideEmitAnswer encodes {type:6, requestId, data} for the common
// response channel, where Node sends it whatever its options.
func (a *classic) EncodeServerSideEmitAnswer(to, id string, args socket.Args) (adapter.Message, error) {
	msg := answer(reqServerSideEmit, id).raw("data", valueOfArgs(args).nodeJSON()).bytes()
	return adapter.Message{Channel: a.responseChannel, Payload: msg}, nil
}
