#!/usr/bin/env bash
# server.sh - the feature server against Redis on loopback, the cold start
# of a process doing one lookup, and the bytes per entity of each store:
#
#   bench/server.sh [BUILD] [--quick] [--h2o] [--handler]
#
# Data: the 1M-entity store of bench/online_lookup.c in
# bench/data/online_1000000 (made when missing or unreadable by this
# Larder); Redis (started here on a free loopback port, nothing saved) is
# loaded on each run with the same values in Feast's Redis layout
# (`loadgen redis-gen`, bench/http/loadgen_redis.c: `redis-cli --pipe`,
# ~15 s).
#
# HTTP: `larder serve --threads 2` and Redis loaded by the same client,
# bench/http/loadgen.c (built by the Makefile; POST /get-online-features of
# lookup.lua's body to the one, the HMGETs Feast's online_read sends to the
# other, keys drawn afresh per request over the 1M entities, every answer
# checked): closed loop at 1 entity and 1, 8 and 32 connections, 10 and 100
# entities at 32 (http_lookup); then open loop at half the rate Redis
# answered at 1 entity and 32 connections, latency from each request's
# intended send time (http_lookup_open). wrk (bench/http/lookup.lua) loads
# Larder too, as a cross-check (system larder_serve; loadgen's rows are
# larder_serve_loadgen and redis). Each run has a warm-up run before it
# (2 s; 1 s with --quick), then lasts 10 s (2 s). Client and servers share
# this machine's cores.
# The floor (bench/http/floor_server.c: recv, then one send of a canned
# answer as long as Larder's) takes the same wrk load: the most any server
# could answer here.
# Cold start: `larder get` of one entity against `redis-cli` sending one
# HMGET, each run as a fresh process (100 times; 20 with --quick).
#
# --h2o adds the same handler behind libh2o (bench/http/h2o_server.c,
# needs libh2o-evloop-dev); --handler runs the handler alone without HTTP
# (bench/http/handler_loop.c) and prints where its time goes.
#
# Prints report rows (bench/common.h) and notes; every process it starts is
# stopped on exit (bench/lib.sh). Needs `make` done, wrk, redis-server,
# redis-cli and libhiredis-dev.
set -euo pipefail
build=${1:-build}
shift || true
quick=0 h2o=0 handler=0
for arg in "$@"; do
  case $arg in
  --quick) quick=1 ;;
  --h2o) h2o=1 ;;
  --handler) handler=1 ;;
  *) echo "usage: bench/server.sh [BUILD] [--quick] [--h2o] [--handler]" >&2
     exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
n=1000000
secs=10 warm=2 cold_runs=100
[ $quick = 1 ] && secs=2 warm=1 cold_runs=20
sthreads=2 cthreads=2
data=$root/bench/data/online_$n
bin=$build/bench

for tool in wrk redis-server redis-cli python3; do
  command -v "$tool" >/dev/null || {
    echo "server.sh: $tool is not installed (apt-get install wrk redis-server)" >&2
    exit 1
  }
done
bench_traps

# ---- build -------------------------------------------------------------------
libs=$(larder_libs "$build")
reply=""
# lr__server_handle's signature changed after commit 732bb67 (bench/http/compat.h)
grep -q 'lr__reply' src/serve/server.h && reply=-DLR_BENCH_REPLY
bench_cc "$build" online_lookup bench/online_lookup.c $libs
bench_cc "$build" spawn_time bench/spawn_time.c
bench_cc "$build" floor_server bench/http/floor_server.c -lpthread
make --no-print-directory -s BUILD="${build%/}" "${build%/}/bench/loadgen"
"$bin/loadgen" selftest >"$bench_tmp/selftest.txt" || {
  cat "$bench_tmp/selftest.txt" >&2
  exit 1
}
[ $handler = 1 ] && bench_cc "$build" handler_loop bench/http/handler_loop.c \
  $reply $libs
if [ $h2o = 1 ] && ! bench_cc "$build" h2o_server bench/http/h2o_server.c \
    $reply $libs -lh2o-evloop -lssl -lcrypto -lz 2>"$bench_tmp/h2o_build.txt"; then
  echo "# h2o skipped: libh2o-evloop-dev missing or the build failed"
  h2o=0
fi

# ---- data and servers ----------------------------------------------------------
"$bin/online_lookup" "$data" "$n" 0
echo "# machine cores=$(nproc) busy_pct_before=$(busy_pct) loadavg=$(cut -d' ' -f1 /proc/loadavg) $(redis-server --version | cut -d' ' -f1-3)"

# `larder serve --port 0` prints the port it listens on.
start_larder() { # LOG COMMAND... ; sets larder_port
  bench_start "$@"
  wait_until grep -q 'Serving .* on http' "$1"
  larder_port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")
}
start_larder "$bench_tmp/mhd.log" "$build/larder" -c "$data" serve --port 0 \
  --threads "$sthreads"
mhd_pid=$bench_last_pid mhd_port=$larder_port
if [ $h2o = 1 ]; then
  h2o_port=$(free_port)
  bench_start "$bench_tmp/h2o.log" "$bin/h2o_server" "$data" "$h2o_port" "$sthreads"
  h2o_pid=$bench_last_pid
  wait_until bash -c "exec 3<>/dev/tcp/127.0.0.1/$h2o_port"
fi
redis_port=$(free_port)
bench_start "$bench_tmp/redis.log" redis-server --port "$redis_port" \
  --bind 127.0.0.1 --save '' --appendonly no --dir "$bench_tmp" --daemonize no
redis_pid=$bench_last_pid
wait_until redis-cli -p "$redis_port" ping

used_memory() {
  redis-cli -p "$redis_port" info memory | tr -d '\r' | sed -n 's/^used_memory://p'
}
redis_empty=$(used_memory)
"$bin/loadgen" redis-gen "$n" | redis-cli -p "$redis_port" --pipe >"$bench_tmp/pipe.txt"
grep -q 'errors: 0' "$bench_tmp/pipe.txt" || { cat "$bench_tmp/pipe.txt" >&2; exit 1; }
redis_full=$(used_memory)

# ---- measurements ----------------------------------------------------------------
# value KEY LINE: the number after KEY= in a `NAME key=value ...` line.
value() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

# row SCENARIO SYSTEM PARAMS LINE TICKS: the HTTP rows of one run, and the
# server's CPU time per request (its ticks over the run), the figure least
# disturbed by other work on the machine.
row() {
  local scenario=$1 system=$2 params=$3 line=$4 ticks=$5 req
  req=$(value requests "$line")
  echo "csv:$scenario,$system,$params,$(value rps "$line"),$(value p50_us "$line"),$(value p90_us "$line"),$(value p99_us "$line"),$(value p999_us "$line"),$(value max_us "$line"),requests/s; us"
  echo "csv:http_server_cpu,$system,$params,$(python3 -c "print(f'{$ticks * 1e6 / $(getconf CLK_TCK) / max(1, $req):.1f}')"),,,,,,us/request; -"
}

http_case() { # SYSTEM PID PORT BATCH CONNECTIONS
  local system=$1 pid=$2 port=$3 batch=$4 c=$5 t=$cthreads line c0
  [ "$c" -lt "$t" ] && t=$c
  timeout $((warm + 30)) wrk -t"$t" -c"$c" -d"${warm}s" --timeout 10s \
    -s bench/http/lookup.lua "http://127.0.0.1:$port" -- "$batch" "$n" 7 >/dev/null
  c0=$(cpu_ticks "$pid")
  line=$(timeout $((secs + 30)) wrk -t"$t" -c"$c" -d"${secs}s" --timeout 10s \
    -s bench/http/lookup.lua "http://127.0.0.1:$port" -- "$batch" "$n" 1 | grep '^WRK ')
  if [ "$(value non2xx "$line")" != 0 ] || [ "$(value socket_errors "$line")" != 0 ]; then
    echo "server.sh: $system failed requests: $line" >&2
    exit 1
  fi
  row http_lookup "$system" "entities=$batch connections=$c" "$line" \
    $(( $(cpu_ticks "$pid") - c0 ))
}

# loadgen_case SYSTEM PROTOCOL PID PORT BATCH CONNECTIONS [RATE]: a run of
# bench/http/loadgen.c (http or redis), closed loop or open at RATE
# requests/s; its line in $lg_line. The warm-up is a separate short run, so
# that the CPU count is the run's.
loadgen_case() {
  local system=$1 proto=$2 pid=$3 port=$4 batch=$5 c=$6 rate=${7:-0}
  local t=$cthreads scenario=http_lookup params="entities=$5 connections=$6" c0
  [ "$c" -lt "$t" ] && t=$c
  [ "$rate" != 0 ] && scenario=http_lookup_open params="$params rate=$rate"
  timeout $((warm + 30)) "$bin/loadgen" "$proto" "$port" "$n" "$batch" "$c" \
    "$t" "$warm" 0 >/dev/null
  c0=$(cpu_ticks "$pid")
  lg_line=$(timeout $((secs + 30)) "$bin/loadgen" "$proto" "$port" "$n" \
    "$batch" "$c" "$t" "$secs" 0 "$rate") && [ "$(value misses "$lg_line")" = 0 ] || {
    echo "server.sh: $system failed requests: $lg_line" >&2
    exit 1
  }
  echo "# $system $lg_line"
  row "$scenario" "$system" "$params" "$lg_line" $(( $(cpu_ticks "$pid") - c0 ))
}

# answer_bytes BATCH: the length of Larder's answer body for BATCH
# entities, which the floor server sends back in its place.
answer_bytes() {
  python3 - "$mhd_port" "$1" <<'PY'
import http.client, json, sys
port, batch = int(sys.argv[1]), int(sys.argv[2])
body = json.dumps({"features": [f"user_stats:f{f:02d}" for f in range(20)],
                   "entities": {"user_id": list(range(1, batch + 1))}})
c = http.client.HTTPConnection("127.0.0.1", port)
c.request("POST", "/get-online-features", body)
print(len(c.getresponse().read()))
PY
}

# floor_case BATCH CONNECTIONS: the floor server (bench/http/floor_server.c,
# recv and one send of a canned answer as long as Larder's) under the same
# load: what any server could reach here.
floor_case() {
  local port
  port=$(free_port)
  bench_start "$bench_tmp/floor.log" "$bin/floor_server" "$port" "$sthreads" \
    "$(answer_bytes "$1")"
  local pid=$bench_last_pid
  wait_until bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
  http_case http_floor "$pid" "$port" "$1" "$2"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

for cs in "1 1" "1 8" "1 32" "10 32" "100 32"; do
  read -r batch c <<<"$cs"
  http_case larder_serve "$mhd_pid" "$mhd_port" "$batch" "$c"
  floor_case "$batch" "$c"
  [ $h2o = 1 ] && http_case larder_h2o "$h2o_pid" "$h2o_port" "$batch" "$c"
  loadgen_case larder_serve_loadgen http "$mhd_pid" "$mhd_port" "$batch" "$c"
  [ $h2o = 1 ] && loadgen_case larder_h2o_loadgen http "$h2o_pid" "$h2o_port" \
    "$batch" "$c"
  loadgen_case redis redis "$redis_pid" "$redis_port" "$batch" "$c"
  [ "$cs" = "1 32" ] && redis_saturation=$(value rps "$lg_line")
done

# Open loop at half of Redis's saturation (1 entity, 32 connections):
# what each server's latency is at a load both can carry.
rate=$((redis_saturation / 2))
loadgen_case larder_serve_loadgen http "$mhd_pid" "$mhd_port" 1 32 "$rate"
[ $h2o = 1 ] && loadgen_case larder_h2o_loadgen http "$h2o_pid" "$h2o_port" 1 \
  32 "$rate"
loadgen_case redis redis "$redis_pid" "$redis_port" 1 32 "$rate"

"$bin/spawn_time" cold_start larder_get "entities=1 features=20" "$cold_runs" \
  -- "$build/larder" -c "$data" get --service all_stats --entity user_id=42
"$bin/loadgen" redis-command 42 >"$bench_tmp/hmget.txt"
"$bin/spawn_time" cold_start redis_cli "entities=1 features=20" "$cold_runs" \
  --stdin "$bench_tmp/hmget.txt" -- redis-cli -p "$redis_port"

per_entity() { python3 -c "print(f'{$1 / $n:.1f}')"; }
sizes="entities=$n features=20"
echo "csv:store_size,larder,$sizes,$(per_entity "$(stat -c %s "$data/data/online/gen-$(cat "$data/data/online/CURRENT")/data.mdb")"),,,,,,bytes/entity; -"
echo "csv:store_size,raw,$sizes,88.0,,,,,,bytes/entity; -"
echo "csv:store_size,redis,$sizes,$(per_entity "$((redis_full - redis_empty))"),,,,,,bytes/entity; -"
echo "# redis used_memory=$redis_full empty=$redis_empty"
echo "# machine busy_pct_after=$(busy_pct) loadavg=$(cut -d' ' -f1 /proc/loadavg)"

# The handler alone (no HTTP, one thread): where a request's time goes.
if [ $handler = 1 ]; then
  "$bin/handler_loop" "$data" "$n" 1
fi
