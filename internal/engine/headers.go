package engine

import "net/http"

// hookHeaders lets Options.InitialHeaders and Options.Headers add to h, the
// headers of a successful answer to r, before they are written. An answer
// is to a handshake when r names no session.
func (s *Server) hookHeaders(h http.Header, r *http.Request) {
	initial, every := s.opts.InitialHeaders, s.opts.Headers
	if initial == nil && every == nil {
		return
	}
	if initial != nil && parseQuery(r.URL.RawQuery).sid == "" {
		initial(h, r)
	}
	if every != nil {
		every(h, r)
	}
}

// upgradeHeaders returns the headers the hooks add to the answer of the
// WebSocket handshake r, or nil when there are no hooks.
func (s *Server) upgradeHeaders(r *http.Request) http.Header {
	if s.opts.InitialHeaders == nil && s.opts.Headers == nil {
		return nil
	}
	h := make(http.Header)
	s.hookHeaders(h, r)
	return h
}
