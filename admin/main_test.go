package admin

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/envivo/socketio/internal/skipnote"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(skipnote.M(m))
}
