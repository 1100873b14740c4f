#!/usr/bin/env bash
# redis_store.sh - Larder's online store on Redis (issue 17): used_memory
# per entity, materialization into it and lookups from it, beside Feast's
# layout on the same Redis, each on a fresh redis-server (loopback,
# nothing saved):
#
#   bench/redis_store.sh BUILD [N_MEMORY [N_MATERIALIZE [RUNS]]]
#       (1,000,000, 10,000,000 and 20,000 by default)
#
#   memory       N_MEMORY users x 20 float32 materialized from Parquet
#                (bench/offline.c's latest.parquet) into buckets of ~100
#                users, with the settings docs/internals/redis.md
#                documents (hash-max-listpack-entries 256,
#                hash-max-listpack-value 128) and with Redis' defaults;
#                Feast's layout of the same users (`loadgen redis-gen`)
#   materialize  N_MATERIALIZE users into buckets of ~100 (rows/s), into
#                one server and into a 3-master cluster on this machine
#   lookup       lr_get_online_features of 1, 10 and 100 random users on
#                the N_MEMORY store, and the same lookups of Feast's layout
#                loaded into the same server, with one pipelined batch of
#                HMGETs through Larder's Redis client, the two alternating
#                (bench/redis_store.c)
#
# Prints report rows (bench/common.h): redis_store_memory (bytes/entity),
# redis_materialize (rows/s), redis_lookup (lookups/s and latency).
set -euo pipefail
build=${1:-build}
n_mem=${2:-1000000}
n_mat=${3:-10000000}
runs=${4:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_traps
read -r -a libs <<<"$(larder_libs "$build")"
bench_cc "$build" redis_store bench/redis_store.c bench/http/loadgen_redis.c \
  "${libs[@]}"
bench_cc "$build" offline bench/offline.c "${libs[@]}"
make --no-print-directory -s BUILD="${build%/}" "${build%/}/bench/loadgen"
bin=$build/bench
listpack="--hash-max-listpack-entries 256 --hash-max-listpack-value 128"

# source N: the Parquet file of N users, made once (seeded) by
# bench/offline.c with the sizes bench/run.sh uses, so its data is shared.
source_of() {
  local n=$1 rows=100000
  [ "$n" -ge 10000000 ] && rows=1000000
  "$bin/offline" "$root/bench/data/offline_$n" "$n" "$rows" stats >/dev/null
  echo "$root/bench/data/offline_$n/data/latest.parquet"
}

# start_server [OPTIONS...]: a fresh redis-server; its port in $port.
start_server() {
  port=$(free_port)
  # shellcheck disable=SC2068
  bench_start "$bench_tmp/redis-$port.log" redis-server --port "$port" \
    --bind 127.0.0.1 --save '' --appendonly no --dir "$bench_tmp" $@
  server_pid=$bench_last_pid
  wait_until redis-cli -p "$port" ping
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
}

used_memory() {
  redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)/\1/p'
}

# memory_row SYSTEM N EMPTY: the row of used_memory above EMPTY per entity.
memory_row() {
  local full keys
  full=$(used_memory)
  keys=$(redis-cli -p "$port" dbsize)
  echo "csv:redis_store_memory,$1,entities=$2 features=20,$(python3 -c "print(f'{($full - $3) / $2:.1f}')"),,,,,,bytes/entity; -"
  echo "# redis_store_memory $1: used_memory=$full empty=$3 keys=$keys"
}

# load_feast: Feast's layout of the N_MEMORY users into the server.
load_feast() {
  "$bin/loadgen" redis-gen "$n_mem" | redis-cli -p "$port" --pipe >"$bench_tmp/pipe.txt"
  grep -q 'errors: 0' "$bench_tmp/pipe.txt" || { cat "$bench_tmp/pipe.txt" >&2; exit 1; }
}

mem_source=$(source_of "$n_mem")
for settings in listpack defaults; do
  if [ $settings = listpack ]; then start_server $listpack; else start_server; fi
  empty=$(used_memory)
  "$bin/redis_store" materialize "$bench_tmp/repo_$settings" "$mem_source" \
    "$port" $((n_mem / 100))
  memory_row "larder_$settings" "$n_mem" "$empty"
  if [ $settings = listpack ]; then
    load_feast
    "$bin/redis_store" lookup "$bench_tmp/repo_$settings" "$port" "$n_mem" \
      "$runs"
  fi
  stop_server
done

start_server
empty=$(used_memory)
load_feast
memory_row feast_layout "$n_mem" "$empty"
stop_server

mat_source=$(source_of "$n_mat")
start_server $listpack
"$bin/redis_store" materialize "$bench_tmp/repo_mat" "$mat_source" "$port" \
  $((n_mat / 100))
echo "# redis_materialize: used_memory=$(used_memory) keys=$(redis-cli -p "$port" dbsize)"
stop_server

# start_cluster: three masters (no replicas) on fresh ports, joined by
# `redis-cli --cluster create`; their ports in $ports (comma-separated).
start_cluster() {
  local addrs=() list=() p i
  for i in 1 2 3; do
    p=$(free_port)
    mkdir -p "$bench_tmp/node-$p"
    # shellcheck disable=SC2086
    bench_start "$bench_tmp/redis-$p.log" redis-server --port "$p" \
      --bind 127.0.0.1 --save '' --appendonly no --dir "$bench_tmp/node-$p" \
      --cluster-enabled yes --cluster-port "$(free_port)" $listpack
    wait_until redis-cli -p "$p" ping
    addrs+=("127.0.0.1:$p")
    list+=("$p")
  done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 \
    --cluster-yes >"$bench_tmp/create.txt"
  for p in "${list[@]}"; do
    wait_until sh -c "redis-cli -p $p cluster info | grep -q cluster_state:ok"
  done
  ports=$(IFS=,; echo "${list[*]}")
}

start_cluster
"$bin/redis_store" materialize "$bench_tmp/repo_cluster" "$mat_source" \
  "$ports" $((n_mat / 100))
