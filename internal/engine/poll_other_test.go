//go:build !linux || envivo_portable

package engine

// What idle WebSockets cost in goroutines with a read loop each.
const (
	idleGoroutinesPerWebSocket = 1
	pollerGoroutines           = 0
)
