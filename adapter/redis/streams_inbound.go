package redisadapter

import (
	"encoding/json"
	"fmt"
)

// handle decodes a Pub/Sub message (a request of another node or an
// answer to this one) and hands it on, as Node's onMessage.
func (a *streams) handle(channel string, payload []byte) {
	e, err := decodeClusterMessage(payload)
	if err == nil {
		if channel == a.private || isResponse(e.typ) {
			err = a.onClusterAnswer(e.typ, &e.data, e.att)
		} else if f, ferr := a.onRequest(e, ""); ferr != nil {
			err = ferr
		} else if f != nil {
			f()
		}
	}
	if err != nil {
		a.Drop(channel, err)
	}
}

// onEntry handles stream entry id, which the reader decoded into e (nil if
// it did not decode). A broadcast is delivered at once, under the reader's
// lock; anything else is returned, to run once the lock is released.
func (a *streams) onEntry(id string, e *clusterEntry) func() {
	if e == nil {
		return nil
	}
	f, err := a.onRequest(e, id)
	if err != nil {
		a.Drop(a.stream, err)
	}
	return f
}

// onRequest handles a message of another node of this namespace, from
// the stream entry offset or, with offset "", from Pub/Sub. It delivers
// broadcasts itself and returns what else is to be done.
func (a *streams) onRequest(e *clusterEntry, offset string) (func(), error) {
	if e.uid == a.uid || e.nsp != a.nsp.Name() {
		return nil, nil
	}
	d := &e.data
	switch e.typ {
	case msgInitialHeartbeat, msgHeartbeat, msgAdapterClose:
		return nil, nil // not sent by Node's Streams adapter 0.3, which counts nodes with NUMSUB
	case msgBroadcast:
		return nil, a.onBroadcastEntry(e, offset)
	case msgServerSideEmit:
		p, err := (&wirePacket{Type: 2, Data: d.Packet}).packet(a.nsp.Name(), e.att)
		if err != nil {
			return nil, err
		}
		return func() { a.OnServerSideEmit(e.uid, d.id(), p) }, nil
	case msgFetchSocketsResponse, msgServerSideEmitResp, msgClientCount, msgBroadcastAck:
		return nil, a.onClusterAnswer(e.typ, &e.data, e.att)
	}
	if d.Opts == nil {
		return nil, fmt.Errorf("message of type %d has no opts", e.typ)
	}
	opts := d.Opts.broadcastOptions()
	switch e.typ {
	case msgSocketsJoin:
		return func() { a.OnAddSockets(opts, d.Rooms) }, nil
	case msgSocketsLeave:
		return func() { a.OnDelSockets(opts, d.Rooms) }, nil
	case msgDisconnectSockets:
		return func() { a.OnDisconnectSockets(opts, d.Close) }, nil
	case msgFetchSockets:
		return func() { a.OnFetchSockets(e.uid, d.id(), opts) }, nil
	}
	return nil, fmt.Errorf("unknown message type %d", e.typ)
}

// onBroadcastEntry delivers another node's broadcast; with recovery on, a
// packet from the stream that is not volatile gets its entry id as its
// offset, as in Node.
func (a *streams) onBroadcastEntry(e *clusterEntry, offset string) error {
	d := &e.data
	var wp wirePacket
	if err := json.Unmarshal(d.Packet, &wp); err != nil || d.Opts == nil {
		return fmt.Errorf("broadcast without packet or opts: %v", err)
	}
	p, err := wp.packet(a.nsp.Name(), e.att)
	if err != nil {
		return err
	}
	opts := d.Opts.broadcastOptions()
	if d.RequestID != nil {
		a.OnBroadcastWithAck(e.uid, d.id(), p, opts, d.Opts.ackTimeout())
		return nil
	}
	if a.recovery != nil && offset != "" && !opts.Flags.Volatile {
		p = appendOffset(p, offset)
	}
	return a.Local().Deliver(p, opts)
}
