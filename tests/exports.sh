#!/usr/bin/env bash
# exports.sh - checks the dynamic exports of liblarder.so against the public
# header: x001, everything the library exports (nm -D --defined-only) is a
# function or variable declared in include/larder.h; x002, every function
# declared there is exported. Ends with "exports: N passed, N failed".
#   tests/exports.sh [BUILD]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
lib=${1:-$root/build}/liblarder.so
passed=0
failed=0

# check ID DESCRIPTION LIST: passes when LIST (names, one a line) is empty.
check() {
  if [ -z "$3" ]; then
    passed=$((passed + 1))
    echo "ok $1 $2"
  else
    failed=$((failed + 1))
    echo "FAIL $1 $2:"
    printf '  %s\n' $3
  fi
}

# What the header declares, comments stripped by the preprocessor: the
# names called like functions, and extern variables.
declared=$(cc -E -P -I"$root/include" "$root/include/larder.h" |
  grep -oE '\blr_[a-z][a-z0-9_]*[[:space:]]*\(|^extern[^;(]*\blr_[a-z][a-z0-9_]*;' |
  grep -oE 'lr_[a-z][a-z0-9_]*' | sort -u)
# What the library exports: defined symbols, minus the version node.
exported=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
  sed 's/@.*//' | sort -u)

if [ ! -f "$lib" ] || [ -z "$declared" ]; then
  echo "FAIL x000 no $lib, or nothing declared in larder.h"
  echo "exports: 0 passed, 1 failed"
  exit 1
fi
check x001 "exported but not declared in include/larder.h" \
  "$(comm -23 <(echo "$exported") <(echo "$declared"))"
check x002 "declared in include/larder.h but not exported" \
  "$(comm -13 <(echo "$exported") <(echo "$declared"))"
echo "exports: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
