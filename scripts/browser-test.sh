#!/usr/bin/env bash
# The dashboard test in a real browser against a real `mandi run` on a free port.
set -euo pipefail
cd "$(dirname "$0")/.."
pidfile=$(mktemp)
trap 'kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"' EXIT
url=$(bash scripts/run-stack.sh "$pidfile" /tmp/mandi-browser-run.log)
MANDI_URL="$url" bash tests/browser/run.sh
