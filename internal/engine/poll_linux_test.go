//go:build linux && !envivo_portable

package engine

// What idle WebSockets cost in goroutines on the readiness path.
const (
	idleGoroutinesPerWebSocket = 0
	pollerGoroutines           = 1
)
