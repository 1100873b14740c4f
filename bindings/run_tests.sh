#!/usr/bin/env bash
# run_tests.sh - the bindings' suites, as tests/run.sh runs them: the Python
# unittest suite, `cargo test` of the Rust crate and the Rust example
# (predict) on a fresh `larder init` repo, all against BUILD's library.
# Ends with one line: "bindings: N passed, N failed". A missing python3 or
# cargo is reported as a SKIP line and counted neither way. Python is
# $PYTHON, else Debian's /usr/bin/python3 (the one python3-pandas, from
# scripts/deps.sh, installs into; a python3 earlier on PATH may not see it),
# else python3; without pandas its pandas tests are skipped, with a reason.
#   bindings/run_tests.sh [BUILD]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
export LARDER_LIB=$build/liblarder.so LARDER_BIN=$build/larder
export LARDER_LIB_DIR=$build CARGO_TARGET_DIR=$build/cargo
passed=0
failed=0

# count LABEL PASSED FAILED RC OUTPUT: adds a suite's counts (a suite that
# failed without a failing test counts as one failure) and prints its line,
# with its output when it failed.
count() {
  local label=$1 p=$2 f=$3 rc=$4 out=$5
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  [ "$f" -ne 0 ] && printf '%s\n' "$out" | tail -n 60
  passed=$((passed + p))
  failed=$((failed + f))
  echo "$label: $p passed, $f failed"
}

# The number NAME=N in unittest's last line, "FAILED (failures=1,
# errors=2)" or "OK (skipped=3)"; 0 when absent.
unittest_count() {
  printf '%s\n' "$1" | tail -n 1 | grep -o "$2=[0-9]*" | cut -d= -f2 |
    awk '{ n = $1 } END { print n + 0 }'
}

python_suite() {
  local python=${PYTHON:-}
  [ -z "$python" ] && [ -x /usr/bin/python3 ] && python=/usr/bin/python3
  [ -z "$python" ] && python=$(command -v python3)
  if [ -z "$python" ]; then
    echo "SKIP python: python3 is not installed"
    return
  fi
  local out rc ran bad skipped
  out=$(cd "$root/bindings/python" && "$python" -m unittest discover -v -s tests 2>&1)
  rc=$?
  ran=$(printf '%s\n' "$out" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p')
  bad=$(( $(unittest_count "$out" failures) + $(unittest_count "$out" errors) ))
  skipped=$(unittest_count "$out" skipped)
  printf '%s\n' "$out" | sed -n "s/^\(test_[a-z0-9_]*\) .* skipped '\(.*\)'$/SKIP python \1: \2/p"
  count "python ($skipped skipped)" $(( ${ran:-0} - bad - skipped )) "$bad" "$rc" "$out"
}

rust_suite() {
  local out rc
  out=$(cd "$root/bindings/rust" && cargo test --offline --no-fail-fast 2>&1)
  rc=$?
  count rust "$(sum_cargo "$out" passed)" "$(sum_cargo "$out" failed)" "$rc" "$out"
}

# The sum of "N passed" (or failed) over cargo's "test result:" lines.
sum_cargo() {
  printf '%s\n' "$1" | grep '^test result:' |
    sed -n "s/.* \([0-9]*\) $2;.*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}

# The example a serving process would start from, on the example repo.
rust_example() {
  local repo=$build/bindings/example-repo out rc
  rm -rf "$repo"
  out=$("$LARDER_BIN" init "$repo" 2>&1 && "$LARDER_BIN" -c "$repo" apply 2>&1 &&
    "$LARDER_BIN" -c "$repo" write driver_hourly_stats \
      "$repo/data/driver_stats_latest.csv" 2>&1 &&
    cd "$root/bindings/rust" &&
    cargo run --offline --quiet --example predict -- "$repo" 1001 1002 1003 2>&1)
  rc=$?
  printf '%s\n' "$out" | grep '^driver '
  local lines
  lines=$(printf '%s\n' "$out" | grep -c '^driver 100[123]: .*(lookup .* us)$')
  if [ "$rc" -eq 0 ] && [ "$lines" -eq 3 ]; then
    count "rust example" 1 0 0 ""
  else
    count "rust example" 0 1 "$rc" "$out"
  fi
}

python_suite
if command -v cargo >/dev/null; then
  rust_suite
  rust_example
else
  echo "SKIP rust: cargo is not installed"
fi
echo "bindings: $passed passed, $failed failed"
