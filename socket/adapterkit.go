package socket

import (
	"encoding/json"

	"github.com/envivo/socketio/internal/adapterlink"
)

// The toolkit of package adapter: constructors and calls that adapter
// authors need and that would only be traps in this package's API. Its
// methods are exported so that package adapter can declare them in an
// interface; the type is not, so they are not part of this package's API.
type adapterKit struct{}

func init() { adapterlink.Kit = adapterKit{} }

func (adapterKit) NewLocal(nsp *Namespace) Adapter { return newMemoryAdapter(nsp) }

func (adapterKit) NewPacket(nsp string, data json.RawMessage, attachments [][]byte) *Packet {
	return &Packet{nsp: nsp, data: data, attachments: attachments}
}

func (adapterKit) NewEventPacket(nsp, event string, args []any) (*Packet, error) {
	return newEventPacket(nsp, event, args...)
}

func (adapterKit) NewArgs(data json.RawMessage, attachments [][]byte) (Args, error) {
	return argsOf(data, attachments)
}

func (adapterKit) NewRemoteSocket(nsp *Namespace, r RemoteSocket) *RemoteSocket {
	r.nsp = nsp
	return &r
}

func (adapterKit) DispatchServerEvent(nsp *Namespace, p *Packet, reply func(Args)) error {
	return nsp.dispatchServerEvent(p, reply)
}

func (adapterKit) FirstArg(a Args) Args {
	a.elems = a.elems[:min(len(a.elems), 1)]
	return a
}
