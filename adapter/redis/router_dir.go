package redisadapter

import (
	"context"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/redis/go-redis/v9"
)

// The directory: one Redis key per node, Key+NodeID, holding its Address,
// with an expiry of TTL that the node pushes back every TTL/3.

// register writes this node's entry.
func (rt *Router) register(ctx context.Context) error {
	return rt.rdb.Set(ctx, rt.key+rt.nodeID, rt.address, rt.ttl).Err()
}

// deregister removes this node's entry, if it still holds this node's
// address.
func (rt *Router) deregister(ctx context.Context) error {
	return deregisterScript.Run(ctx, rt.rdb, []string{rt.key + rt.nodeID}, rt.address).Err()
}

// heartbeat refreshes the entry every TTL/3 until Close.
func (rt *Router) heartbeat() {
	defer close(rt.stopped)
	t := time.NewTicker(rt.ttl / 3)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-rt.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), rt.ttl/3)
		err := rt.register(ctx)
		cancel()
		if err != nil && !failing {
			rt.logger.Warn("redisadapter: router: cannot refresh this node's directory entry; its sessions cannot be reached from other nodes once it expires",
				"node", rt.nodeID, "err", err)
		}
		failing = err != nil
		rt.prune()
	}
}

// prune drops the cached nodes not read for TTL, such as those that left.
func (rt *Router) prune() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for node, e := range rt.nodes {
		if time.Since(e.fetched) > rt.ttl {
			delete(rt.nodes, node)
		}
	}
}

// lookup returns the node's entry, from the cache while it is younger than
// TTL/3, from Redis otherwise; nil when the node is not in the directory,
// its address is invalid, or Redis does not answer.
func (rt *Router) lookup(ctx context.Context, node string) *routeEntry {
	now := time.Now()
	rt.mu.Lock()
	e := rt.nodes[node]
	rt.mu.Unlock()
	if e != nil && now.Sub(e.fetched) < rt.ttl/3 {
		return e
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addr, err := rt.rdb.Get(ctx, rt.key+node).Result()
	if err != nil {
		rt.logger.Debug("redisadapter: router: node not found", "node", node, "err", err)
		rt.forget(node)
		return nil
	}
	if e == nil || e.address != addr {
		target, err := parseNodeAddress(addr)
		if err != nil {
			rt.logger.Warn("redisadapter: router: invalid address in the directory", "node", node, "err", err)
			rt.forget(node)
			return nil
		}
		e = &routeEntry{proxy: rt.newProxy(target), address: addr}
	}
	e = &routeEntry{proxy: e.proxy, address: addr, fetched: now}
	rt.mu.Lock()
	rt.nodes[node] = e
	rt.mu.Unlock()
	return e
}

func (rt *Router) forget(node string) {
	rt.mu.Lock()
	delete(rt.nodes, node)
	rt.mu.Unlock()
}

// newProxy returns the reverse proxy to target: the request keeps its own
// path (as the client sent it, before any StripPrefix) and query, and
// carries ForwardedHeader.
func (rt *Router) newProxy(target *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			if u, err := url.ParseRequestURI(pr.In.RequestURI); err == nil {
				pr.Out.URL.Path, pr.Out.URL.RawPath = u.Path, u.RawPath
			}
			pr.SetURL(target)
			pr.Out.Header.Set(ForwardedHeader, rt.nodeID)
		},
		Transport: rt.transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			rt.failures.Add(1)
			rt.logger.Debug("redisadapter: router: forwarding failed", "target", target.Host, "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
}

// deregisterScript deletes KEYS[1] if it holds ARGV[1]: a node that
// restarted with the same NodeID and another address keeps its entry.
var deregisterScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
