#!/usr/bin/env bash
# The official dhanhq and kiteconnect ticker clients against `mandi sim` on a free port.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p mandi-server --bin mandi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
./target/debug/mandi sim --port "$port" >/tmp/mandi-sim.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/admin/counters" >/dev/null 2>&1 && break
  sleep 0.1
done
.venv/bin/python scripts/oracle/sim_clients.py "ws://127.0.0.1:$port"
