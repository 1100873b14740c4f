#!/usr/bin/env bash
# Installs what Larder needs to build and test, and nothing that is already there.
#
# Debian packages come from apt-get (through sudo when not root). DuckDB comes from
# a system install when pkg-config or the compiler finds one; otherwise the prebuilt
# libduckdb.so and its duckdb.h are taken from two npm packages of the same version
# into the git-ignored third_party/duckdb/, each tarball checked by sha256.
# Running it twice does nothing the second time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
packages=(liblmdb-dev lmdb-utils libfyaml-dev libhiredis-dev redis-server
          libcriterion-dev pkg-config libmicrohttpd-dev gcc make
          locales   # localedef: the decimal-comma locale of test i015
          python3-pandas  # the Python binding's DataFrame tests (optional in use)
          prometheus  # prometheus and promtool: the monitoring suite (test_monitoring)
          chromium chromium-driver python3-selenium  # the web UI's browser suite (tests/ui)
          clang libfuzzer-14-dev libclang-rt-14-dev)  # fuzzing, TSan

duckdb_version=1.4.4
duckdb_bindings=@duckdb/node-bindings-linux-x64@1.4.4-r.4
duckdb_bindings_sha256=732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b
duckdb_headers=duckdb@$duckdb_version
duckdb_headers_sha256=5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed
duckdb_dir=$root/third_party/duckdb

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "deps: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

system_duckdb_found() {
  pkg-config --exists duckdb 2>/dev/null && return 0
  echo '#include <duckdb.h>
int main(void){return 0;}' | cc -x c - -lduckdb -o /dev/null 2>/dev/null
}

# npm_fetch PACKAGE SHA256 DEST: packs PACKAGE into DEST/ and checks its sha256.
npm_fetch() {
  local spec=$1 want=$2 dest=$3 tgz
  command -v npm >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  tgz=$(cd "$dest" && npm pack --silent "$spec" | tail -n 1)
  if [ "$(sha256sum "$dest/$tgz" | cut -d' ' -f1)" != "$want" ]; then
    echo "deps: $spec: sha256 mismatch (wanted $want); refusing to use it" >&2
    rm -f "$dest/$tgz"; exit 1
  fi
  echo "$dest/$tgz"
}

install_duckdb() {
  [ -f "$duckdb_dir/lib/libduckdb.so" ] && [ -f "$duckdb_dir/include/duckdb.h" ] && return 0
  if system_duckdb_found; then return 0; fi
  echo "deps: fetching DuckDB $duckdb_version into third_party/duckdb"
  local tmp; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$duckdb_dir/lib" "$duckdb_dir/include"
  local lib_tgz hdr_tgz
  lib_tgz=$(npm_fetch "$duckdb_bindings" "$duckdb_bindings_sha256" "$tmp")
  hdr_tgz=$(npm_fetch "$duckdb_headers" "$duckdb_headers_sha256" "$tmp")
  tar -xzf "$lib_tgz" -C "$tmp" package/libduckdb.so
  mv "$tmp/package/libduckdb.so" "$duckdb_dir/lib/libduckdb.so"
  tar -xzf "$hdr_tgz" -C "$tmp" package/src/duckdb/src/include/duckdb.h
  mv "$tmp/package/src/duckdb/src/include/duckdb.h" "$duckdb_dir/include/duckdb.h"
}

install_debian_packages
install_duckdb
