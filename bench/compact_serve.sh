#!/usr/bin/env bash
# compact_serve.sh - `larder compact` of a store while `larder serve`
# answers lookups: the compaction's duration and the latency of the lookups
# answered meanwhile, against the same load without a compaction.
#
#   bench/compact_serve.sh [BUILD] [N]      (N: 1000000 or 10000000)
#
# Works on a copy of bench/data/online_N (bench_online_store: made once,
# then reused) in a scratch folder, so the benchmark stores stay as they
# are. The load is `larder bench --http` (20 features, random keys over the
# N entities, 2 threads) for 10 s; in the second run `larder compact`
# starts 3 s in. Prints report rows (bench/common.h); every process it
# starts is stopped by pid on exit.
set -euo pipefail
build=${1:-build}
n=${2:-10000000}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_traps
src=$(bench_online_store "$build" "$n")
repo=$bench_tmp/repo
cp -r "$src" "$repo"
larder=$root/$build/larder
port=$(free_port)
bench_start "$bench_tmp/serve.log" "$larder" -c "$repo" serve --threads 2 \
  --port "$port"
wait_until grep -q 'Serving .* on http' "$bench_tmp/serve.log"
features=$(python3 -c 'print(",".join(f"user_stats:f{i:02d}" for i in range(20)))')
load() { # LOG
  "$larder" -c "$repo" bench --http "http://127.0.0.1:$port" \
    --features "$features" --random "$n" --threads 2 --duration 10s \
    --warmup 1s >"$1" 2>&1
}
load "$bench_tmp/idle.txt"
load "$bench_tmp/during.txt" &
loader=$!
sleep 4 # the warm-up, then 3 s of load
start=$(date +%s.%N)
"$larder" -c "$repo" compact >"$bench_tmp/compact.txt"
end=$(date +%s.%N)
wait "$loader"
echo "# compact: $(cat "$bench_tmp/compact.txt")"
echo "csv:compact_under_server,larder,entities=$n,$(python3 -c "print(f'{$end - $start:.2f}')"),,,,,,s; -"
for run in idle during; do
  sed 's/^/# /' "$bench_tmp/$run.txt"
  python3 - "$run" "$n" "$bench_tmp/$run.txt" <<'PY'
import re, sys
run, n, path = sys.argv[1:]
text = open(path).read()
def us(name):
    m = re.search(name + r" ([0-9.]+) (us|ms|s)\b", text)
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]
rps = re.search(r"([0-9.]+) lookups/s", text).group(1)
figures = ",".join(f"{us(k):.1f}" for k in ("p50", "p90", "p99", "p999", "max"))
print(f"csv:http_lookup_{run}_compact,larder,entities={n} threads=2,{rps},{figures},requests/s; us")
PY
done
echo "# server moved to: $(curl -s "http://127.0.0.1:$port/health")"
