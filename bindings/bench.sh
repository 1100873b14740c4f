#!/usr/bin/env bash
# bench.sh - the bindings' overhead: the same lookups timed from C
# (bindings/bench/lookup.c), from Rust (rust/examples/bench_lookup.rs) and
# from Python (python/bench_lookup.py, LOOKUPS/20 of them), in turn, ROUNDS
# times each, on the example repo of `larder init` with its latest hour
# written online. Prints every round, then the medians.
#   bindings/bench.sh [BUILD] [ROUNDS] [LOOKUPS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
rounds=${2:-5}
lookups=${3:-200000}
repo=$build/bindings/bench-repo
export CARGO_TARGET_DIR=$build/cargo LARDER_LIB_DIR=$build

if [ ! -f "$repo/data/registry.db" ]; then
  rm -rf "$repo"
  "$build/larder" init "$repo" >/dev/null
  "$build/larder" -c "$repo" apply >/dev/null
  "$build/larder" -c "$repo" write driver_hourly_stats \
    "$repo/data/driver_stats_latest.csv" >/dev/null
fi
# shellcheck disable=SC2046  # pkg-config prints several flags
cc -O2 -I"$root/include" -o "$build/bindings/bench_lookup_c" \
  "$root/bindings/bench/lookup.c" "$build/liblarder.a" \
  $(sed -n 's/^Libs.private: //p' "$build/larder.pc")
(cd "$root/bindings/rust" &&
  cargo build --quiet --offline --release --example bench_lookup)

out=$build/bindings/bench.txt
: >"$out"
for _ in $(seq "$rounds"); do
  "$build/bindings/bench_lookup_c" "$repo" "$lookups" | tee -a "$out"
  "$build/cargo/release/examples/bench_lookup" "$repo" "$lookups" | tee -a "$out"
  LARDER_LIB=$build/liblarder.so python3 "$root/bindings/python/bench_lookup.py" \
    "$repo" $((lookups / 20)) | tee -a "$out"
done
echo "medians over $rounds rounds:"
for lang in c rust python; do
  for batch in 1 100; do
    for stat in p50_ns p99_ns mean_ns; do
      grep "^$lang batch=$batch " "$out" |
        sed -n "s/.* $stat=\([0-9]*\).*/\1/p" | sort -n |
        awk -v n="$rounds" 'NR == int((n + 1) / 2) { printf "%s ", $1 }'
    done | awk -v l="$lang" -v b="$batch" \
      '{ printf "%-6s batch=%-3s p50_ns=%s p99_ns=%s mean_ns=%s\n", l, b, $1, $2, $3 }'
  done
done
