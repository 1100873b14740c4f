#!/usr/bin/env bash
# replication.sh - a primary and N replicas on this machine, the write log
# on a redis-server started here (loopback, nothing saved): push ->
# visible on every replica, and the followers' apply rate
# (bench/replication_lag.c).
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
port=$(free_port)
bench_start "$bench_tmp/redis.log" redis-server --port "$port" \
  --bind 127.0.0.1 --save '' --appendonly no
wait_until redis-cli -p "$port" ping
make_repo() { # NAME ROLE
  local dir=$bench_tmp/$1
  mkdir -p "$dir/data"
  echo "user_id,event_timestamp,a" >"$dir/data/x.csv" # no rows: writes only
  cat >"$dir/feature_store.yaml" <<YAML
project: bench
replication:
  role: $2
  log: redis://127.0.0.1:$port/0
  snapshots: $bench_tmp/snapshots
YAML
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
replica_dirs=()
for i in $(seq "$replicas"); do
  make_repo "replica-$i" replica
  replica_dirs+=("$bench_tmp/replica-$i")
done
"$build/bench/replication_lag" "$bench_tmp/primary" "$pushes" "$rows" \
  "${replica_dirs[@]}"
