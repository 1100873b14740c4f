#!/usr/bin/env bash
# `make bench`: builds the benchmarks with optimizations and runs them.
#   bench/run.sh BUILD [--quick]
# Data is generated once (seeded) into bench/data/ (git-ignored) and reused.
# --quick uses 1M entities instead of 10M. Results go to stdout and to
# bench/results/latest.txt.
set -euo pipefail
build=${1:-build}
mode=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
entities=10000000
runs=400000
if [ "$mode" = "--quick" ]; then entities=1000000; runs=200000; fi
libs="$build/liblarder.a -lfyaml -llmdb -lpthread -lm -ldl"
duckdb_inc="-I$root/third_party/duckdb/include"
mkdir -p "$build/bench" "$root/bench/results" "$root/bench/data"
for b in registry_open online_lookup offline; do
  cc -std=c11 -D_GNU_SOURCE -O2 -I"$root/include" -I"$root/src" $duckdb_inc \
    -o "$build/bench/$b" "$root/bench/$b.c" $libs
done
entity_rows=1000000
[ "$mode" = "--quick" ] && entity_rows=100000
{
  echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, entities=$entities"
  "$build/bench/registry_open" 100 20 2000
  "$build/bench/online_lookup" "$root/bench/data/online_$entities" "$entities" "$runs"
  "$build/bench/offline" "$root/bench/data/offline_$entities" "$entities" "$entity_rows"
  "$root/bench/server.sh" "$build" $mode
} | tee "$root/bench/results/latest.txt"
