package socket

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/parser"
)

// Packet is an event on its way to many sockets: what a broadcast hands to
// the Adapter. It is immutable once made and safe to share: its wire form is
// encoded once, on first delivery, and the same bytes go to every recipient.
// Cluster adapters read it through its methods and rebuild it on other
// nodes with adapter.NewPacket.
type Packet struct {
	nsp         string
	data        json.RawMessage
	attachments [][]byte

	once  sync.Once
	codec Parser // the parser msgs and err were encoded for
	msgs  []*engine.Message
	err   error
}

// newEventPacket encodes an event for the namespace named nsp. A []byte
// anywhere in args travels as a binary attachment. It fails on a reserved
// event name or arguments that encoding/json cannot encode.
func newEventPacket(nsp, event string, args ...any) (*Packet, error) {
	data, attachments, err := encodeEvent(event, args)
	if err != nil {
		return nil, err
	}
	return &Packet{nsp: nsp, data: data, attachments: attachments}, nil
}

// Namespace returns the name of the namespace the event belongs to.
func (p *Packet) Namespace() string { return p.nsp }

// Data returns the JSON array [event, args...], in which the i-th binary
// attachment stands as {"_placeholder":true,"num":i}. The caller must not
// modify it.
func (p *Packet) Data() json.RawMessage { return p.data }

// Attachments returns the binary arguments, in order. The caller must not
// modify them.
func (p *Packet) Attachments() [][]byte { return p.attachments }

// messages returns the engine messages of p in codec's form, encoding them
// on first use. A server has one codec, so a packet is encoded once; a
// packet handed to servers with different codecs is encoded anew for each
// codec but the first.
func (p *Packet) messages(codec Parser) ([]*engine.Message, error) {
	p.once.Do(func() {
		p.codec = codec
		p.msgs, p.err = p.withID(codec, parser.NoID)
	})
	if p.codec != codec {
		return p.withID(codec, parser.NoID)
	}
	return p.msgs, p.err
}

// withID returns the engine messages of p in codec's form as sent to one
// socket with an ack id, which makes them specific to that socket.
func (p *Packet) withID(codec Parser, id int64) ([]*engine.Message, error) {
	return codec.encode(&parser.Packet{
		Type:        parser.Event,
		Namespace:   p.nsp,
		ID:          id,
		Data:        p.data,
		Attachments: p.attachments,
	})
}

// encodeEvent builds the JSON array [event, args...] and its attachments.
func encodeEvent(event string, args []any) (json.RawMessage, [][]byte, error) {
	if parser.IsReserved(event) {
		return nil, nil, fmt.Errorf("%w: %q", ErrReservedEvent, event)
	}
	all := make([]any, 0, len(args)+1)
	all = append(all, event)
	all = append(all, args...)
	return encodeArgs(all)
}

func encodeArgs(args []any) (json.RawMessage, [][]byte, error) {
	data, attachments, err := parser.AppendArgs(nil, args)
	if err != nil {
		return nil, nil, fmt.Errorf("socket: encoding arguments: %w", err)
	}
	return data, attachments, nil
}

// encodePacket turns p into the engine messages that carry it in
// JSONParser's form: the text packet, then one binary message per
// attachment. Binary types are chosen from the presence of attachments.
func encodePacket(p *parser.Packet) []*engine.Message {
	if len(p.Attachments) > 0 {
		switch p.Type {
		case parser.Event:
			p.Type = parser.BinaryEvent
		case parser.Ack:
			p.Type = parser.BinaryAck
		}
	}
	msgs := make([]*engine.Message, 0, 1+len(p.Attachments))
	msgs = append(msgs, engine.NewTextMessage(p.AppendText(make([]byte, 0, 16+len(p.Namespace)+len(p.Data)))))
	for _, a := range p.Attachments {
		msgs = append(msgs, engine.NewBinaryMessage(a))
	}
	return msgs
}

// uncompressed reports whether flags ask for no compression.
func uncompressed(f BroadcastFlags) bool { return f.Compress != nil && !*f.Compress }

// noCompress returns copies of msgs that are sent uncompressed.
func noCompress(msgs []*engine.Message) []*engine.Message {
	out := make([]*engine.Message, len(msgs))
	for i, m := range msgs {
		out[i] = &engine.Message{Data: m.Data, Binary: m.Binary, NoCompress: true}
	}
	return out
}
