#!/usr/bin/env bash
# `make bench`: builds the benchmarks with optimizations and runs them.
#   bench/run.sh BUILD
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build/bench" "$root/bench/results"
cc -std=c11 -D_GNU_SOURCE -O2 -I"$root/include" -o "$build/bench/registry_open" \
  "$root/bench/registry_open.c" "$build/liblarder.a" -lfyaml
"$build/bench/registry_open" 100 20 2000 | tee "$root/bench/results/registry_open.txt"
