package engine

import (
	"net/http"

	"github.com/envivo/socketio/internal/randid"
)

// maxRoutedIDLen bounds the length of a session id minted by a Router.
const maxRoutedIDLen = 64

// Router lets the servers of a cluster serve each other's sessions, so that
// a load balancer in front of them needs no sticky sessions
// (Options.Router). Every request that names a session (sid) this server
// does not hold is offered to Route, which may hand it to the server that
// holds it; that server is found from the sid, which the Router minted
// there with NewID. Handshakes are never routed: a session lives on the
// server its handshake reached. Implementations must be safe for
// concurrent use.
type Router interface {
	// NewID returns the id of a new session of this server. It must be
	// unique, unguessable (at least 120 random bits, as the engine's own
	// ids), at most 64 characters of the URL-safe base64 alphabet (A-Z,
	// a-z, 0-9, '-', '_'), and it must let Route on the other servers find
	// this one. An id that breaks the form is replaced by a random one of
	// the engine's, which other servers then cannot route, and logged.
	NewID() string
	// Route returns a handler that serves r, a polling request or a
	// WebSocket upgrade for session sid, which this server does not hold,
	// on the server that holds it; nil means none can, and r gets HTTP 400
	// {"code":1,"message":"Session ID unknown"}. CORS preflights (OPTIONS)
	// are answered locally and never routed. The handler is served instead
	// of the engine's own answer, and before any header of it is set.
	Route(r *http.Request, sid string) http.Handler
}

// route hands r to Options.Router when it names a session this server
// does not hold, and reports whether the Router took it.
func (s *Server) route(w http.ResponseWriter, r *http.Request, sid string) bool {
	rt := s.opts.Router
	if rt == nil || sid == "" || r.Method == http.MethodOptions || s.sessions.get(sid) != nil {
		return false
	}
	h := rt.Route(r, sid)
	if h == nil {
		return false
	}
	h.ServeHTTP(w, r)
	return true
}

// newID returns the id of a new session: the Router's, when there is one
// and its id has the documented form, a random one otherwise.
func (s *Server) newID() string {
	if s.opts.Router == nil {
		return newSID()
	}
	id := s.opts.Router.NewID()
	if !validRoutedID(id) {
		s.opts.Logger.Error("engine: Router.NewID returned an invalid session id; using a random one", "id", id)
		return newSID()
	}
	return id
}

// validRoutedID reports whether id has the form Router.NewID documents.
func validRoutedID(id string) bool {
	if len(id) < randid.Len || len(id) > maxRoutedIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
