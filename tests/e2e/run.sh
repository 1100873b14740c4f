#!/usr/bin/env bash
# The data-driven end-to-end suite: runs every case in tests/e2e/cases
# against a larder binary and compares the output with the case's `expected`.
#
#   tests/e2e/run.sh LARDER_BINARY [CASE_ID...]
#   UPDATE=1 tests/e2e/run.sh build/larder e2e-bad-007-...   # (re)write expected
#
# See tests/e2e/README.md for the case format. Prints `ok ID` or `FAIL ID`
# and a unified diff per case, then exactly one line
# `e2e: N passed, N failed`; exits 1 when a case failed, 2 on a bad command
# line. Scratch copies live in mktemp folders under /tmp and are removed;
# nothing is written below tests/ (except `expected` files with UPDATE=1).
set -u

if [ $# -lt 1 ]; then
  echo "usage: tests/e2e/run.sh LARDER_BINARY [CASE_ID...]" >&2
  exit 2
fi
arg=$1
bin=$1
shift
case $bin in
*/*) bin="$(cd "$(dirname "$bin")" 2>/dev/null && pwd)/$(basename "$bin")" ;;
*) bin=$(command -v "$bin" || true) ;;
esac
if [ -z "$bin" ] || [ ! -x "$bin" ] || [ -d "$bin" ]; then
  echo "e2e: no executable larder binary at '$arg'" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
cases_dir=$here/cases
base=$here/base
update=${UPDATE:-0}

top=$(mktemp -d /tmp/larder-e2e.XXXXXX) || exit 1
trap 'rm -rf "$top"' EXIT
trap 'exit 130' INT TERM

# Escapes a string for use as a literal in a sed regex.
sed_literal() { printf '%s' "$1" | sed 's/[]\/$*.^[]/\\&/g'; }

# `!mask` output: figures that change from run to run become stable
# tokens: an ISO 8601 UTC time becomes TIME, a number N (or 0 when it is
# zero, so "measured something" can be asserted), and a time unit after a
# number (ns, us, ms, s) becomes t. Digits inside names (f00, p99) stay.
mask_figures() {
  perl -pe 's/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/TIME/g;
    s{(?<![A-Za-z0-9_.])(\d+(?:\.\d+)*(?:e[-+]?\d+)?)(?:( ?)(ns|us|ms|s)\b)?}{
      my ($n, $gap, $unit) = ($1, $2, $3);
      ($n =~ /[1-9]/ ? "N" : "0") . (defined $unit ? "${gap}t" : "")}ge'
}

# run_case DIR: writes the case's actual output to $top/actual.
run_case() {
  local dir=$1 work=$top/work line rc
  rm -rf "$work"
  mkdir -p "$work"
  if [ -d "$dir/repo" ]; then
    cp -R "$dir/repo" "$work/repo"
  else
    mkdir "$work/repo"
  fi
  [ -e "$work/repo/feature_store.yaml" ] ||
    cp "$base/feature_store.yaml" "$work/repo/feature_store.yaml"
  [ -e "$work/repo/data" ] || cp -R "$base/data" "$work/repo/data"

  local repo_re work_re
  repo_re=$(sed_literal "$work/repo")
  work_re=$(sed_literal "$work")
  : >"$top/actual"
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in '' | '#'*) continue ;; esac
    local -a words
    read -ra words <<<"$line"
    printf '$ %s\n' "$line" >>"$top/actual"
    local filter=cat
    if [ "${words[0]}" = "!mask" ]; then
      filter=mask_figures
      words=("${words[@]:1}")
    fi
    if [ "${words[0]}" = "!edit" ]; then
      if [ ${#words[@]} -ne 3 ] || [ ! -f "$dir/${words[2]}" ]; then
        echo "run.sh: bad !edit line (usage: !edit RELPATH FIXTURE)" >"$top/out"
        rc=1
      else
        mkdir -p "$(dirname "$work/repo/${words[1]}")"
        cp "$dir/${words[2]}" "$work/repo/${words[1]}"
        : >"$top/out"
        rc=0
      fi
    elif [ "${words[0]}" = "!touch" ]; then
      # sets a repo file's modification time (a snapshot source's rows
      # count from it): !touch TIME RELPATH
      if [ ${#words[@]} -ne 3 ]; then
        echo "run.sh: bad !touch line (usage: !touch TIME RELPATH)" >"$top/out"
        rc=1
      else
        touch -d "${words[1]}" "$work/repo/${words[2]}" >"$top/out" 2>&1
        rc=$?
      fi
    elif [ "${words[0]}" = "!cat" ]; then
      # prints a file the commands wrote (relative to the scratch folder)
      cat "$work/${words[1]}" >"$top/out" 2>&1
      rc=$?
    else
      (cd "$work" && exec "$bin" -c "$work/repo" "${words[@]}") \
        >"$top/out" 2>&1 </dev/null
      rc=$?
    fi
    sed -e "s/$repo_re/REPO/g" -e "s/$work_re/SCRATCH/g" "$top/out" |
      $filter >>"$top/actual"
    if [ -s "$top/out" ] && [ -n "$(tail -c 1 "$top/out")" ]; then
      printf '\n\\ no newline at end of output\n' >>"$top/actual"
    fi
    printf '[exit %d]\n' "$rc" >>"$top/actual"
  done <"$dir/cmd"
}

passed=0
failed=0
for dir in "$cases_dir"/*/; do
  dir=${dir%/}
  id=$(basename "$dir")
  if [ $# -gt 0 ]; then
    want=0
    for pattern in "$@"; do
      # shellcheck disable=SC2053
      [[ $id == $pattern ]] && want=1
    done
    [ $want = 1 ] || continue
  fi
  if [ ! -f "$dir/cmd" ]; then
    echo "FAIL $id: no cmd file"
    failed=$((failed + 1))
    continue
  fi
  run_case "$dir"
  if [ "$update" = 1 ]; then
    cp "$top/actual" "$dir/expected"
    echo "ok $id (expected written)"
    passed=$((passed + 1))
  elif [ -f "$dir/expected" ] && cmp -s "$dir/expected" "$top/actual"; then
    echo "ok $id"
    passed=$((passed + 1))
  else
    echo "FAIL $id"
    if [ -f "$dir/expected" ]; then
      diff -u --label "$id/expected" --label "$id/actual" \
        "$dir/expected" "$top/actual"
    else
      echo "(no expected file; actual output:)"
      cat "$top/actual"
    fi
    failed=$((failed + 1))
  fi
done

echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
