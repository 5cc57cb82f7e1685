#!/usr/bin/env bash
# Runs the browser tests (dashboard.test.mjs: status, quotes, chart; terminal.test.mjs: watchlists,
# chain, ticket, books, depth, bots) against an already-running mandi server.
# Usage: MANDI_URL=http://127.0.0.1:8000 tests/browser/run.sh   (exits non-zero on failure)
# With MANDI_KEYED_URL and MANDI_TEST_KEY (a mandi started with that key) access.test.mjs
# checks the login page and what a second origin cannot do; without them it is skipped.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

export MANDI_URL="${MANDI_URL:-http://127.0.0.1:8000}"

if [ ! -x /usr/bin/chromium ]; then
  echo "run.sh: installing Debian chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium
fi

if [ ! -d node_modules/playwright-core ]; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
fi

echo "run.sh: testing dashboard at ${MANDI_URL}${MANDI_KEYED_URL:+ and access at $MANDI_KEYED_URL}" >&2
exec node --test --test-concurrency=1 dashboard.test.mjs terminal.test.mjs access.test.mjs
