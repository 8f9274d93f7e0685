package main

import (
	"fmt"
	"strings"
)

// table renders results as a markdown table, one row per count; a count
// that failed shows its error in place of the figures it lacks.
func table(results []result) string {
	var b strings.Builder
	b.WriteString("| server | N | connect time | conn/s | RSS/conn | peak RSS/conn | goroutines | GC p99 | heartbeat CPU | broadcast time | broadcast extra memory |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		cells := []string{
			r.Server, fmt.Sprint(r.N),
			fmt.Sprintf("%.2f s", r.ConnectSeconds), fmt.Sprintf("%.0f", r.ConnectPerSec),
			bytesText(r.RSSPerConn), bytesText(r.PeakRSSPerConn),
			"n/a", "n/a",
			fmt.Sprintf("%.2f %%", r.HeartbeatCPUPct),
			fmt.Sprintf("%.1f ms", r.BcastMillis), bytesText(float64(r.BcastExtraKB) * 1024),
		}
		if r.GoroutinesEnd != nil {
			cells[6] = fmt.Sprint(*r.GoroutinesEnd)
		}
		if r.GCPauseP99 != nil {
			cells[7] = secondsText(*r.GCPauseP99, *r.GCCycles)
		}
		if r.Error != "" {
			cells = append(cells, "error: "+strings.ReplaceAll(r.Error, "|", "/"))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

// bytesText writes a size in B, KB or MB (powers of 1024).
func bytesText(v float64) string {
	switch {
	case v >= 1<<20 || v <= -1<<20:
		return fmt.Sprintf("%.1f MB", v/(1<<20))
	case v >= 1<<10 || v <= -1<<10:
		return fmt.Sprintf("%.1f KB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

// secondsText writes a GC pause bound, or says there was no GC.
func secondsText(s float64, cycles int64) string {
	switch {
	case cycles == 0:
		return "no GC"
	case s < 1e-3:
		return fmt.Sprintf("%.0f µs", s*1e6)
	}
	return fmt.Sprintf("%.2f ms", s*1e3)
}
