#!/usr/bin/env bash
# profile.sh - `make profile`: Larder's hot paths under a profiler, so that
# a regression the benchmarks show can be traced to a function:
#
#   bench/profile.sh BUILD        (PROFILER=perf|callgrind to choose)
#
#   lookup_1       in-process lookups, 1 entity x 20 features
#                  (`larder bench --service all_stats --batch 1`)
#   lookup_100     the same, 100 entities per lookup
#   server         `larder serve` answering POST /get-online-features,
#                  loaded by `larder bench --http` (4 connections)
#   materialize    `larder materialize` of 1M entities x 20 features from
#                  Parquet into an empty online store (under callgrind, the
#                  first hour of the source: ~40k entities)
#
# perf records with DWARF call graphs (cpu-clock sampling; no special
# build); when it cannot record (perf missing, or kernel.perf_event_paranoid
# forbidding it), valgrind's callgrind runs the same paths, shorter (it is
# ~50x slower). The summary says which ran and why. Writes, in
# BUILD/profile/: NAME.data or NAME.callgrind (open with `perf report -i`
# or callgrind_annotate / kcachegrind), NAME.txt (the full report) and
# summary.txt (the top functions of each path). Data: bench/data, as made
# by `make bench` (made here when missing). Every process started is
# stopped on exit; the server listens on loopback.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
out=$build/profile
online=bench/data/online_1000000
offline=bench/data/offline_1000000
bench_traps
mkdir -p "$out"
rm -f "$out"/*.data "$out"/*.callgrind "$out"/*.txt

# ---- which profiler --------------------------------------------------------------
profiler=${PROFILER:-auto}
why=""
if [ "$profiler" = auto ]; then
  if command -v perf >/dev/null &&
     perf record -q -o "$bench_tmp/probe.data" -- true >/dev/null 2>&1; then
    profiler=perf
    why="perf records here"
  elif command -v valgrind >/dev/null; then
    profiler=callgrind
    why="perf cannot record here ($(command -v perf >/dev/null && echo \
      "kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)" ||
      echo "perf is not installed"))"
  else
    echo "profile.sh: neither perf nor valgrind can profile here" \
      "(apt-get install linux-perf valgrind)" >&2
    exit 1
  fi
else
  why="chosen with PROFILER=$profiler"
fi
case $profiler in
perf) secs=5 ;;
callgrind) secs=2 ;;
*) echo "profile.sh: PROFILER is perf or callgrind, not '$profiler'" >&2; exit 2 ;;
esac
echo "profile: $profiler ($why)" >&2

# ---- data --------------------------------------------------------------------------
libs=$(larder_libs "$build")
bench_cc "$build" online_lookup bench/online_lookup.c $libs
"$build/bench/online_lookup" "$online" 1000000 0
if [ "$(cat "$offline/generated" 2>/dev/null)" != "1000000 100000" ]; then
  bench_cc "$build" offline bench/offline.c $libs
  "$build/bench/offline" "$offline" 1000000 100000 >"$out/offline_data.log"
fi

# ---- recording ---------------------------------------------------------------------
# Why a path could not be profiled, by name.
declare -A failed

# fail NAME LOG: records the last line of LOG as NAME's failure; under
# callgrind, explains the usual one.
fail() {
  failed[$1]="$(tail -n 1 "$2")"
  if [ "$profiler" = callgrind ] && grep -q 'online store' "$2"; then
    failed[$1]+=" (valgrind cannot reserve the 256 GiB of address space"
    failed[$1]+=" the online store maps: use perf)"
  fi
}

# record NAME COMMAND...: profiles COMMAND from its start to its exit.
record() {
  local name=$1
  shift
  if [ "$profiler" = perf ]; then
    perf record -q -F 499 --call-graph dwarf,16384 -o "$out/$name.data" \
      -- "$@" >"$out/$name.log" 2>&1 || fail "$name" "$out/$name.log"
  else
    valgrind -q --tool=callgrind --callgrind-out-file="$out/$name.callgrind" \
      "$@" >"$out/$name.log" 2>&1 || fail "$name" "$out/$name.log"
  fi
}

lookup_args=(-c "$online" bench --service all_stats --random 1000000
  --duration "${secs}s" --warmup 1s)
record lookup_1 "$build/larder" "${lookup_args[@]}" --batch 1
record lookup_100 "$build/larder" "${lookup_args[@]}" --batch 100

# The server: started alone (under callgrind from its start), then loaded
# by larder bench --http, which is not profiled.
profile_server() {
  local cmd=("$build/larder" -c "$online" serve --port 0 --threads 2)
  [ "$profiler" = callgrind ] && cmd=(valgrind -q --tool=callgrind
    "--callgrind-out-file=$out/server.callgrind" "${cmd[@]}")
  bench_start "$out/server.log" "${cmd[@]}"
  local server=$bench_last_pid port load
  if ! wait_until grep -q 'Serving .* on http' "$out/server.log"; then
    fail server "$out/server.log"
    return
  fi
  port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out/server.log")
  bench_start "$out/server_load.log" "$build/larder" -c "$online" bench \
    --service all_stats --random 1000000 --threads 4 --warmup 0 \
    --duration "$((secs + 2))s" --http "http://127.0.0.1:$port"
  load=$bench_last_pid
  sleep 1
  if [ "$profiler" = perf ]; then
    perf record -q -F 499 --call-graph dwarf,16384 -o "$out/server.data" \
      -p "$server" -- sleep "$secs" >/dev/null 2>&1
  fi
  wait "$load" || fail server "$out/server_load.log"
  kill -TERM "$server"
  wait "$server" || true
}
profile_server

# all of the source's rows (one day); under callgrind its first hour
window=(2000-01-01 2100-01-01)
[ "$profiler" = callgrind ] && window=(2024-01-01T00:00:00Z 2024-01-01T01:00:00Z)
rm -rf "$offline/data/online"
record materialize "$build/larder" -c "$offline" materialize "${window[@]}" \
  --views stats

# ---- reports -------------------------------------------------------------------------
# report NAME: NAME.txt (full) and the two listings the summary reads.
report() {
  local name=$1
  if [ "$profiler" = perf ]; then
    # --no-inline: inlined functions count in their caller (resolving
    # inlines in libduckdb takes minutes)
    local common=(-i "$out/$name.data" --stdio --no-inline)
    perf report "${common[@]}" --no-children -g none --sort dso,symbol \
      --percent-limit 0.1 >"$bench_tmp/self.txt" 2>/dev/null
    perf report "${common[@]}" --children -g none --sort dso,symbol \
      --percent-limit 0.5 >"$bench_tmp/total.txt" 2>/dev/null
    perf report "${common[@]}" --children --sort symbol -g caller,0.5,callee \
      --percent-limit 2 >"$out/$name.txt" 2>/dev/null
  else
    callgrind_annotate --inclusive=no "$out/$name.callgrind" \
      >"$bench_tmp/self.txt" 2>/dev/null
    callgrind_annotate --inclusive=yes "$out/$name.callgrind" \
      >"$bench_tmp/total.txt" 2>/dev/null
    cp "$bench_tmp/total.txt" "$out/$name.txt"
  fi
  python3 bench/profile_summary.py "$profiler" "$bench_tmp/self.txt" \
    "$bench_tmp/total.txt"
}

titles=(
  "lookup_1|in-process lookups, 1 entity x 20 float32 features (larder bench --batch 1)"
  "lookup_100|in-process lookups, 100 entities x 20 features (larder bench --batch 100)"
  "server|larder serve: POST /get-online-features, 1 entity, 4 connections"
  "materialize|larder materialize: 1M entities x 20 features, Parquet to LMDB"
)
{
  echo "make profile: $profiler ($why); $(date -u +%Y-%m-%dT%H:%MZ)," \
    "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
    "load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores"
  echo "Per path: the full report in $out/NAME.txt, the recording in" \
    "$out/NAME.$([ "$profiler" = perf ] && echo data || echo callgrind);" \
    "inlined functions count in their caller."
  for entry in "${titles[@]}"; do
    name=${entry%%|*}
    echo
    echo "== $name: ${entry#*|}"
    if [ -n "${failed[$name]:-}" ]; then
      echo "  not profiled: ${failed[$name]}"
    else
      report "$name"
    fi
  done
} >"$out/summary.txt"
cat "$out/summary.txt"
