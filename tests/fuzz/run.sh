#!/usr/bin/env bash
# run.sh - runs the libFuzzer harnesses built in FUZZ_BUILD (one binary per
# tests/fuzz/NAME.c) against their committed corpora (tests/fuzz/corpus/NAME).
#   tests/fuzz/run.sh test FUZZ_BUILD [SECONDS]   (make test; SECONDS 3)
#     replays every committed input, then fuzzes on for the rest of SECONDS,
#     new inputs going to FUZZ_BUILD/test-corpus/NAME (emptied first); one
#     pass per harness that stays clean. Ends with "fuzz: N passed, N failed".
#   tests/fuzz/run.sh fuzz FUZZ_BUILD SECONDS     (make fuzz)
#     fuzzes each harness SECONDS, growing FUZZ_BUILD/corpus/NAME (new
#     inputs worth committing are there, see docs/internals/testing.md).
# Each harness's line gives the executions it ran; a crash's input lands in
# FUZZ_BUILD/crashes/NAME-*, and its report is printed. A harness may ask
# for more libFuzzer flags with a comment line ` * fuzz-flags: FLAGS`.
set -u
mode=$1
build=$2
seconds=${3:-3}
root=$(cd "$(dirname "$0")/../.." && pwd)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
passed=0
failed=0
mkdir -p "$build/crashes"

# executions LOG: the number of inputs a run executed, from its final stats.
executions() {
  sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$1" | tail -n 1
}

# run_one NAME: replays (test mode) and fuzzes one harness; adds its count.
run_one() {
  local name=$1 bin=$build/$1 corpus=$root/tests/fuzz/corpus/$1
  local scratch=$build/corpus/$1 log=$build/$1.log rc=0 replayed=0
  mkdir -p "$scratch"
  local flags=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1
               "-artifact_prefix=$build/crashes/$name-")
  # shellcheck disable=SC2207 # the flags are words
  flags+=($(sed -n 's/^ \* fuzz-flags: //p' "$root/tests/fuzz/$name.c"))
  # libFuzzer runs every input of both folders before it mutates: in test
  # mode, with the scratch folder emptied first, that is the replay of the
  # committed corpus
  if [ "$mode" = test ]; then
    scratch=$build/test-corpus/$name
    rm -rf "$scratch" && mkdir -p "$scratch"
    replayed=$(ls "$corpus" | wc -l)
  fi
  "$bin" "${flags[@]}" -max_total_time="$seconds" "$scratch" "$corpus" \
    >"$log" 2>&1 || rc=$?
  local n; n=$(executions "$log")
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok fuzz $name: $replayed replayed, ${n:-0} executions in ${seconds}s," \
      "corpus $(ls "$scratch" | wc -l) inputs"
  else
    failed=$((failed + 1))
    grep -v '^INFO\|^#' "$log" | tail -n 40
    echo "FAIL fuzz $name (after ${n:-?} executions): see $log and $build/crashes/"
  fi
}

for src in "$root"/tests/fuzz/*.c; do
  name=$(basename "$src" .c)
  [ -x "$build/$name" ] && run_one "$name"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
