#!/usr/bin/env bash
# replica_serve.sh - a replica of the N-entity store: its bootstrap from a
# snapshot against `cp` of the snapshot's files, then lookups on it idle
# and while its follower applies a paced stream of writes
# (bench/replica_lookup.c).
#
#   bench/replica_serve.sh [BUILD] [N] [RUNS] [ROWS_PER_S] [runs|random]
#
# The primary is a copy of bench/data/online_N (bench_online_store) with a
# `replication:` block, its log on a redis-server started here. `larder
# publish` makes the snapshot (timed), one shipper round logs it. Then,
# three times each: `larder replicate --once` on an empty replica (the
# bootstrap: the copy hashed, checked and installed), and `cp` of the
# snapshot's data.mdb and registry.db into a folder on the same file
# system, alone and followed by `sync` of the two files (the bootstrap
# syncs what it copies). Warm: the snapshot's files are read once first.
# Cold: the page cache is dropped before each run, when this user may
# (root); otherwise the rows say skipped. Every process it starts is
# stopped by pid on exit (bench/lib.sh).
set -euo pipefail
build=${1:-build}
n=${2:-10000000} runs=${3:-1000000} rate=${4:-100000} keys=${5:-runs}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_traps
larder=$root/$build/larder
bench_cc "$build" replica_lookup bench/replica_lookup.c $(larder_libs "$build")
src=$(bench_online_store "$build" "$n")
bench_redis
primary=$bench_tmp/primary replica=$bench_tmp/replica
cp -r "$src" "$primary"
{ echo "project: bench"; bench_replication primary; } \
  >"$primary/feature_store.yaml"

# An empty replica with the primary's definitions.
make_replica() {
  rm -rf "$replica"
  mkdir -p "$replica/data"
  cp "$src/data/stats.csv" "$replica/data/" # the columns, no rows
  cp "$src/features.yaml" "$replica/"
  { echo "project: bench"; bench_replication replica; } \
    >"$replica/feature_store.yaml"
  "$larder" -c "$replica" apply >/dev/null
}

# Drops the page cache (after writing back what is dirty); fails when this
# user may not.
drop_cache() {
  sync
  echo 3 2>/dev/null >/proc/sys/vm/drop_caches
}

secs=$(bench_seconds "$bench_tmp/publish.log" "$larder" -c "$primary" publish)
snap=$bench_tmp/snapshots/$(cat "$bench_tmp/snapshots/LATEST")
bytes=$(stat -c %s "$snap/data.mdb")
echo "csv:replica_publish,larder,entities=$n,$(python3 -c "print(f'{$bytes / 1e6 / $secs:.1f}')"),,,,,$secs,MB/s; s"
"$larder" -c "$primary" replicate --once >/dev/null # logs the snapshot

# One run of each way of copying, in `cache` (warm or cold); appends the
# seconds to the lists larder_s, cp_s and cp_sync_s.
run_copies() {
  local cache=$1 out=$bench_tmp/cp s
  make_replica
  if [ "$cache" = warm ]; then cat "$snap"/* >/dev/null; sync; else drop_cache; fi
  s=$(bench_seconds "$bench_tmp/boot.log" "$larder" -c "$replica" \
    replicate --once)
  grep -q ', 1 bootstraps$' "$bench_tmp/boot.log" || {
    echo "replica_serve.sh: the replica did not bootstrap:" >&2
    cat "$bench_tmp/boot.log" >&2
    exit 1
  }
  larder_s+=("$s")
  for way in cp cp_sync; do
    rm -rf "$out" && mkdir -p "$out"
    if [ "$cache" = warm ]; then cat "$snap"/* >/dev/null; sync; else drop_cache; fi
    if [ $way = cp ]; then
      s=$(bench_seconds /dev/null cp "$snap/data.mdb" "$snap/registry.db" \
        "$out/")
      cp_s+=("$s")
    else
      s=$(bench_seconds /dev/null sh -c 'cp "$1/data.mdb" "$1/registry.db" "$2/" &&
        sync "$2/data.mdb" "$2/registry.db"' - "$snap" "$out")
      cp_sync_s+=("$s")
    fi
  done
  rm -rf "$out"
}

# The rows of one cache state: the median of the runs, each run noted.
report_copies() {
  local cache=$1
  python3 - "$n" "$cache" "$bytes" "${larder_s[*]}" "${cp_s[*]}" \
    "${cp_sync_s[*]}" <<'PY'
import statistics, sys
n, cache, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
for system, runs in zip(["larder", "cp", "cp_sync"], sys.argv[4:]):
    s = [float(x) for x in runs.split()]
    print(f"# bootstrap {cache}, {system}: " + ", ".join(f"{x:.2f}" for x in s) + " s")
    m = statistics.median(s)
    print(f"csv:replica_bootstrap,{system},entities={n} cache={cache},"
          f"{size / 1e6 / m:.1f},,,,,{m:.3f},MB/s; s")
PY
}

for cache in warm cold; do
  larder_s=() cp_s=() cp_sync_s=()
  if [ $cache = cold ] && ! drop_cache; then
    for system in larder cp cp_sync; do
      echo "csv:replica_bootstrap,$system,entities=$n cache=cold,,,,,,skipped: this user may not drop the page cache"
    done
    continue
  fi
  for _ in 1 2 3; do run_copies $cache; done
  report_copies $cache
done

# Lookups on the last replica bootstrapped, with both sides replicating.
bench_start "$bench_tmp/primary.log" "$larder" -c "$primary" replicate
bench_start "$bench_tmp/replica.log" "$larder" -c "$replica" replicate
"$build/bench/replica_lookup" "$primary" "$replica" "$n" "$runs" "$rate" \
  "$keys"
