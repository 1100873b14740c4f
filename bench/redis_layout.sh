#!/usr/bin/env bash
# redis_layout.sh - used_memory per entity of the layouts a Redis online
# store could use (issue 17; docs/internals/redis.md, "layout: the
# figures"), for N entities x 20 float32 features, each on a fresh
# redis-server (loopback, nothing saved), loaded with `redis-cli --pipe`:
#
#   bench/redis_layout.sh BUILD [N]      (N: 1,000,000 by default)
#
#   larder_rows        one string per entity, the packed row (bench/redis_layout.c)
#   larder_rows_ttl    the same with an expiry (SET ... PXAT) on each key
#   larder_buckets_F   hashes of ~F entities, field = encoded key, value =
#                      the row, with hash-max-listpack-entries raised above
#                      the largest bucket and hash-max-listpack-value to 128
#                      (above the 92-byte row), so every hash is a listpack
#   larder_buckets_100_defaults  the same with Redis' defaults (128 entries,
#                      64 bytes: the rows do not fit, the hashes are tables)
#   feast              Feast's layout (`loadgen redis-gen`, bench/http/loadgen_redis.c)
#
# Prints report rows `csv:redis_layout,SYSTEM,entities=N features=20,BYTES,
# ...` (bytes of used_memory above the empty server, per entity) and a note
# per server: its settings, used_memory, keys, and how many keys have each
# encoding.
set -euo pipefail
build=${1:-build}
n=${2:-1000000}
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
bench_traps
read -r -a libs <<<"$(larder_libs "$build")"
bench_cc "$build" redis_layout bench/redis_layout.c "${libs[@]}"
make --no-print-directory -s BUILD="${build%/}" "${build%/}/bench/loadgen"
bin=$build/bench

# used_memory of the server on $port.
used_memory() {
  redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)/\1/p'
}

# measure SYSTEM SETTINGS GENERATOR...: a fresh server with SETTINGS
# ("name value ..." config options, or "defaults"), loaded by GENERATOR's
# output through redis-cli --pipe; prints its row and notes, stops it.
measure() {
  local system=$1 settings=$2 empty full pid
  shift 2
  port=$(free_port)
  local opts=()
  [ "$settings" != defaults ] && read -r -a opts <<<"$settings"
  local args=()
  for ((i = 0; i < ${#opts[@]}; i += 2)); do
    args+=("--${opts[i]}" "${opts[i + 1]}")
  done
  bench_start "$bench_tmp/redis-$system.log" redis-server --port "$port" \
    --bind 127.0.0.1 --save '' --appendonly no --dir "$bench_tmp" "${args[@]}"
  pid=$bench_last_pid
  wait_until redis-cli -p "$port" ping
  empty=$(used_memory)
  "$@" | redis-cli -p "$port" --pipe >"$bench_tmp/pipe.txt"
  grep -q 'errors: 0' "$bench_tmp/pipe.txt" || { cat "$bench_tmp/pipe.txt" >&2; exit 1; }
  full=$(used_memory)
  local keys encodings
  keys=$(redis-cli -p "$port" dbsize)
  encodings=$(redis-cli -p "$port" eval "$count_encodings" 0 | paste -sd ' ')
  echo "csv:redis_layout,$system,entities=$n features=20,$(python3 -c "print(f'{($full - $empty) / $n:.1f}')"),,,,,,bytes/entity; -"
  echo "# redis_layout $system ($settings): used_memory=$full empty=$empty keys=$keys encodings: $encodings"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

# How many keys have each encoding (a Lua SCAN over the whole keyspace):
# "ENCODING=COUNT" lines.
count_encodings='
local counts, cursor = {}, "0"
repeat
  local r = redis.call("SCAN", cursor, "COUNT", 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    local e = redis.call("OBJECT", "ENCODING", k)
    counts[e] = (counts[e] or 0) + 1
  end
until cursor == "0"
local out = {}
for e, c in pairs(counts) do out[#out + 1] = e .. "=" .. c end
return out'

raw=$((20 * 4 + 8))
echo "csv:redis_layout,raw,entities=$n features=20,$raw.0,,,,,,bytes/entity; -"
measure larder_rows defaults "$bin/redis_layout" rows "$n"
measure larder_rows_ttl defaults "$bin/redis_layout" rows "$n" 86400
measure larder_buckets_100_defaults defaults "$bin/redis_layout" buckets "$n" 100
measure larder_buckets_100 "hash-max-listpack-entries 256 hash-max-listpack-value 128" \
  "$bin/redis_layout" buckets "$n" 100
measure larder_buckets_50 "hash-max-listpack-entries 128 hash-max-listpack-value 128" \
  "$bin/redis_layout" buckets "$n" 50
measure larder_buckets_200 "hash-max-listpack-entries 512 hash-max-listpack-value 128" \
  "$bin/redis_layout" buckets "$n" 200
measure feast defaults "$bin/loadgen" redis-gen "$n"
