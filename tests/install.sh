#!/usr/bin/env bash
# install.sh - Larder used from outside its source tree, as the README says.
#   i001 examples/lookup.c builds against BUILD through `PKG_CONFIG_PATH=BUILD
#        pkg-config --cflags --libs larder` (BUILD/larder-uninstalled.pc),
#        needs liblarder.so.0, and runs with no LD_LIBRARY_PATH, answering
#        as BUILD/examples/lookup (linked statically) does.
#   i002 `make install` into a scratch prefix, from a build whose DuckDB is
#        a scratch copy (DUCKDB_DIR) removed after the install, so that the
#        path baked into the installed copy leads nowhere and it does not
#        name the source tree's: its `larder historical` writes the training
#        set that BUILD/larder writes.
#   i003 the installed shared library (the Python binding, LARDER_LIB) finds
#        the same DuckDB and writes the same training set.
#   i004 lookup.c builds against the installed larder.pc and runs.
#   i005 without PREFIX/lib/larder/libduckdb.so the installed larder cannot
#        load DuckDB at all (so i002 used that one) and says where it looked;
#        with LARDER_DUCKDB naming the file it runs again.
# Ends with "install: N passed, N failed". Each step is bounded by timeout.
#   tests/install.sh [BUILD]
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=$build/install-test
prefix=$work/prefix
duckdb_copy=$work/duckdb                 # DUCKDB_DIR of the installed build
baked=$duckdb_copy/lib/libduckdb.so      # the path baked into it
passed=0
failed=0

# check ID DESCRIPTION STATUS [DETAIL]: counts a result (status 2 is a
# skip, DETAIL saying why, counted neither way); DETAIL on failure.
check() {
  if [ "$3" -eq 2 ]; then
    printf '%s\n' "$4"
  elif [ "$3" -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok $1 $2"
  else
    failed=$((failed + 1))
    echo "FAIL $1 $2"
    [ -n "${4:-}" ] && printf '%s\n' "$4" | sed 's/^/  /' | tail -n 30
  fi
}

# run SECONDS COMMAND...: the command, without the caller's library paths
# or DuckDB, killed after SECONDS.
run() {
  local seconds=$1
  shift
  env -u LD_LIBRARY_PATH -u LARDER_DUCKDB -u LARDER_LIB timeout "$seconds" "$@"
}

# The example repo, applied, its latest hour written online.
make_repo() {
  local larder=$build/larder
  "$larder" init "$work/repo" && "$larder" -c "$work/repo" apply &&
    "$larder" -c "$work/repo" write driver_hourly_stats \
      "$work/repo/data/driver_stats_latest.csv"
}

features=driver_hourly_stats:conv_rate,driver_hourly_stats:avg_daily_trips
# training_set LARDER OUTPUT: a training set of the example's entity rows.
training_set() {
  run 120 "$1" -c "$work/repo" historical --features "$features" \
    --entities "$work/repo/data/entity_rows.csv" --output "$2"
}

uninstalled_lookup() {
  local flags out want
  flags=$(PKG_CONFIG_PATH=$build pkg-config --cflags --libs larder) &&
    run 120 cc -o "$work/lookup" "$root/examples/lookup.c" $flags ||
    return 1
  readelf -d "$work/lookup" | grep -q 'NEEDED.*\[liblarder\.so\.0\]' ||
    { echo "lookup does not need liblarder.so.0"; return 1; }
  out=$(run 30 "$work/lookup" "$work/repo" 1001 1002 1003) || return 1
  want=$(run 30 "$build/examples/lookup" "$work/repo" 1001 1002 1003)
  [ "$(printf '%s\n' "$out" | grep -c '^driver 100[123]: score ')" -eq 3 ] &&
    [ "$out" = "$want" ] || { printf 'got:\n%s\nwant:\n%s\n' "$out" "$want"; return 1; }
}

# Installs from the objects of BUILD (all but duckdb.o, which bakes the
# DuckDB path in) with DUCKDB_DIR a copy of the tree's, then removes both.
install_elsewhere() {
  mkdir -p "$duckdb_copy/lib" "$work/build"
  ln -s "$root/third_party/duckdb/include" "$duckdb_copy/include"
  ln "$root/third_party/duckdb/lib/libduckdb.so" "$baked" 2>/dev/null ||
    cp "$root/third_party/duckdb/lib/libduckdb.so" "$baked"
  cp -a "$build/obj" "$work/build/"
  rm -f "$work/build/obj/src/offline/duckdb.o"
  run 600 make -C "$root" --no-print-directory BUILD="$work/build" \
    DUCKDB_DIR="$duckdb_copy" PREFIX="$prefix" install >"$work/install.log" 2>&1
  local rc=$?
  rm -rf "$duckdb_copy" "$work/build"
  [ $rc -eq 0 ] || { tail -n 20 "$work/install.log"; return 1; }
}

installed_historical() {
  local lib=$prefix/lib/larder/libduckdb.so
  [ -f "$lib" ] || { echo "make install left no $lib"; return 1; }
  [ ! -e "$baked" ] || { echo "$baked is still there"; return 1; }
  for file in "$prefix/bin/larder" "$prefix/lib/liblarder.so.0"; do
    if strings "$file" | grep -qF "$root/third_party/duckdb/lib"; then
      echo "$file names the source tree's DuckDB"
      return 1
    fi
  done
  training_set "$prefix/bin/larder" "$work/installed.csv" || return 1
  cmp "$work/built.csv" "$work/installed.csv"
}

installed_library() {
  local python
  python=$(command -v python3) || { echo "SKIP i003: python3 is not installed"; return 2; }
  run 120 env LARDER_LIB="$prefix/lib/liblarder.so" \
    PYTHONPATH="$root/bindings/python" "$python" -c '
import sys, larder
store = larder.Store(sys.argv[1])
store.get_historical_features(sys.argv[2], features=sys.argv[3].split(","),
                              output=sys.argv[4])' \
    "$work/repo" "$work/repo/data/entity_rows.csv" "$features" "$work/library.csv" &&
    cmp "$work/built.csv" "$work/library.csv"
}

installed_lookup() {
  local flags
  flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs larder) &&
    run 120 cc -o "$work/lookup-installed" "$root/examples/lookup.c" $flags &&
    [ "$(LD_LIBRARY_PATH=$prefix/lib timeout 30 "$work/lookup-installed" \
           "$work/repo" 1001 1002 1003)" = \
       "$(run 30 "$build/examples/lookup" "$work/repo" 1001 1002 1003)" ]
}

# The installed larder with its DuckDB moved away, then named by LARDER_DUCKDB.
without_its_duckdb() {
  local lib=$prefix/lib/larder/libduckdb.so aside=$work/libduckdb-aside.so out want
  if ldconfig -p 2>/dev/null | grep -q 'libduckdb\.so '; then
    echo "SKIP i005: this machine has a system libduckdb.so, which would be found"
    return 2
  fi
  mv "$lib" "$aside"
  out=$(training_set "$prefix/bin/larder" "$work/none.csv" 2>&1)
  local rc=$?
  want="larder: historical: cannot load libduckdb; tried $prefix/bin/../lib/larder/libduckdb.so, libduckdb.so (the system's), $baked: set LARDER_DUCKDB to the path of libduckdb.so, install DuckDB, or run scripts/deps.sh (and make install) in Larder's source tree"
  if [ $rc -eq 0 ] || [ "$out" != "$want" ]; then
    printf 'exit %d\ngot:  %s\nwant: %s\n' "$rc" "$out" "$want"
    mv "$aside" "$lib"
    return 1
  fi
  LARDER_DUCKDB=$aside timeout 120 "$prefix/bin/larder" -c "$work/repo" historical \
    --features "$features" --entities "$work/repo/data/entity_rows.csv" \
    --output "$work/env.csv" >/dev/null && cmp "$work/built.csv" "$work/env.csv"
  rc=$?
  mv "$aside" "$lib"
  return $rc
}

rm -rf "$work"
mkdir -p "$work"
if ! out=$(make_repo 2>&1) || ! training_set "$build/larder" "$work/built.csv" >/dev/null; then
  check i000 "the example repo and its training set from $build/larder" 1 "$out"
  echo "install: $passed passed, $failed failed"
  exit 1
fi
out=$(uninstalled_lookup 2>&1)
check i001 "lookup.c built with PKG_CONFIG_PATH=build runs against build/" $? "$out"
if [ ! -f "$root/third_party/duckdb/lib/libduckdb.so" ]; then
  echo "SKIP i002-i005: DuckDB is the system's, so nothing is installed beside liblarder"
else
  out=$(install_elsewhere 2>&1 && installed_historical 2>&1)
  check i002 "the installed larder runs historical with its own DuckDB" $? "$out"
  out=$(installed_library 2>&1)
  check i003 "the installed liblarder.so finds its own DuckDB" $? "$out"
  out=$(installed_lookup 2>&1)
  check i004 "lookup.c built against the installed larder.pc runs" $? "$out"
  out=$(without_its_duckdb 2>&1)
  check i005 "without its DuckDB the installed larder says where it looked" $? "$out"
fi
rm -rf "$work"
echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
