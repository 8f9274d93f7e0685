package main

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/metrics"
	"time"

	"github.com/envivo/socketio/socket"
)

// withDebug adds, for DEBUG=1, the runtime's profiles at /debug/pprof/,
// /debug/runtime (goroutines, heap, GC pauses) and /debug/broadcast (one
// broadcast to every socket, timed), which examples/bench/curve reads.
func withDebug(io *socket.Server, next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/runtime", serveRuntime)
	mux.HandleFunc("POST /debug/broadcast", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		err := io.Emit("msg", r.URL.Query().Get("data"))
		writeJSON(w, map[string]any{"emitSeconds": time.Since(start).Seconds(), "error": errString(err)})
	})
	mux.Handle("/", next)
	return mux
}

// serveRuntime answers the figures the connection curve reports: live
// goroutines, heap in use, and the GC's stop-the-world pauses since the
// last call as a p99 (runtime/metrics keeps a histogram since start; the
// curve takes differences between calls itself, so the totals are given).
func serveRuntime(w http.ResponseWriter, _ *http.Request) {
	samples := []metrics.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/sched/pauses/total/gc:seconds"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	metrics.Read(samples)
	h := samples[2].Value.Float64Histogram()
	writeJSON(w, map[string]any{
		"goroutines":  samples[0].Value.Uint64(),
		"heapObjects": samples[1].Value.Uint64(),
		"gcCycles":    samples[3].Value.Uint64(),
		"pauseCounts": h.Counts,
		"pauseBounds": finite(h.Buckets),
		"gomaxprocs":  runtime.GOMAXPROCS(0),
	})
}

// finite replaces the histogram's infinite bounds, which JSON cannot hold.
func finite(b []float64) []float64 {
	out := make([]float64, len(b))
	for i, v := range b {
		switch {
		case v > 1e300:
			out[i] = 1e300
		case v < -1e300:
			out[i] = -1e300
		default:
			out[i] = v
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
