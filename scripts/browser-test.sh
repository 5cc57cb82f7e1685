#!/usr/bin/env bash
# The dashboard test in a real browser against a real `mandi run` on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
pidfile=$(mktemp)
keyed_pidfile=$(mktemp)
# A fresh data dir: the test places a paper order, which must not land in ./data's journal.
export MANDI__STORE__DATA_DIR
MANDI__STORE__DATA_DIR=$(mktemp -d)
keyed_dir=$(mktemp -d)
# On exit: stop both servers and wait (10 s at most) until they are gone before removing
# their data dirs: a stopping mandi writes its price snapshot there, and removing the dir
# under it fails the run ("Directory not empty") after every test passed.
cleanup() {
  local rc=$? pids
  pids="$(cat "$pidfile" "$keyed_pidfile" 2>/dev/null || true)"
  # shellcheck disable=SC2086
  kill $pids 2>/dev/null || true
  for pid in $pids; do
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
  rm -rf "$pidfile" "$keyed_pidfile" "$MANDI__STORE__DATA_DIR" "$keyed_dir" || true
  # The tests' own status is the script's, whatever the clean-up met.
  exit "$rc"
}
trap cleanup EXIT
url=$(bash scripts/run-stack.sh "$pidfile" /tmp/mandi-browser-run.log)
# A second mandi with API keys, for the login and cross-origin checks.
test_key="trade:browser-test-key-$(date +%s%N)"
keyed_url=$(MANDI_API_KEYS="$test_key" MANDI__STORE__DATA_DIR="$keyed_dir" \
  bash scripts/run-stack.sh "$keyed_pidfile" /tmp/mandi-browser-keyed.log)
MANDI_URL="$url" MANDI_KEYED_URL="$keyed_url" MANDI_TEST_KEY="${test_key#trade:}" bash tests/browser/run.sh
