#!/usr/bin/env bash
# The dashboard test in a real browser against a real `mandi run` on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
pidfile=$(mktemp)
# A fresh data dir: the test places a paper order, which must not land in ./data's journal.
export MANDI__STORE__DATA_DIR
MANDI__STORE__DATA_DIR=$(mktemp -d)
trap 'kill "$(cat "$pidfile")" 2>/dev/null || true; rm -rf "$pidfile" "$MANDI__STORE__DATA_DIR"' EXIT
url=$(bash scripts/run-stack.sh "$pidfile" /tmp/mandi-browser-run.log)
MANDI_URL="$url" bash tests/browser/run.sh
