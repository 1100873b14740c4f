#!/usr/bin/env bash
# run.sh - `make bench`: Larder's benchmark suite, each figure beside its
# peer's, measured in one run:
#
#   bench/run.sh BUILD [--quick]
#
#   registry_open    opening a registry of 100 views x 20 features
#   lookup           in-process lookups of 1..1000 entities: raw LMDB reads
#                    (the floor) against Larder; service against refs;
#                    on-demand against plain features (bench/online_lookup.c)
#   http_lookup      the feature server against Redis in Feast's layout, at
#                    1, 8 and 32 connections, closed loop and (1 entity) open
#                    loop at a fixed rate, by one client for both
#                    (bench/http/loadgen.c); the cold start of one lookup
#                    from a fresh process (larder get against redis-cli);
#                    the HTTP floor (a server that only answers) as ceiling;
#                    bytes per entity of each store (bench/server.sh)
#   redis_layout     used_memory per entity of Larder's packed rows on
#                    Redis, one string each or bucketed into hashes, with
#                    Redis' defaults and raised listpack limits, beside
#                    Feast's layout (bench/redis_layout.sh)
#   redis_store_*,   the online store on Redis: used_memory per entity,
#   redis_*          materialize into one server and a 3-master cluster,
#                    lookups beside Feast's layout (bench/redis_store.sh)
#   compact_under_server  `larder compact` while the server answers lookups:
#                    its duration, and the lookups' latency meanwhile against
#                    the same load alone (bench/compact_serve.sh)
#   replication_*    a primary and 3 replicas on Redis Streams (loopback):
#                    push -> visible on every replica, the followers' apply
#                    rate, end to end and catching up (bench/replication.sh)
#   replica_*        a replica of the in-process store: publishing its
#                    snapshot, the bootstrap against cp of the same files
#                    (warm and, as root, cold), lookups on the replica idle
#                    and while it applies 100k rows/s (bench/replica_serve.sh)
#   materialize,     Parquet to the online store; `lr_stats` of the view; a
#   stats,           training set against the
#   historical       same ASOF joins written by hand in DuckDB
#                    (bench/offline.c)
#   materialize_checks, write_checks  a view with five checks against the
#                    same view without (bench/offline.c checks)
#
# Sizes: 10M entities in process, 1M over HTTP, 10M source rows and 1M
# entity rows offline; --quick: 1M, 1M, 1M and 100k, shorter runs (under
# two minutes once the data exists; the full run takes under 15).
# Data is generated once (seeded) in bench/data/ (git-ignored) and reused.
# Writes bench/results/latest.csv (one row per scenario and system),
# latest.md (the summary, with Larder / peer ratios), latest.svg (latency
# percentiles, Larder beside its peer) and latest.log (everything printed).
# Every process started is stopped on exit; servers listen on loopback.
set -euo pipefail
build=${1:-build}
mode=${2:-}
case $mode in
'' | --quick) ;;
*) echo "usage: bench/run.sh BUILD [--quick]" >&2; exit 2 ;;
esac
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
lookup_n=10000000 runs=400000 offline_n=10000000 entity_rows=1000000
if [ "$mode" = --quick ]; then
  lookup_n=1000000 runs=100000 offline_n=1000000 entity_rows=100000
fi
results=bench/results
mkdir -p "$results" bench/data
bench_traps
started=$(date +%s)

# Says on stderr what is being measured, and the time so far.
step() { echo "bench: $* ($(($(date +%s) - started)) s so far)" >&2; }

step "building the benchmarks"
libs=$(larder_libs "$build")
bench_cc "$build" registry_open bench/registry_open.c $libs
bench_cc "$build" online_lookup bench/online_lookup.c $libs
bench_cc "$build" offline bench/offline.c $libs
busy_before=$(busy_pct)
{
  step "registry open"
  timeout 300 "$build/bench/registry_open" 100 20 2000
  step "in-process lookups, $lookup_n entities"
  timeout 1200 "$build/bench/online_lookup" "bench/data/online_$lookup_n" \
    "$lookup_n" "$runs"
  step "HTTP server and Redis, cold start, store sizes"
  timeout 900 bench/server.sh "$build" $mode
  step "Redis layouts: used_memory per entity, 1M entities"
  timeout 900 bench/redis_layout.sh "$build" 1000000
  step "Redis online store: memory, materialize $offline_n, lookups"
  timeout 1500 bench/redis_store.sh "$build" 1000000 "$offline_n" \
    "$((runs / 20))"
  step "compaction under the server, $lookup_n entities"
  timeout 600 bench/compact_serve.sh "$build" "$lookup_n"
  step "replication: push -> visible on 3 replicas, apply rate"
  timeout 300 bench/replication.sh "$build" 3 1000 100000
  step "materialization and training sets"
  timeout 1200 "$build/bench/offline" "bench/data/offline_$offline_n" \
    "$offline_n" "$entity_rows"
  step "checks: materialize with five against none, write 100k rows"
  timeout 1200 "$build/bench/offline" "bench/data/offline_$offline_n" \
    "$offline_n" "$entity_rows" checks
  # last: its cold runs drop the page cache, which the others' data is in
  step "replica of $lookup_n entities: bootstrap against cp, lookups"
  timeout 1200 bench/replica_serve.sh "$build" "$lookup_n" "$((runs * 5))"
} | tee "$results/latest.log"
busy_after=$(busy_pct)

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit+changes"
step "writing the report"
python3 bench/report.py "$results/latest.log" "$results/latest" \
  "date=$(date -u +%Y-%m-%dT%H:%MZ)" "commit=$commit" \
  "mode=${mode:---full}" "seconds=$(($(date +%s) - started))" \
  "cores=$(nproc)" "busy_pct_before=$busy_before" \
  "busy_pct_after=$busy_after" "loadavg=$(cut -d' ' -f1 /proc/loadavg)"
echo "bench: done in $(($(date +%s) - started)) s: $results/latest.md," \
  "latest.csv, latest.svg" >&2
