#!/usr/bin/env bash
# Creates the repo-root .venv with the official broker clients used as decoding oracles
# (dhanhq 2.3.0, kiteconnect 5.2.2; see reliability.md 2a). Idempotent: when both
# packages already import, nothing is installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV"
fi

# Check the exact versions, not just importability: the differential test is pinned to
# the decoders of these releases (e.g. kiteconnect 5.2.2's NCO divisor).
if "$PY" - <<'PYEOF' 2>/dev/null
import importlib.metadata as m
import dhanhq, kiteconnect  # noqa: F401
assert m.version("dhanhq") == "2.3.0"
assert m.version("kiteconnect") == "5.2.2"
PYEOF
then
    exit 0
fi

"$PY" -m pip install --quiet --disable-pip-version-check "dhanhq==2.3.0" "kiteconnect==5.2.2"
