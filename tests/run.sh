#!/usr/bin/env bash
# Runs every suite and ends with one line: "N passed, N failed".
#   tests/run.sh BUILD ASAN_BUILD [TSAN_BUILD [FUZZ_BUILD]]
# The Criterion suites in BUILD/tests, the data-driven end-to-end cases
# against BUILD/larder, the Python and Rust bindings (bindings/run_tests.sh),
# the web UI in Chromium (tests/ui/run.sh; screenshots to
# BUILD/ui-screenshots/), the exports of BUILD/liblarder.so
# (tests/exports.sh), BUILD used uninstalled and installed into a scratch
# prefix (tests/install.sh), then the Criterion
# suites again as built with -fsanitize=address,undefined in ASAN_BUILD/tests,
# the thread suite as built with -fsanitize=thread in TSAN_BUILD/tests (a
# race fails its test), the frontend suite against TSAN_BUILD/larder, and the fuzz harnesses of FUZZ_BUILD over their
# corpora, a few seconds each (tests/fuzz/run.sh).
set -u
build=${1:-build}
asan=${2:-build/asan}
tsan=${3:-}
fuzz=${4:-}
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0

# run_criterion BINARY LABEL: adds the suite's Passing and Failing+Crashing.
run_criterion() {
  local bin=$1 label=$2 out synth
  out=$("$bin" --jobs 1 2>&1)
  local rc=$?
  synth=$(printf '%s\n' "$out" | grep 'Synthesis:' | tail -n 1)
  if [ -z "$synth" ]; then
    printf '%s\n' "$out"
    echo "FAIL $label: no Criterion summary (exit $rc)"
    failed=$((failed + 1))
    return
  fi
  local p f c
  p=$(printf '%s' "$synth" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
  f=$(printf '%s' "$synth" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
  c=$(printf '%s' "$synth" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
  passed=$((passed + p))
  failed=$((failed + f + c))
  if [ "$f" != 0 ] || [ "$c" != 0 ] || [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | grep -v '^\[----\] *$' | tail -n 40
    [ "$f" = 0 ] && [ "$c" = 0 ] && failed=$((failed + 1))
  fi
  echo "$label: $p passed, $((f + c)) failed"
}

for t in "$build"/tests/test_*; do
  [ -x "$t" ] && run_criterion "$t" "unit $(basename "$t")"
done

# run_summarized LABEL COMMAND...: runs a runner that ends with "LABEL: N
# passed, N failed", shows its output but for `ok ...` lines, adds its counts.
run_summarized() {
  local label=$1 out p f
  shift
  out=$("$@" 2>&1)
  printf '%s\n' "$out" | grep -v '^ok '
  p=$(printf '%s\n' "$out" | sed -n "s/^$label: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p")
  f=$(printf '%s\n' "$out" | sed -n "s/^$label: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p")
  if [ -z "$p" ]; then
    echo "FAIL $label: the runner printed no summary"
    failed=$((failed + 1))
  else
    passed=$((passed + p))
    failed=$((failed + f))
  fi
}

run_summarized e2e "$root/tests/e2e/run.sh" "$build/larder"
run_summarized ui "$root/tests/ui/run.sh" "$build"
run_summarized bindings "$root/bindings/run_tests.sh" "$build"
run_summarized exports "$root/tests/exports.sh" "$build"
run_summarized install "$root/tests/install.sh" "$build"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# test_crash drives the plain build/larder in child processes and kills
# them: its ASan build would only sanitize the harness, at twice the time.
for t in "$asan"/tests/test_*; do
  [ "$(basename "$t")" = test_crash ] && continue
  [ -x "$t" ] && run_criterion "$t" "asan $(basename "$t")"
done

if [ -n "$tsan" ]; then
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  for t in "$tsan"/tests/test_*; do
    [ -x "$t" ] && run_criterion "$t" "tsan $(basename "$t")"
  done
  # The frontend suite against `larder serve` built with TSan: a race
  # aborts the server, whose exit status the suite asserts.
  [ -x "$tsan/larder" ] && LARDER_BIN="$tsan/larder" \
    run_criterion "$build/tests/test_frontend" "tsan larder serve (test_frontend)"
fi
[ -n "$fuzz" ] && run_summarized fuzz "$root/tests/fuzz/run.sh" test "$fuzz" 3

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
