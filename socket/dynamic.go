package socket

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Dynamic namespaces. A CONNECT whose name a parent matches gets a
// provisional child: a *Namespace that only the connecting socket and its
// middleware see, with no adapter and nothing registered. The child is made
// live (its adapter created, registered in srv.nsps and its parent's kids)
// only when the middleware admits a socket, and removed, its adapter
// closed, when the last admitted socket has finished leaving. A refused
// CONNECT therefore leaves nothing behind.
//
// Admissions and removals of children hold srv.kidsMu, which also guards
// each child's stage and users. Lock order: srv.kidsMu, srv.mu, a
// namespace's mu.

// childStage is where a child namespace is in its life.
type childStage uint8

const (
	childProvisional childStage = iota // seen by its socket's middleware only
	childLive                          // has an adapter, is registered
	childRemoved                       // its adapter is closed; never live again
)

// OfFunc returns the parent of dynamic namespaces. When a client asks for
// a namespace that does not exist and match accepts its name and auth
// payload, the client's socket runs the parent's middleware in a child
// namespace of that name; match is not called for names longer than
// Options.MaxNamespaceLength. match must be safe for concurrent use.
//
// A child namespace costs nothing until the middleware admits a socket to
// it: only then is its adapter made (Options.Adapter) and the child
// registered, once however many sockets are admitted at the same time. The
// middleware of a socket that is not admitted yet sees a child whose
// Adapter is nil and whose broadcasts reach nobody.
//
// A child is removed when its last socket has left (after the socket's
// OnDisconnect hooks ran), and its adapter closed, as Node does with
// cleanupEmptyChildNamespaces. The next admission to that name makes a new
// child. A *Namespace kept from a removed child stays safe to use: it has
// no sockets, its Adapter is nil, its broadcasts, ServerSideEmit and
// DisconnectSockets reach nobody and return nil, and handlers registered
// on it do not carry over to the new child; register them on the parent.
//
// The parent's middleware and connection handlers apply to every child,
// and its broadcasts reach the sockets of every live child.
func (srv *Server) OfFunc(match func(name string, auth json.RawMessage) bool) *Namespace {
	parent := &Namespace{server: srv, match: match, kids: make(map[string]*Namespace)}
	srv.mu.Lock()
	srv.parents = append(srv.parents, parent)
	srv.mu.Unlock()
	return parent
}

// OfRegexp is OfFunc for the names re matches.
func (srv *Server) OfRegexp(re *regexp.Regexp) *Namespace {
	return srv.OfFunc(func(name string, _ json.RawMessage) bool { return re.MatchString(name) })
}

// lookup returns the namespace a client asks for: a registered one, a new
// provisional child when a parent matches, or nil.
func (srv *Server) lookup(name string, auth json.RawMessage) *Namespace {
	if len(name) > srv.opts.MaxNamespaceLength {
		return nil
	}
	srv.mu.RLock()
	nsp, parents := srv.nsps[name], srv.parents
	srv.mu.RUnlock()
	if nsp != nil {
		return nsp
	}
	for _, parent := range parents {
		if parent.match(name, auth) {
			// Cloned, so that a live child does not keep the packet
			// the name was read from.
			return &Namespace{name: strings.Clone(name), server: srv, parent: parent}
		}
	}
	return nil
}

// admit counts a socket that n's middleware accepted and returns the live
// namespace it joins: n itself for a static namespace; for a child, the
// live child of that name, made live now if there is none. It returns nil
// when the name now belongs to another namespace (made by Of, or by a
// parent that matched another client's auth): the socket passed the wrong
// middleware and must be refused.
func (srv *Server) admit(n *Namespace) *Namespace {
	if n.parent == nil {
		return n
	}
	var made *Namespace
	defer func() { // after kidsMu is unlocked
		if made != nil {
			srv.announce(made)
		}
	}()
	srv.kidsMu.Lock()
	defer srv.kidsMu.Unlock()
	srv.mu.RLock()
	live := srv.nsps[n.name]
	srv.mu.RUnlock()
	if live == nil {
		if n.stage != childProvisional { // removed while its middleware ran
			n = &Namespace{name: n.name, server: srv, parent: n.parent}
		}
		if !srv.promoteLocked(n) {
			return nil
		}
		live, made = n, n
	}
	if live.parent != n.parent {
		return nil
	}
	live.users++
	return live
}

// promoteLocked makes the provisional child n live and reports whether it
// could: Of may have taken the name meanwhile.
func (srv *Server) promoteLocked(n *Namespace) bool {
	a := srv.opts.Adapter(n)
	n.mu.Lock()
	n.sockets = make(map[string]*Socket)
	n.mu.Unlock()
	n.adapter.Store(&a)
	srv.mu.Lock()
	taken := srv.nsps[n.name] != nil
	if !taken {
		srv.nsps[n.name] = n
	}
	srv.mu.Unlock()
	if taken {
		n.stage = childRemoved
		n.closeAdapter()
		return false
	}
	n.stage = childLive
	n.parent.mu.Lock()
	n.parent.kids[n.name] = n
	n.parent.mu.Unlock()
	return true
}

// release forgets an admitted socket of nsp once it has finished leaving;
// a child left with none is removed.
func (srv *Server) release(nsp *Namespace) {
	if nsp.parent == nil {
		return
	}
	srv.kidsMu.Lock()
	defer srv.kidsMu.Unlock()
	nsp.users--
	if nsp.users == 0 && nsp.stage == childLive {
		srv.removeLocked(nsp)
	}
}

// removeLocked unregisters the live child nsp and closes its adapter. The
// adapter is closed before another child of the same name can be made, so
// that a cluster adapter never sees the old one leave after the new one
// joined.
func (srv *Server) removeLocked(nsp *Namespace) {
	nsp.stage = childRemoved
	srv.mu.Lock()
	if srv.nsps[nsp.name] == nsp {
		delete(srv.nsps, nsp.name)
	}
	srv.mu.Unlock()
	nsp.parent.mu.Lock()
	if nsp.parent.kids[nsp.name] == nsp {
		delete(nsp.parent.kids, nsp.name)
	}
	nsp.parent.mu.Unlock()
	nsp.closeAdapter()
}

// closeAdapters closes the adapter of every namespace, for Shutdown:
// children are removed, static namespaces keep their closed adapter.
func (srv *Server) closeAdapters() {
	srv.kidsMu.Lock()
	defer srv.kidsMu.Unlock()
	srv.mu.RLock()
	nsps := make([]*Namespace, 0, len(srv.nsps))
	for _, nsp := range srv.nsps {
		nsps = append(nsps, nsp)
	}
	srv.mu.RUnlock()
	for _, nsp := range nsps {
		if nsp.parent != nil {
			srv.removeLocked(nsp)
		} else if err := nsp.Adapter().Close(); err != nil {
			srv.logger.Warn("socket: closing adapter", "nsp", nsp.name, "err", err)
		}
	}
}

// closeAdapter detaches the adapter of a child and closes it.
func (n *Namespace) closeAdapter() {
	p := n.adapter.Swap(nil)
	if p == nil {
		return
	}
	if err := (*p).Close(); err != nil {
		n.server.logger.Warn("socket: closing adapter", "nsp", n.name, "err", err)
	}
}
