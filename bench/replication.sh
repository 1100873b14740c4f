#!/usr/bin/env bash
# replication.sh - a primary and N replicas on this machine, the write log
# on a redis-server started here (loopback, nothing saved): push ->
# visible on every replica, and the followers' apply rate, end to end and
# catching up (bench/replication_lag.c).
#
#   bench/replication.sh [BUILD] [REPLICAS=3] [PUSHES=1000] [ROWS=100000]
#
# Every process it starts is stopped by pid on exit (bench/lib.sh).
set -euo pipefail
build=${1:-build}
replicas=${2:-3} pushes=${3:-1000} rows=${4:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_traps
larder=$root/$build/larder
bench_cc "$build" replication_lag bench/replication_lag.c $(larder_libs "$build")
bench_redis
make_repo() { # NAME ROLE
  local dir=$bench_tmp/$1
  mkdir -p "$dir/data"
  echo "user_id,event_timestamp,a" >"$dir/data/x.csv" # no rows: writes only
  { echo "project: bench"; bench_replication "$2"; } >"$dir/feature_store.yaml"
  cat >"$dir/defs.yaml" <<'YAML'
entities:
  - {name: user, join_keys: [user_id], value_type: int64}
sources:
  - {name: src, kind: file, path: data/x.csv, timestamp_field: event_timestamp}
feature_views:
  - name: stats
    entities: [user]
    source: src
    schema:
      - {name: a, dtype: int64}
YAML
  "$larder" -c "$dir" apply >/dev/null
  bench_start "$bench_tmp/$1.log" "$larder" -c "$dir" replicate
}
make_repo primary primary
replica_dirs=() pids=("$bench_last_pid")
for i in $(seq "$replicas"); do
  make_repo "replica-$i" replica
  replica_dirs+=("$bench_tmp/replica-$i")
  pids+=("$bench_last_pid")
done
"$build/bench/replication_lag" "$bench_tmp/primary" "$pushes" "$rows" \
  "$(IFS=,; echo "${pids[*]}")" "${replica_dirs[@]}"
