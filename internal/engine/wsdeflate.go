package engine

import (
	"bytes"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

// WebSocket permessage-deflate (RFC 7692), offered when
// Options.PerMessageDeflate is set.
//
// The server accepts a client's offer with server_no_context_takeover and
// client_no_context_takeover: each message is compressed and inflated on
// its own, from an empty window. The frame of a compressed message is then
// the same for every connection, so a broadcast is compressed once, like
// its plain frame is built once (Message.deflatedFrame); and a connection
// keeps no compressor or 32 KB window between messages, which the context
// takeover of Node's ws would cost per connection and per direction.
// Clients must accept both parameters (RFC 7692 section 7.1.1): ws and
// browsers do.

// deflateResponse is the extension the server answers an accepted offer
// with.
var deflateResponse = wsflate.Parameters{
	ServerNoContextTakeover: true,
	ClientNoContextTakeover: true,
}

// negotiateDeflate is the extension negotiation of one handshake: it
// accepts the first permessage-deflate offer the server can honour and
// sets *accepted. An offer that asks for a server window under 15 bits is
// declined (compress/flate always uses 32 KB); a malformed one fails the
// handshake with 400, as in Node's ws.
func negotiateDeflate(opt httphead.Option, accepted *bool) (httphead.Option, error) {
	if *accepted || !bytes.Equal(opt.Name, wsflate.ExtensionNameBytes) {
		return httphead.Option{}, nil
	}
	var offer wsflate.Parameters
	if err := offer.Parse(opt); err != nil {
		return httphead.Option{}, err
	}
	if bits := offer.ServerMaxWindowBits; bits.Defined() && bits < 15 {
		return httphead.Option{}, nil
	}
	*accepted = true
	return deflateResponse.Option(), nil
}

// upgraderFor returns the WebSocket upgrader of one handshake: the server's,
// negotiating permessage-deflate into *deflate when it is offered and
// allowed.
func (s *Server) upgraderFor(deflate *bool, allowed bool) ws.HTTPUpgrader {
	u := s.upgrader
	if s.opts.PerMessageDeflate && allowed {
		u.Negotiate = func(opt httphead.Option) (httphead.Option, error) {
			return negotiateDeflate(opt, deflate)
		}
	}
	return u
}

// frameOf returns the frame that carries m on w: compressed when w
// negotiated permessage-deflate and m is compressible.
func (w *wsConn) frameOf(m *Message) []byte {
	if w.deflate {
		return m.deflatedFrame(w.c.srv.opts.PerMessageDeflateThreshold)
	}
	return w.codec.frame(m)
}

// deflatedFrame returns the frame of m on a connection that negotiated
// permessage-deflate: compressed (RSV1 set), built once on first use and
// shared by every connection, when the packet has at least threshold bytes
// and m does not say NoCompress; the plain frame otherwise.
func (m *Message) deflatedFrame(threshold int) []byte {
	if m.raw || m.NoCompress || m.packetLen() < threshold {
		return m.wsFrame()
	}
	m.zonce.Do(m.buildDeflated)
	return m.zframe
}

// packetLen is the size of m's packet in a WebSocket frame.
func (m *Message) packetLen() int {
	if m.Binary {
		return len(m.Data)
	}
	return 1 + len(m.Data)
}

func (m *Message) buildDeflated() {
	var z []byte
	op := ws.OpBinary
	if m.Binary {
		z = deflateMessage(nil, m.Data)
	} else {
		op = ws.OpText
		z = deflateMessage(nil, []byte{m.packetType()}, m.Data)
	}
	f := appendFrameHeader(make([]byte, 0, frameHeaderSize(len(z))+len(z)), op, len(z))
	f[0] |= 0x40 // RSV1: compressed
	m.zframe = append(f, z...)
}

// checkRsv checks the reserved bits of a received frame header and
// reports whether it starts a compressed message. RSV1 is allowed only on
// the first frame of a data message, and only when w negotiated
// permessage-deflate; RSV2 and RSV3 never.
func (w *wsConn) checkRsv(h ws.Header) (compressed bool, err error) {
	if h.Rsv == 0 {
		return false, nil
	}
	r1, r2, r3 := ws.RsvBits(h.Rsv)
	switch {
	case r2 || r3 || !w.deflate:
		return false, ws.ErrProtocolNonZeroRsv
	case h.OpCode.IsControl() || h.OpCode == ws.OpContinuation:
		return false, wsflate.ErrUnexpectedCompressionBit
	}
	return r1, nil
}

// message finishes a data message read from w: inflated if it came
// compressed, bounded by MaxPayload either way.
func (w *wsConn) message(op ws.OpCode, p []byte, compressed bool) (ws.OpCode, []byte, error) {
	if !compressed {
		return op, p, nil
	}
	out, err := inflateMessage(p, w.c.srv.opts.MaxPayload)
	return op, out, err
}
