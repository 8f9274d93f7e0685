package admin

import (
	"context"
	"time"

	"github.com/envivo/socketio/socket"
)

// actionTimeout bounds an action of the UI across a cluster.
const actionTimeout = 5 * time.Second

// onAdminConnection greets a UI: its features, a session id when it logged
// in with its password, and the list of every socket of the cluster.
func (a *Admin) onAdminConnection(s *socket.Socket) {
	if !a.opts.ReadOnly {
		a.registerActions(s)
	}
	_ = s.Emit("config", map[string]any{"supportedFeatures": a.features})
	a.startSession(s)
	if a.opts.Production {
		return
	}
	ctx, cancel := context.WithTimeout(s.Context(), actionTimeout)
	defer cancel()
	all := []serializedSocket{}
	for _, nsp := range a.srv.Namespaces() {
		rs, err := nsp.FetchSockets(ctx)
		if err != nil {
			a.srv.Logger().Warn("admin: fetching sockets", "nsp", nsp.Name(), "err", err)
		}
		for _, r := range rs {
			all = append(all, serializeRemote(r, nsp.Name()))
		}
	}
	_ = s.Emit("all_sockets", all)
}

// watch follows the sockets of nsp for the stats and, in development mode,
// reports them and their rooms to the admin namespace as they change.
func (a *Admin) watch(nsp *socket.Namespace) {
	nsp.OnConnection(a.onSocket)
	if a.opts.Production {
		return
	}
	nsp.OnRoomEvent(func(nsp *socket.Namespace, ev socket.RoomEvent) {
		switch ev.Kind {
		case socket.RoomJoined:
			a.broadcast("room_joined", nsp.Name(), ev.Room, ev.ID, jsTime(time.Now()))
		case socket.RoomLeft:
			a.broadcast("room_left", nsp.Name(), ev.Room, ev.ID, jsTime(time.Now()))
		}
	})
}

// onSocket counts a new socket and follows it to its disconnection; in
// development mode it also reports it, and the events it sends and gets.
func (a *Admin) onSocket(s *socket.Socket) {
	s.Set(dataKey, connInfo{ClientID: clientID(s), Transport: s.Transport()})
	a.stats.connected(s)
	nsp := s.Namespace().Name()
	dev := !a.opts.Production
	if dev {
		a.broadcast("socket_connected", serializeLocal(s), jsTime(time.Now()))
	}
	if dev && s.Namespace() != a.nsp {
		s.OnAny(func(s *socket.Socket, event string, args socket.Args) {
			a.broadcast("event_received", nsp, s.ID(), append([]any{event}, args.Values()...), jsTime(time.Now()))
		})
		s.OnAnyOutgoing(func(s *socket.Socket, event string, args socket.Args) {
			a.broadcast("event_sent", nsp, s.ID(), append([]any{event}, args.Values()...), jsTime(time.Now()))
		})
	}
	s.OnDisconnect(func(s *socket.Socket, reason socket.DisconnectReason) {
		a.stats.disconnected(s, reason)
		if dev {
			a.broadcast("socket_disconnected", nsp, s.ID(), string(reason), jsTime(time.Now()))
		}
	})
}

// clientID is how the UI groups the sockets of one connection: the start
// of its Engine.IO id, as Node shows it.
func clientID(s *socket.Socket) string {
	id := s.ConnID()
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

// broadcast emits to every UI of the cluster.
func (a *Admin) broadcast(event string, args ...any) {
	if err := a.nsp.Emit(event, args...); err != nil {
		a.srv.Logger().Debug("admin: broadcast", "event", event, "err", err)
	}
}

// registerActions lets the UI act on the sockets of a namespace: those in
// the room (or with the id) filter, every one when filter is empty.
func (a *Admin) registerActions(s *socket.Socket) {
	s.OnEvent("emit", func(s *socket.Socket, args socket.Args, _ socket.AckFunc) {
		vals := args.Values()
		if len(vals) < 3 {
			return
		}
		a.act(s, "emit", args.String(0), args.String(1), func(_ context.Context, op socket.BroadcastOperator) error {
			return op.Emit(args.String(2), vals[3:]...)
		})
	})
	s.OnEvent("join", func(s *socket.Socket, args socket.Args, _ socket.AckFunc) {
		a.act(s, "join", args.String(0), args.String(2), func(ctx context.Context, op socket.BroadcastOperator) error {
			return op.SocketsJoin(ctx, args.String(1))
		})
	})
	s.OnEvent("leave", func(s *socket.Socket, args socket.Args, _ socket.AckFunc) {
		a.act(s, "leave", args.String(0), args.String(2), func(ctx context.Context, op socket.BroadcastOperator) error {
			return op.SocketsLeave(ctx, args.String(1))
		})
	})
	s.OnEvent("_disconnect", func(s *socket.Socket, args socket.Args, _ socket.AckFunc) {
		var closeConn bool
		_ = args.Decode(1, &closeConn) // anything but true disconnects only
		a.act(s, "disconnect", args.String(0), args.String(2), func(ctx context.Context, op socket.BroadcastOperator) error {
			if closeConn {
				return op.CloseConnections(ctx)
			}
			return op.DisconnectSockets(ctx)
		})
	})
}

// target selects the sockets of namespace nsp in room filter, or all of
// them when filter is empty. Unlike Node's io.of, it makes no namespace:
// for one this server does not have, it reports false.
func (a *Admin) target(nsp, filter string) (socket.BroadcastOperator, bool) {
	for _, n := range a.srv.Namespaces() {
		if n.Name() != nsp {
			continue
		}
		if filter != "" {
			return n.In(filter), true
		}
		return n.To(), true
	}
	return socket.BroadcastOperator{}, false
}

// act runs an action of the UI on the sockets of namespace nsp that
// filter selects, logging its failure.
func (a *Admin) act(s *socket.Socket, what, nsp, filter string, f func(context.Context, socket.BroadcastOperator) error) {
	op, ok := a.target(nsp, filter)
	if !ok {
		a.srv.Logger().Debug("admin: action on an unknown namespace", "action", what, "nsp", nsp)
		return
	}
	ctx, cancel := context.WithTimeout(s.Context(), actionTimeout)
	defer cancel()
	if err := f(ctx, op); err != nil {
		a.srv.Logger().Warn("admin: action failed", "action", what, "nsp", nsp, "err", err)
	}
}
