package main

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestNodeDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"2m": 2 * time.Minute, "30s": 30 * time.Second, "1500ms": 1500 * time.Millisecond, "250": 250 * time.Millisecond,
	} {
		if got, err := nodeDuration(in); err != nil || got != want {
			t.Errorf("nodeDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "2h", "1.5s", "-1s", "s"} {
		if _, err := nodeDuration(in); err == nil {
			t.Errorf("nodeDuration(%q): no error", in)
		}
	}
}

func TestRedisAdapter(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialed: factories connect lazily
	defer client.Close()
	for _, kind := range []string{"", "classic", "sharded", "streams"} {
		if f, err := redisAdapter(kind, client); err != nil || f == nil {
			t.Errorf("redisAdapter(%q) = %v, %v", kind, f != nil, err)
		}
	}
	if _, err := redisAdapter("pubsub", client); err == nil {
		t.Error(`redisAdapter("pubsub"): no error`)
	}
}
