#!/usr/bin/env bash
# Issue 5's server benchmarks, on loopback:
#   1. the HTTP library comparison: `larder serve` (libmicrohttpd) against
#      an h2o front end on the same handler (bench/http/h2o_server.c);
#   2. Larder's server against Redis holding the same data in Feast's Redis
#      layout (bench/http/redis_load.c), and bytes per entity of each.
#
#   bench/server.sh [BUILD] [--quick]
#
# Needs `make` done, wrk, redis-server, redis-cli, libhiredis-dev and (for
# the h2o case, skipped otherwise) libh2o-evloop-dev. Data: the 1M-entity
# store of bench/online_lookup.c in bench/data/online_1000000 (built or
# rebuilt when missing or unreadable by this Larder); Redis is loaded on
# each run (redis-cli --pipe, ~15 s) as it keeps nothing on disk.
# Every case: 1 entity x 20 float32 features (and batches of 10, 100),
# random keys over the 1M entities, 32 connections from 2 client threads
# (and 1 entity on 1 connection: the unloaded latency),
# servers with 2 threads (Redis: its one), a 2 s warm-up then SECONDS
# (10 s; 3 s with --quick). Client and servers share this machine's cores.
# Prints one `name key=value ...` line per measurement; every process it
# starts is stopped on exit. About 3 minutes (1.5 with --quick).
set -euo pipefail
build=${1:-build}
mode=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=1000000
secs=10
warm=2
conns=32
cthreads=2
sthreads=2
[ "$mode" = "--quick" ] && secs=3
data="$root/bench/data/online_$n"
bin="$build/bench"
mkdir -p "$bin" "$root/bench/data"

# the benchmark's own tools, installed when missing (like scripts/deps.sh)
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
for pkg in wrk curl libh2o-evloop-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    "${missing[@]}" >/dev/null || true
fi
for tool in wrk redis-server redis-cli curl python3; do
  command -v "$tool" >/dev/null || { echo "server.sh: $tool is not installed" >&2; exit 1; }
done

# ---- processes we start, stopped on any exit -------------------------------
pids=()
tmp=$(mktemp -d)
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (10 s at most) until `cmd...` succeeds.
wait_until() {
  for _ in $(seq 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "server.sh: timed out waiting for: $*" >&2
  return 1
}

# Percent of CPU time busy over one second (other work on the machine
# skews every figure: printed before and after the measurements).
busy_pct() {
  python3 - <<'PY'
import time
def snap():
    v = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(v), v[3] + v[4]
t0, i0 = snap(); time.sleep(1); t1, i1 = snap()
print(f"{100 * (1 - (i1 - i0) / max(1, t1 - t0)):.0f}")
PY
}

# ---- build -------------------------------------------------------------------
cflags="-std=c11 -D_GNU_SOURCE -O2 -I$root/include -I$root/src -I$root/third_party/duckdb/include"
# lr__server_handle's signature changed after commit 732bb67 (bench/http/compat.h)
grep -q 'lr__reply' src/serve/server.h && cflags+=" -DLR_BENCH_REPLY"
larder_libs="$build/liblarder.a -lmicrohttpd -lfyaml -llmdb -lpthread -lm -ldl"
cc $cflags -o "$bin/online_lookup" bench/online_lookup.c $larder_libs
cc $cflags -o "$bin/handler_loop" bench/http/handler_loop.c $larder_libs
cc $cflags -o "$bin/redis_load" bench/http/redis_load.c -lhiredis -lpthread
have_h2o=0
if [ -f /usr/include/h2o.h ] &&
   cc $cflags -o "$bin/h2o_server" bench/http/h2o_server.c $larder_libs \
     -lh2o-evloop -lssl -lcrypto -lz 2>"$tmp/h2o_build.txt"; then
  have_h2o=1
else
  echo "skip name=h2o reason=libh2o-evloop-dev_missing_or_build_failed"
fi

# ---- data ----------------------------------------------------------------------
if ! "$build/larder" -c "$data" ls feature-views >/dev/null 2>&1; then
  rm -f "$data/entities" # made by an older Larder, or absent: rebuild
  "$bin/online_lookup" "$data" "$n" 1000 | grep '^load ' || true
fi
store_bytes=$(stat -c %s "$data/data/online/data.mdb")

echo "machine cores=$(nproc) busy_pct_before=$(busy_pct) loadavg=$(cut -d' ' -f1 /proc/loadavg)"

# ---- servers -------------------------------------------------------------------
mhd_port=$(free_port)
"$build/larder" -c "$data" serve --port "$mhd_port" --threads "$sthreads" \
  >"$tmp/mhd.log" 2>&1 &
mhd_pid=$!
pids+=($mhd_pid)
if [ $have_h2o = 1 ]; then
  h2o_port=$(free_port)
  "$bin/h2o_server" "$data" "$h2o_port" "$sthreads" >"$tmp/h2o.log" 2>&1 &
  h2o_pid=$!
  pids+=($h2o_pid)
fi
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$tmp" --logfile "$tmp/redis.log" --daemonize no &
redis_pid=$!
pids+=($redis_pid)

wait_until curl -sf "http://127.0.0.1:$mhd_port/health"
[ $have_h2o = 1 ] && wait_until curl -sf "http://127.0.0.1:$h2o_port/health"
wait_until redis-cli -p "$redis_port" ping

used_memory() {
  redis-cli -p "$redis_port" info memory | tr -d '\r' | sed -n 's/^used_memory://p'
}
redis_empty=$(used_memory)
t0=$(date +%s%N)
"$bin/redis_load" gen "$n" | redis-cli -p "$redis_port" --pipe >"$tmp/pipe.txt"
grep -q 'errors: 0' "$tmp/pipe.txt" || { cat "$tmp/pipe.txt" >&2; exit 1; }
redis_full=$(used_memory)
echo "redis_load entities=$n seconds=$(( ($(date +%s%N) - t0) / 1000000000 )) keys=$(redis-cli -p "$redis_port" dbsize | tr -d '\r')"

# ---- measurements ----------------------------------------------------------------
# results[name/batch]="rps p50 p99 p999"
declare -A results

# CPU seconds (user + system, in clock ticks) used so far by process $1.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

http_case() { # name pid port batch [connections]
  local name=$1 pid=$2 port=$3 batch=$4 c=${5:-$conns} line t=$cthreads c0
  [ "$c" -lt "$t" ] && t=$c
  timeout $((warm + 30)) wrk -t"$t" -c"$c" -d"${warm}s" --timeout 10s \
    -s bench/http/lookup.lua "http://127.0.0.1:$port" -- "$batch" "$n" 7 >/dev/null
  c0=$(cpu_ticks "$pid")
  line=$(timeout $((secs + 30)) wrk -t"$t" -c"$c" -d"${secs}s" --timeout 10s \
    -s bench/http/lookup.lua "http://127.0.0.1:$port" -- "$batch" "$n" 1 | grep '^WRK ')
  report "$name" "$batch" "$c" "$line" $(( $(cpu_ticks "$pid") - c0 ))
}

redis_case() { # batch [connections]
  local batch=$1 c=${2:-$conns} line t=$cthreads c0
  [ "$c" -lt "$t" ] && t=$c
  # the warm-up is a separate short run, so that the CPU count is the run's
  timeout $((warm + 30)) "$bin/redis_load" run "$redis_port" "$n" "$batch" "$c" \
    "$t" "$warm" 0 >/dev/null
  c0=$(cpu_ticks "$redis_pid")
  line=$(timeout $((secs + 30)) "$bin/redis_load" run "$redis_port" "$n" \
    "$batch" "$c" "$t" "$secs" 0)
  report redis_hmget "$batch" "$c" "$line" $(( $(cpu_ticks "$redis_pid") - c0 ))
}

# Prints a measurement; the server's CPU time per request (from its ticks
# over the run) is the figure least disturbed by other work on the machine.
report() { # name batch connections "WRK|REDIS key=value..." server_ticks
  local name=$1 batch=$2 c=$3 line=$4 ticks=$5
  local kv=${line#* }
  local rps p50 p99 p999 req cpu_us
  req=$(sed -n 's/^requests=\([0-9]*\).*/\1/p' <<<"$kv")
  cpu_us=$(python3 -c "print(f'{$ticks * 1e6 / $(getconf CLK_TCK) / max(1, $req):.1f}')")
  rps=$(sed -n 's/.*rps=\([0-9]*\).*/\1/p' <<<"$kv")
  p50=$(sed -n 's/.*p50_us=\([0-9]*\).*/\1/p' <<<"$kv")
  p99=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$kv")
  p999=$(sed -n 's/.*p999_us=\([0-9]*\).*/\1/p' <<<"$kv")
  results[$name/$batch/$c]="$rps $p50 $p99 $p999"
  echo "$name batch=$batch features=20 connections=$c $kv server_cpu_us_per_req=$cpu_us"
}


ratio() { python3 -c "print(f'{$1 / $2:.2f}' if $2 else 'nan')"; }

cases=("1 $conns" "10 $conns" "100 $conns" "1 1")
for cs in "${cases[@]}"; do
  read -r batch c <<<"$cs"
  http_case larder_mhd "$mhd_pid" "$mhd_port" "$batch" "$c"
  [ $have_h2o = 1 ] && http_case larder_h2o "$h2o_pid" "$h2o_port" "$batch" "$c"
  redis_case "$batch" "$c"
done
echo "machine busy_pct_after=$(busy_pct) loadavg=$(cut -d' ' -f1 /proc/loadavg)"

for cs in "${cases[@]}"; do
  read -r batch c <<<"$cs"
  read -r m_rps _ m_p99 m_p999 <<<"${results[larder_mhd/$batch/$c]}"
  read -r r_rps _ r_p99 r_p999 <<<"${results[redis_hmget/$batch/$c]}"
  line="ratio batch=$batch connections=$c larder_over_redis_rps=$(ratio "$m_rps" "$r_rps")"
  line+=" larder_over_redis_p99=$(ratio "$m_p99" "$r_p99")"
  line+=" larder_over_redis_p999=$(ratio "$m_p999" "$r_p999")"
  if [ $have_h2o = 1 ]; then
    read -r h_rps _ h_p99 _ <<<"${results[larder_h2o/$batch/$c]}"
    line+=" h2o_over_mhd_rps=$(ratio "$h_rps" "$m_rps") h2o_over_mhd_p99=$(ratio "$h_p99" "$m_p99")"
  fi
  echo "$line"
done

echo "memory entities=$n redis_used_memory=$redis_full" \
  "redis_bytes_per_entity=$(python3 -c "print(f'{$redis_full / $n:.1f}')")" \
  "redis_data_bytes_per_entity=$(python3 -c "print(f'{($redis_full - $redis_empty) / $n:.1f}')")" \
  "larder_store_bytes=$store_bytes" \
  "larder_bytes_per_entity=$(python3 -c "print(f'{$store_bytes / $n:.1f}')")" \
  "redis_over_larder=$(ratio "$redis_full" "$store_bytes")"

# The handler alone (no HTTP, one thread): where a request's time goes.
"$bin/handler_loop" "$data" "$n" 1
