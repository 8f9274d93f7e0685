package engine

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	for _, in := range []*Options{nil, {}} {
		o := in.withDefaults()
		if o.PingInterval != 25*time.Second || o.PingTimeout != 20*time.Second ||
			o.UpgradeTimeout != 10*time.Second || o.MaxPayload != 1_000_000 ||
			o.WriteQueueSize != 1024 || o.BatchInterval != 50*time.Millisecond || o.Logger == nil ||
			o.HTTPCompressionThreshold != 1024 || o.PerMessageDeflate || o.PerMessageDeflateThreshold != 1024 ||
			!slices.Equal(o.Transports, []string{"polling", "websocket"}) {
			t.Fatalf("defaults = %+v", o)
		}
	}
	if o := (&Options{BatchInterval: -1}).withDefaults(); o.BatchInterval != -1 {
		t.Fatalf("a negative BatchInterval became %v", o.BatchInterval)
	}
	if o := (&Options{HTTPCompressionThreshold: -1}).withDefaults(); o.HTTPCompressionThreshold != -1 {
		t.Fatalf("a negative HTTPCompressionThreshold became %v", o.HTTPCompressionThreshold)
	}
}

func TestOptionsCopied(t *testing.T) {
	t.Parallel()
	in := &Options{
		PingInterval: time.Second,
		Transports:   []string{"websocket"},
		CORS:         CORS{Origins: []string{"https://a.example"}, Headers: []string{"x-a"}},
	}
	o := in.withDefaults()
	in.Transports[0] = "polling"
	in.CORS.Origins[0] = "https://evil.example"
	in.CORS.Headers[0] = "x-b"
	in.PingInterval = time.Hour
	if o.PingInterval != time.Second || o.Transports[0] != "websocket" ||
		o.CORS.Origins[0] != "https://a.example" || o.CORS.Headers[0] != "x-a" {
		t.Fatalf("options not copied: %+v", o)
	}
}

func TestCORSPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cors        CORS
		origin      string
		enabled     bool
		allowed     bool
		allowOrigin string
		vary        bool
	}{
		{name: "zero", cors: CORS{}, origin: "https://a.example"},
		{name: "listed", cors: CORS{Origins: []string{"https://a.example"}}, origin: "https://a.example",
			enabled: true, allowed: true, allowOrigin: "https://a.example", vary: true},
		{name: "not listed", cors: CORS{Origins: []string{"https://a.example"}}, origin: "https://b.example",
			enabled: true, vary: true},
		{name: "star", cors: CORS{Origins: []string{"*"}}, origin: "https://b.example",
			enabled: true, allowed: true, allowOrigin: "*"},
		{name: "star credentials", cors: CORS{Origins: []string{"*"}, Credentials: true}, origin: "https://b.example",
			enabled: true, allowed: true, allowOrigin: "https://b.example", vary: true},
		{name: "func", cors: CORS{AllowOrigin: func(o string) bool { return o == "https://c.example" }}, origin: "https://c.example",
			enabled: true, allowed: true, allowOrigin: "https://c.example", vary: true},
		{name: "no origin header", cors: CORS{Origins: []string{"https://a.example"}}, origin: "",
			enabled: true, vary: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newCORSPolicy(tt.cors)
			if p.enabled != tt.enabled {
				t.Fatalf("enabled = %v", p.enabled)
			}
			if !p.enabled {
				return
			}
			if tt.origin != "" && p.allowed(tt.origin) != tt.allowed {
				t.Fatalf("allowed(%q) = %v", tt.origin, !tt.allowed)
			}
			r := httptest.NewRequest("GET", "/", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			h := http.Header{}
			p.apply(h, r)
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Fatalf("Allow-Origin = %q, want %q", got, tt.allowOrigin)
			}
			if got := h.Get("Vary") == "Origin"; got != tt.vary {
				t.Fatalf("Vary = %q", h.Get("Vary"))
			}
			if got := h.Get("Access-Control-Allow-Credentials") == "true"; got != tt.cors.Credentials {
				t.Fatalf("Allow-Credentials = %q", h.Get("Access-Control-Allow-Credentials"))
			}
		})
	}
}

func TestCORSPreflightHeaders(t *testing.T) {
	t.Parallel()
	p := newCORSPolicy(CORS{Origins: []string{"*"}, Headers: []string{"x-a", "x-b"}})
	w := httptest.NewRecorder()
	r := httptest.NewRequest("OPTIONS", "/", nil)
	r.Header.Set("Access-Control-Request-Headers", "x-c")
	p.preflight(w, r)
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Headers") != "x-a,x-b" ||
		w.Header().Get("Access-Control-Max-Age") != "" || w.Header().Get("Content-Length") != "0" {
		t.Fatalf("preflight %d %v", w.Code, w.Header())
	}
}
