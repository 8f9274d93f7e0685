#!/usr/bin/env bash
# Measures long-polling without sticky sessions: nginx in front of three
# envivo instances (examples/bench) on one redis-server, loadgen's polling
# echo through nginx, twice:
#   round-robin  plain upstream; STICKY_FREE=1, so each instance forwards the
#                requests of the others' sessions (about 2 in 3) to them
#   ip_hash      the sticky setup without Routers; loadgen's clients all come
#                from 127.0.0.1, so one instance takes every session, no hop
# Servers run on CPU 0, nginx, Redis and loadgen on CPU 1. For each run it
# prints loadgen's JSON line with the mode, the CPU seconds the three
# instances used together, and that CPU per ack in microseconds.
#
# usage: examples/bench/sticky-free.sh [SHARED_BENCH_DIR] [CLIENTS] [DURATION]
#   SHARED_BENCH_DIR  default ../shared/bench (loadgen)
#   CLIENTS           default 50 (loadgen's echo default)
#   DURATION          default 10s
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$(cd "${1:-$root/../shared/bench}" && pwd)
clients=${2:-50} duration=${3:-10s}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null; rm -rf "$work"' EXIT

(cd "$bench/loadgen" && go build -o "$work/loadgen" .)
(cd "$root" && go build -o "$work/envivo" ./examples/bench)

redis_port=6391 lb_port=3510 ports=(3511 3512 3513)
taskset -c 1 redis-server --port $redis_port --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
until redis-cli -p $redis_port ping >/dev/null 2>&1; do sleep 0.1; done
export REDIS_URL=redis://127.0.0.1:$redis_port

wait_http() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/socket.io/" && return; sleep 0.1; done; echo "no server on $1" >&2; exit 1; }

# cpu_ticks PID...: user+system clock ticks the processes used so far.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }

nginx_conf() { # nginx_conf BALANCE: BALANCE is "" or "ip_hash;"
  local servers="" p
  for p in "${ports[@]}"; do servers+="server 127.0.0.1:$p; "; done
  cat >"$work/nginx.conf" <<EOF
daemon off;
master_process off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  upstream u { $1 $servers}
  server {
    listen 127.0.0.1:$lb_port;
    location / {
      proxy_pass http://u;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 60s;
    }
  }
}
EOF
}

run() { # run MODE BALANCE STICKY_FREE
  local mode=$1 pids=() p
  redis-cli -p $redis_port flushall >/dev/null
  for p in "${ports[@]}"; do
    PORT=$p STICKY_FREE=$3 taskset -c 0 "$work/envivo" >"$work/$mode-$p.log" 2>&1 & pids+=($!)
  done
  for p in "${ports[@]}"; do wait_http "$p"; done
  nginx_conf "$2"
  taskset -c 1 "$nginx" -p "$work" -c "$work/nginx.conf" -e "$work/nginx-error.log" & local ngx=$!
  wait_http $lb_port
  local before out after
  before=$(cpu_ticks "${pids[@]}")
  out=$(taskset -c 1 "$work/loadgen" -url "http://127.0.0.1:$lb_port" -scenario echo -transport polling \
    -clients "$clients" -duration "$duration" 2>>"$work/$mode.loadgen.log")
  after=$(cpu_ticks "${pids[@]}")
  local ops cpu
  ops=$(sed -n 's/.*"ops":\([0-9]*\).*/\1/p' <<<"$out")
  cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", t / hz}')
  echo "{\"mode\":\"$mode\",\"servers_cpu_s\":$cpu,\"cpu_us_per_ack\":$(awk -v c="$cpu" -v n="${ops:-0}" 'BEGIN{printf "%.1f", n ? c * 1e6 / n : 0}'),${out#\{}"
  kill -INT $ngx; kill "${pids[@]}"; wait $ngx "${pids[@]}" 2>/dev/null || true
}

run round-robin "" 1
run ip_hash "ip_hash;" 0
