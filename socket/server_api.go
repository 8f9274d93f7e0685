package socket

import "context"

// The rest of Node's Server API on the main namespace, and the server's
// own events. Each method acts on the main namespace "/" as Node's io.x()
// acts on io.sockets.

// Local returns a broadcast to the sockets of the main namespace on this
// node only; see BroadcastOperator.Local.
func (srv *Server) Local() BroadcastOperator { return srv.main.Local() }

// Compress returns a broadcast to the main namespace with the compress
// flag; see BroadcastOperator.Compress.
func (srv *Server) Compress(compress bool) BroadcastOperator { return srv.main.Compress(compress) }

// EmitWithAck sends an event to every socket of the main namespace and
// collects their acknowledgements; see BroadcastOperator.EmitWithAck.
func (srv *Server) EmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	return srv.main.EmitWithAck(ctx, event, args...)
}

// SocketsJoin makes every socket of the main namespace join rooms, on
// every node; narrow the selection first with To or Except.
func (srv *Server) SocketsJoin(ctx context.Context, rooms ...string) error {
	return srv.main.SocketsJoin(ctx, rooms...)
}

// SocketsLeave makes every socket of the main namespace leave rooms.
func (srv *Server) SocketsLeave(ctx context.Context, rooms ...string) error {
	return srv.main.SocketsLeave(ctx, rooms...)
}

// DisconnectSockets disconnects every socket of the main namespace; see
// BroadcastOperator.DisconnectSockets.
func (srv *Server) DisconnectSockets(ctx context.Context) error {
	return srv.main.DisconnectSockets(ctx)
}

// CloseConnections closes the connection of every socket of the main
// namespace; see BroadcastOperator.CloseConnections.
func (srv *Server) CloseConnections(ctx context.Context) error {
	return srv.main.CloseConnections(ctx)
}

// ClientsCount returns the number of open Engine.IO connections (clients,
// whatever namespaces they joined), those closing included: Node's
// io.engine.clientsCount.
func (srv *Server) ClientsCount() int { return srv.engine.Count() }

// Compress returns a broadcast to the namespace with the compress flag;
// see BroadcastOperator.Compress.
func (n *Namespace) Compress(compress bool) BroadcastOperator {
	return newBroadcastOperator(n).Compress(compress)
}

// OnNewNamespace registers h to run for every namespace made from now on:
// by Of for a new name, and for each child of a dynamic namespace when it
// becomes live, before the connection handlers of the socket that made it
// live (see OfFunc). It is Node's "new_namespace" event. h runs on the
// goroutine that made the namespace, outside the server's locks; it may
// register middleware and handlers on the namespace. Middleware it adds to
// a dynamic child applies from the next socket on: the socket that made
// the child live has passed its middleware already.
func (srv *Server) OnNewNamespace(h func(nsp *Namespace)) {
	srv.mu.Lock()
	srv.newNamespaceHooks = append(srv.newNamespaceHooks, h)
	srv.mu.Unlock()
}

// announce runs the OnNewNamespace hooks for nsp.
func (srv *Server) announce(nsp *Namespace) {
	srv.mu.RLock()
	hooks := srv.newNamespaceHooks
	srv.mu.RUnlock()
	for _, h := range hooks {
		h(nsp)
	}
}
