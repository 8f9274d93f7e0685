package socket

import (
	"fmt"
	"strconv"

	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/msgpack"
	"github.com/envivo/socketio/internal/parser"
)

// Parser chooses the wire form of Socket.IO packets, what socket.io-client
// calls its parser. A server speaks one parser to all its clients, as Node
// does: a client must be built with the matching one. Whatever the parser,
// handlers see the same arguments, binary data included.
type Parser int

const (
	// JSONParser is socket.io-parser's form, socket.io-client's default: a
	// text packet with JSON, and each binary argument as an attachment sent
	// in a binary message of its own.
	JSONParser Parser = iota
	// MsgpackParser is socket.io-msgpack-parser's form (3.x), for clients
	// made with io(url, {parser: require("socket.io-msgpack-parser")}): each
	// packet is one MessagePack map in one binary message, binary data
	// inline. A client's message that is not such a packet closes its
	// connection with reason "parse error", as with Node; so does one with
	// more than Options.MaxAttachments binary values, which Node does not
	// bound.
	MsgpackParser
)

// String returns "json", "msgpack", or "Parser(n)" for other values.
func (p Parser) String() string {
	switch p {
	case JSONParser:
		return "json"
	case MsgpackParser:
		return "msgpack"
	}
	return "Parser(" + strconv.Itoa(int(p)) + ")"
}

// check reports a value that names no parser.
func (p Parser) check() error {
	if p != JSONParser && p != MsgpackParser {
		return fmt.Errorf("socket: unknown Options.Parser %v", p)
	}
	return nil
}

// encode turns pkt into the engine messages that carry it in this
// parser's form. It fails only with MsgpackParser, on Data that is not JSON
// or a placeholder that names no attachment.
func (p Parser) encode(pkt *parser.Packet) ([]*engine.Message, error) {
	if p != MsgpackParser {
		return encodePacket(pkt), nil
	}
	b, err := msgpack.AppendPacket(make([]byte, 0, 16+len(pkt.Namespace)+len(pkt.Data)), pkt)
	if err != nil {
		return nil, fmt.Errorf("socket: encoding a msgpack packet: %w", err)
	}
	return []*engine.Message{engine.NewBinaryMessage(b)}, nil
}

// decodeMsgpack decodes one message of a MsgpackParser client: a binary
// message holding one packet with at most maxAttachments binary values
// (parser.DefaultMaxAttachments when not positive); a text message is a
// protocol error.
func decodeMsgpack(data []byte, binary bool, maxAttachments int) (*parser.Packet, error) {
	if !binary {
		return nil, protocolError("text message from a msgpack client")
	}
	if maxAttachments <= 0 {
		maxAttachments = parser.DefaultMaxAttachments
	}
	return msgpack.DecodePacket(data, maxAttachments)
}
