package socket

import (
	"github.com/envivo/socketio/internal/engine"
	"github.com/envivo/socketio/internal/wtlink"
)

// The link that lets package webtransport serve a Server's WebTransport
// transport (see internal/wtlink).
func init() {
	wtlink.Engine = func(srv any) (*engine.Server, string) {
		s := srv.(*Server)
		return s.engine, s.opts.Path
	}
}
