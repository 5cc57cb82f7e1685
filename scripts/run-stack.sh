#!/usr/bin/env bash
# Start `mandi run` (debug build in $CARGO_TARGET_DIR or ./target, shared with `cargo test`) on a free port in the background, wait until it serves,
# and print its base URL on stdout. The caller kills the PID written to $1.
set -euo pipefail
pidfile="$1"
log="${2:-/tmp/mandi-run.log}"
cargo build -q -p mandi-server --bin mandi
# A lively simulated market at any hour: the intraday profile is quiet at night IST.
export MANDI__SIMULATOR__INTRADAY_PROFILE="${MANDI__SIMULATOR__INTRADAY_PROFILE:-false}"
MANDI__SERVER__PORT=0 "${CARGO_TARGET_DIR:-target}/debug/mandi" run >"$log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 100); do
  url=$(grep -o 'mandi listening on http://[0-9.:]*' "$log" | awk '{print $4}' || true)
  if [[ -n "$url" ]] && curl -fsS "$url/health" >/dev/null 2>&1; then
    echo "$url"
    exit 0
  fi
  sleep 0.1
done
echo "mandi did not start within 10 s; log follows" >&2
cat "$log" >&2
exit 1
