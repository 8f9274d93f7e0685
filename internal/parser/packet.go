// Package parser is the Socket.IO v5 packet codec: the text form of a packet
// (type, attachment count, namespace, ack id and JSON payload), the binary
// attachments that follow it, and helpers that build and read event
// arguments.
//
// The package works on Socket.IO packets only; the Engine.IO "4" (message)
// prefix is added and removed by the transport.
package parser

import (
	"encoding/json"
	"strconv"
)

// Type is a Socket.IO packet type, written on the wire as one decimal digit.
type Type uint8

// The Socket.IO v5 packet types.
const (
	Connect      Type = iota // 0 CONNECT
	Disconnect               // 1 DISCONNECT
	Event                    // 2 EVENT
	Ack                      // 3 ACK
	ConnectError             // 4 CONNECT_ERROR
	BinaryEvent              // 5 BINARY_EVENT
	BinaryAck                // 6 BINARY_ACK
)

var typeNames = [...]string{
	Connect:      "CONNECT",
	Disconnect:   "DISCONNECT",
	Event:        "EVENT",
	Ack:          "ACK",
	ConnectError: "CONNECT_ERROR",
	BinaryEvent:  "BINARY_EVENT",
	BinaryAck:    "BINARY_ACK",
}

// String returns the protocol name of t ("EVENT", "BINARY_ACK", ...), or
// "Type(n)" for a value outside the protocol.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// IsBinary reports whether packets of type t carry binary attachments
// (BinaryEvent and BinaryAck).
func (t Type) IsBinary() bool {
	return t == BinaryEvent || t == BinaryAck
}

// NoID marks a packet without an ack id.
const NoID int64 = -1

// Packet is one Socket.IO packet.
//
// A Packet returned by a Decoder always satisfies the protocol's rules (see
// Decoder); AppendText writes whatever it is given.
type Packet struct {
	Type Type
	// Namespace is the namespace the packet belongs to: "/" when the wire
	// omits it. It starts with '/' and never contains ','.
	Namespace string
	// ID is the ack id, NoID (any negative value) when absent.
	ID int64
	// Data is the payload JSON exactly as on the wire, attachment
	// placeholders included; nil when absent.
	Data json.RawMessage
	// Attachments holds the binary attachments in order; only BinaryEvent
	// and BinaryAck packets have them.
	Attachments [][]byte
}

// AppendText appends the text form of p to dst and returns the extended
// buffer:
//
//	<type>[<n>-][<nsp>,][<id>][<data>]
//
// For BinaryEvent and BinaryAck, n is len(p.Attachments); the attachments
// themselves are sent by the caller as separate binary messages. The
// namespace and its comma are written only when the namespace is neither ""
// nor "/", so a CONNECT to "/chat" without data is "0/chat," as in Node. The
// id is written when it is not negative, and Data verbatim.
//
// AppendText does not validate p: a namespace containing ',' or Data that
// is not JSON yield text that no peer decodes.
func (p *Packet) AppendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, uint64(p.Type), 10)
	if p.Type.IsBinary() {
		dst = strconv.AppendInt(dst, int64(len(p.Attachments)), 10)
		dst = append(dst, '-')
	}
	if p.Namespace != "" && p.Namespace != "/" {
		dst = append(dst, p.Namespace...)
		dst = append(dst, ',')
	}
	if p.ID >= 0 {
		dst = strconv.AppendInt(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

// reservedEvents are the event names a client may not send, as in Node's
// socket.io-parser.
var reservedEvents = [...]string{
	"connect",
	"connect_error",
	"disconnect",
	"disconnecting",
	"newListener",
	"removeListener",
}

// IsReserved reports whether name is reserved by Socket.IO (connect,
// connect_error, disconnect, disconnecting, newListener, removeListener):
// an EVENT carrying it is invalid, and a server must not emit it.
func IsReserved(name string) bool {
	for _, r := range reservedEvents {
		if name == r {
			return true
		}
	}
	return false
}
