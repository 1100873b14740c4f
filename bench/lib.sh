# lib.sh - shell helpers shared by the benchmark scripts (bench/run.sh,
# bench/server.sh, bench/profile.sh, bench/compact_serve.sh and the
# replication scripts); sourced, not run.
#
# Every process a script starts goes through bench_start, which records its
# pid: bench_cleanup (installed as the EXIT trap by bench_traps) stops each
# of them, by pid, and removes the scratch folder $bench_tmp. INT and TERM
# exit through the same trap, so a script never leaves a server behind.

bench_pids=()
bench_tmp=""

# Stops every recorded process (TERM, and CONT for one a benchmark left
# stopped, then KILL after 5 s) and removes the scratch folder.
bench_cleanup() {
  local pid
  for pid in "${bench_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true
  done
  for pid in "${bench_pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  bench_pids=()
  [ -n "$bench_tmp" ] && rm -rf "$bench_tmp"
  bench_tmp=""
}

# Makes the scratch folder and installs the traps.
bench_traps() {
  bench_tmp=$(mktemp -d /tmp/larder-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_start LOG COMMAND...: starts COMMAND in the background, output to
# LOG; its pid is recorded and left in $bench_last_pid.
bench_start() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  bench_last_pid=$!
  bench_pids+=("$bench_last_pid")
}

# A free TCP port on the loopback interface.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (10 s at most) until `cmd...` succeeds.
wait_until() {
  for _ in $(seq 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "bench: timed out waiting for: $*" >&2
  return 1
}

# Percent of CPU time busy over one second: other work on the machine
# skews every figure, so the scripts record it before and after.
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

# CPU time (user + system, clock ticks) used so far by process $1.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# bench_cc BUILD NAME SOURCE [LIBS...]: compiles one benchmark program
# into BUILD/bench/NAME with optimizations, against the library in BUILD
# and the bench helpers (the latency histogram of `larder bench`).
bench_cc() {
  local build=$1 name=$2 src=$3 root
  shift 3
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  mkdir -p "$build/bench"
  cc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
    -I"$root/include" -I"$root/src" -I"$root/third_party/duckdb/include" \
    -o "$build/bench/$name" "$root/$src" "$root/src/cli/latency.c" "$@" -lm
}

# The libraries a program linking liblarder.a needs.
larder_libs() {
  echo "$1/liblarder.a -lmicrohttpd -lhiredis -lfyaml -llmdb -lpthread -lm -ldl"
}

# bench_online_store BUILD N: the store of N entities x 20 float32
# features in bench/data/online_N, made once (seeded) and reused by its
# builder, bench/online_lookup.c; prints the folder.
bench_online_store() {
  local build=$1 n=$2 root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  bench_cc "$build" online_lookup bench/online_lookup.c $(larder_libs "$build")
  mkdir -p "$root/bench/data"
  "$build/bench/online_lookup" "$root/bench/data/online_$n" "$n" 0 >&2
  echo "$root/bench/data/online_$n"
}

# bench_redis: a redis-server on a free loopback port, nothing saved (the
# write log of the replication benchmarks); its port in $bench_redis_port.
bench_redis() {
  bench_redis_port=$(free_port)
  bench_start "$bench_tmp/redis.log" redis-server --port "$bench_redis_port" \
    --bind 127.0.0.1 --save '' --appendonly no
  wait_until redis-cli -p "$bench_redis_port" ping
}

# bench_replication ROLE: the `replication:` block of a feature_store.yaml
# for a repo of ROLE (primary or replica) on the log of bench_redis, with
# the snapshots in $bench_tmp/snapshots.
bench_replication() {
  cat <<YAML
replication:
  role: $1
  log: redis://127.0.0.1:$bench_redis_port/0
  snapshots: $bench_tmp/snapshots
YAML
}

# bench_seconds LOG COMMAND...: runs COMMAND (its output to LOG) and
# prints how many seconds it took.
bench_seconds() {
  local log=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.3f}')"
}
