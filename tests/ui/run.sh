#!/usr/bin/env bash
# The web UI's browser suite (ui001...): makes the example repo (`larder
# init`, apply, materialize-incremental, stats --save, drift --save twice,
# skew --save), with
# two checks on its view and a `<script>` in a description, starts `larder serve --ui --token-file`
# and `larder ui` on loopback ports the system picks, and drives Debian's
# Chromium through chromium-driver and python3-selenium (ui_test.py).
#
#   tests/ui/run.sh BUILD        # BUILD/larder; screenshots to BUILD/ui-screenshots/
#
# Ends with exactly one line "ui: N passed, N failed" (tests/run.sh adds
# it up). Where Chromium, its driver or Selenium cannot start it says why
# and counts nothing ("ui: skipped: ..." then "ui: 0 passed, 0 failed").
# Every server it starts is stopped by its PID; the scratch folder is
# removed.
set -u
build=${1:-build}
build=$(cd "$build" && pwd)
larder=$build/larder
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3

skip() {
  echo "ui: skipped: $1"
  echo "ui: 0 passed, 0 failed"
  exit 0
}
[ -x "$larder" ] || { echo "ui: no larder binary at $larder"; echo "ui: 0 passed, 1 failed"; exit 1; }
command -v chromium >/dev/null || skip "no chromium (scripts/deps.sh installs it)"
command -v chromedriver >/dev/null || skip "no chromedriver (package chromium-driver)"
"$python" -c 'import selenium' 2>/dev/null || skip "no selenium for $python (package python3-selenium)"

top=$(mktemp -d /tmp/larder-ui.XXXXXX) || exit 1
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$top"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

repo=$top/repo
setup() {
  "$larder" init "$repo" &&
  # A description written to be run as script: it must show as text.
  sed -i 's|description: A driver of the ride-hailing fleet|description: "A driver <script>document.title = '"'"'pwned'"'"'</script> of the fleet"|' \
    "$repo/features.yaml" &&
  grep -q '<script>' "$repo/features.yaml" &&
  # Checks, so the view page has results per rule.
  sed -i 's|^    tags: {team: driver_performance}$|&\n    checks:\n      - {feature: conv_rate, between: [0, 0.9], on_fail: warn}\n      - {freshness: 2d}|' \
    "$repo/features.yaml" &&
  grep -q 'freshness: 2d' "$repo/features.yaml" &&
  "$larder" -c "$repo" apply &&
  "$larder" -c "$repo" materialize-incremental now &&
  "$larder" -c "$repo" stats driver_hourly_stats --save base &&
  "$larder" -c "$repo" drift driver_hourly_stats --reference base \
    --current -2d..now --save d1 &&
  "$larder" -c "$repo" drift driver_hourly_stats --reference base \
    --current -1d..now --save d2 &&
  "$larder" -c "$repo" skew driver_hourly_stats --save last
}
if ! setup >"$top/setup.log" 2>&1; then
  cat "$top/setup.log"
  echo "ui: the example repo could not be made"
  echo "ui: 0 passed, 1 failed"
  exit 1
fi
printf 'ui-token-%s\n' "$$" > "$top/token"

# start NAME ARGS...: starts `larder ARGS` on the repo, waits (10 s at
# most) for its announced port into $port.
start() {
  local name=$1 log=$top/$1.log
  shift
  "$larder" -c "$repo" "$@" --port 0 >"$log" 2>&1 &
  pids+=($!)
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's|^Serving .* on http://127.0.0.1:\([0-9]*\) .*|\1|p' "$log")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  cat "$log"
  return 1
}
start serve serve --ui --token-file "$top/token" || { echo "ui: larder serve did not start"; echo "ui: 0 passed, 1 failed"; exit 1; }
serve_port=$port
start ui ui || { echo "ui: larder ui did not start"; echo "ui: 0 passed, 1 failed"; exit 1; }
ui_port=$port

mkdir -p "$build/ui-screenshots"
timeout 300 "$python" "$here/ui_test.py" --base "http://127.0.0.1:$serve_port" \
  --ui-base "http://127.0.0.1:$ui_port" --token-file "$top/token" \
  --screenshots "$build/ui-screenshots" --larder "$larder" --repo "$repo"
rc=$?
if [ $rc -eq 124 ]; then
  echo "FAIL the browser suite took more than 300 s"
  echo "ui: 0 passed, 1 failed"
fi
exit $rc
