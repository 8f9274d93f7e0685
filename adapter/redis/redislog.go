package redisadapter

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisLogger adapts a *slog.Logger to go-redis's logger interface
// (redis.SetLogger): each line go-redis prints (a dial that failed, a
// connection the pool dropped) becomes a slog record at warning level,
// with "component" = "go-redis", the message without go-redis's "redis: "
// prefix, and the source of go-redis's call, so that a handler with
// AddSource shows go-redis's file and line. It is safe for concurrent use.
type RedisLogger struct {
	// Logger receives the records; nil discards them.
	Logger *slog.Logger
}

// Printf implements go-redis's logger interface.
func (l RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	if l.Logger == nil || !l.Logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	r := slog.NewRecord(time.Now(), slog.LevelWarn, msg, callerPC())
	r.AddAttrs(slog.String("component", "go-redis"))
	if ctx == nil {
		ctx = context.Background()
	}
	_ = l.Logger.Handler().Handle(ctx, r)
}

// callerPC returns the program counter of go-redis's call to its logger:
// the first frame outside this file and go-redis's internal logging.
func callerPC() uintptr {
	var pcs [8]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasSuffix(f.File, "internal/log.go") && !strings.HasSuffix(f.File, "redislog.go") {
			return f.PC
		}
		if !more {
			return 0
		}
	}
}

// redisLogOnce installs go-redis's logger once per process.
var redisLogOnce sync.Once

// SetRedisLogger routes go-redis's own log lines, which it otherwise
// prints unstructured to stderr, to l through RedisLogger. go-redis has
// one logger per process: the last call wins. The adapters call it with
// their logger when the first one is made, unless Options.KeepRedisLogger
// (ShardedOptions.KeepRedisLogger) is set; call it yourself to choose
// another logger.
func SetRedisLogger(l *slog.Logger) {
	redisLogOnce.Do(func() {}) // an explicit choice: the adapters leave it alone
	redis.SetLogger(RedisLogger{Logger: l})
}

// installRedisLogger is SetRedisLogger(l) the first time an adapter is
// made, unless the application already chose.
func installRedisLogger(l *slog.Logger) {
	redisLogOnce.Do(func() { redis.SetLogger(RedisLogger{Logger: l}) })
}
