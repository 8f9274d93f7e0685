#!/usr/bin/env bash
# Measures a broadcast that crosses instances: two servers share one
# redis-server; the fanout clients join on instance A and the sender emits on
# instance B, so every message goes B -> Redis -> A -> clients. It runs the
# same load against two envivo instances (examples/bench) and two Node
# socket.io instances, on each Redis adapter in turn (REDIS_ADAPTER: classic,
# @socket.io/redis-adapter's createAdapter; sharded, its createShardedAdapter;
# streams, @socket.io/redis-streams-adapter), servers on CPU 0, loadgen and
# Redis on CPU 1, and prints loadgen's JSON line for each, with "adapter".
#
# usage: [ADAPTERS="classic sharded streams"] examples/bench/cross-instance.sh [SHARED_BENCH_DIR] [CLIENTS] [RATE] [DURATION]
#   SHARED_BENCH_DIR  default ../shared/bench (loadgen and the Node peer)
#   ADAPTERS          the adapters to run, in order (default: all three)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$(cd "${1:-$root/../shared/bench}" && pwd)
clients=${2:-500} rate=${3:-100} duration=${4:-8s}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT

(cd "$bench/loadgen" && go build -o "$work/loadgen" .)
(cd "$root" && go build -o "$work/envivo" ./examples/bench)
mkdir -p "$work/node" && cp "$bench/node/package.json" "$bench/node/package-lock.json" "$work/node/"
(cd "$work/node" && npm ci --no-audit --no-fund >/dev/null)

redis_port=6390
taskset -c 1 redis-server --port $redis_port --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
until redis-cli -p $redis_port ping >/dev/null 2>&1; do sleep 0.1; done
export REDIS_URL=redis://127.0.0.1:$redis_port

wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/socket.io/" && return; sleep 0.1; done; echo "no server on $1" >&2; exit 1; }

run() { # run NAME CMD...: two instances on 3501 and 3502, then the load
  local name=$1; shift
  PORT=3501 taskset -c 0 "$@" >"$work/$name-a.log" 2>&1 & local a=$!
  PORT=3502 taskset -c 0 "$@" >"$work/$name-b.log" 2>&1 & local b=$!
  wait_http 3501; wait_http 3502
  redis-cli -p $redis_port flushall >/dev/null
  local out
  out=$(taskset -c 1 "$work/loadgen" -url http://127.0.0.1:3501 -sender-url http://127.0.0.1:3502 \
    -scenario fanout -clients "$clients" -rate "$rate" -duration "$duration" 2>>"$work/$name.loadgen.log")
  echo "{\"server\":\"$name\",\"adapter\":\"$REDIS_ADAPTER\",${out#\{}"
  kill $a $b; wait $a $b 2>/dev/null || true
}

for adapter in ${ADAPTERS:-classic sharded streams}; do
  export REDIS_ADAPTER=$adapter
  run envivo "$work/envivo"
  run node env NODE_PATH="$work/node/node_modules" node "$bench/node/bench-server.js"
done
