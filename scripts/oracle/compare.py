#!/usr/bin/env python3
"""Differential test: our Dhan and Kite decoders against the official Python clients.

`cargo run -q -p mandi-protocol --example oracle_packets` prints deterministic random
packets of every kind, one WebSocket message per line, each with what OUR decoder made of
it under the Python clients' key names. This script decodes the same bytes with
dhanhq 2.3.0 `MarketFeed.process_data` and kiteconnect 5.2.2 `KiteTicker._parse_binary`
and compares field by field. Prints a summary line; exits 1 on any mismatch (or on
missing coverage), 2 if the oracle packages are missing.

    scripts/oracle/setup.sh && .venv/bin/python scripts/oracle/compare.py

Known divergences (by design; the generator avoids the inputs where they would show):

* Dhan: `process_data` decodes only the packet at offset 0 of a message; our
  `decode_message` also walks stacked packets. The generator sends one packet per
  message, as the live feed does.
* Dhan: Python formats every price with "{:.2f}" and shows LTT as UTC "HH:MM:SS" only;
  we keep the raw f32 and epoch. We format ours the same way (through the client's own
  `utc_time`) before comparing, so only those renderings are compared, bit patterns are
  covered by the Rust round-trip tests.
* Dhan: Python ignores the header's message_length; we reject a nonzero one that
  disagrees with the packet size (BadLength). The generator writes correct lengths.
* Dhan code 7: Python returns the constant "Markets Open" and drops the header.
  Code 50: Python returns None, prints a text for 805..809 only and calls on_close; we
  compare that text with our reason code. Its 808/809 texts disagree with the annexure
  (protocols.md A3.8); `DhanDisconnectReason` follows the annexure.
* Dhan codes 1, 3 and others: Python returns None or parses v1 depth; we return
  UnknownCode. Not generated.
* Kite: Python ignores the index packet's change field @24 and computes `change` in %
  from last and close; our `KiteIndex` keeps the raw field. The generator computes the
  percentage the way Python does, for comparison only.
* Kite: Python skips packets of unknown length and raises struct.error on a cut frame;
  we return BadLength / Truncated / CountMismatch. Not generated (valid packets only).
* Kite: Python builds naive local datetimes; TZ is pinned to UTC here.
"""

import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime

os.environ["TZ"] = "UTC"
time.tzset()

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

try:
    from dhanhq.marketfeed import MarketFeed
    from kiteconnect import KiteTicker
except ImportError:
    # Re-run under the repo's venv when started with another interpreter.
    venv = os.path.dirname(os.path.dirname(VENV_PYTHON))
    if os.path.exists(VENV_PYTHON) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)
    print("oracle: dhanhq/kiteconnect not importable; run scripts/oracle/setup.sh", file=sys.stderr)
    sys.exit(2)

DHAN_KINDS = {"ticker", "quote", "oi", "prev_close", "full", "market_status", "disconnect"}
KITE_KINDS = {"ltp", "index_quote", "index_full", "quote", "full"}
DHAN_PRICE_KEYS = {"LTP", "avg_price", "open", "close", "high", "low", "prev_close", "bid_price", "ask_price"}
# What dhanhq 2.3.0 MarketFeed.server_disconnection prints, by reason code.
DHAN_DISCONNECT_TEXT = {
    805: "Disconnected: No. of active websocket connections exceeded",
    806: "Disconnected: Subscribe to Data APIs to continue",
    807: "Disconnected: Access Token is expired",
    808: "Disconnected: Invalid Client ID",
    809: "Disconnected: Authentication Failed - check ",
}
KITE_TIME_KEYS = {"exchange_timestamp", "last_trade_time"}


def diff(path, ours, theirs, out):
    """Append "path: ours vs python" for every difference between two decoded values."""
    if isinstance(theirs, dict) and isinstance(ours, dict):
        for key in sorted(set(ours) | set(theirs)):
            if key not in ours:
                out.append(f"{path}.{key}: missing in ours (python {theirs[key]!r})")
            elif key not in theirs:
                out.append(f"{path}.{key}: missing in python (ours {ours[key]!r})")
            else:
                diff(f"{path}.{key}", ours[key], theirs[key], out)
    elif isinstance(theirs, list) and isinstance(ours, list):
        if len(ours) != len(theirs):
            out.append(f"{path}: {len(ours)} items in ours vs {len(theirs)} in python")
        for i, (o, t) in enumerate(zip(ours, theirs)):
            diff(f"{path}[{i}]", o, t, out)
    elif isinstance(theirs, datetime) and isinstance(ours, int) and not isinstance(ours, bool):
        if datetime.fromtimestamp(ours) != theirs:
            out.append(f"{path}: {datetime.fromtimestamp(ours)} vs python {theirs}")
    elif isinstance(theirs, bool) or isinstance(ours, bool):
        if type(ours) is not type(theirs) or ours != theirs:
            out.append(f"{path}: {ours!r} vs python {theirs!r}")
    elif isinstance(theirs, float) or isinstance(ours, float):
        if not (isinstance(ours, (int, float)) and isinstance(theirs, (int, float))
                and math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9)):
            out.append(f"{path}: {ours!r} vs python {theirs!r}")
    elif type(ours) is not type(theirs) or ours != theirs:
        out.append(f"{path}: {ours!r} vs python {theirs!r}")


def dhan_as_python_shows(feed, fields):
    """Our fields rendered the way MarketFeed renders them (2-decimal prices, HH:MM:SS)."""
    def render(key, value):
        if isinstance(value, list):
            return [{k: render(k, v) for k, v in item.items()} for item in value]
        if key in DHAN_PRICE_KEYS:
            return "{:.2f}".format(value)
        if key == "LTT":
            return feed.utc_time(value)
        return value
    return {k: render(k, v) for k, v in fields.items()}


def check_dhan(feed, kind, data, fields):
    problems = []
    closed = []
    feed.on_close = lambda _feed: closed.append(True)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        theirs = feed.process_data(data)
    if kind == "error":
        problems.append(f"our decoder failed: {fields.get('error')}")
    elif kind == "market_status":
        if theirs != "Markets Open" or fields.get("type") != "Market Status":
            problems.append(f"market status: ours {fields.get('type')!r} vs python {theirs!r}")
    elif kind == "disconnect":
        want = DHAN_DISCONNECT_TEXT.get(fields["reason"], "")
        got = printed.getvalue().rstrip("\n")
        if got != want:
            problems.append(f"reason {fields['reason']}: python printed {got!r}, expected {want!r}")
        if theirs is not None or not closed:
            problems.append(f"disconnect: python returned {theirs!r}, on_close called: {bool(closed)}")
    else:
        diff("", dhan_as_python_shows(feed, fields), theirs, problems)
    return problems, 1


def check_kite(ticker, kind, data, fields):
    problems = []
    theirs = ticker._parse_binary(data)
    if kind == "error":
        problems.append(f"our decoder failed: {fields.get('error')}")
    else:
        diff("", fields, theirs, problems)
    return problems, len(theirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input", help="read generator lines from this file instead of cargo")
    parser.add_argument("--show", type=int, default=5, help="mismatching messages to print")
    args = parser.parse_args()

    if args.input:
        with open(args.input) as f:
            text = f.read()
    else:
        run = subprocess.run(
            ["cargo", "run", "-q", "-p", "mandi-protocol", "--example", "oracle_packets"],
            cwd=ROOT, capture_output=True, text=True,
        )
        if run.returncode != 0:
            print(run.stderr, file=sys.stderr)
            print("oracle: the generator example failed to build or run", file=sys.stderr)
            return 2
        text = run.stdout

    feed = MarketFeed.__new__(MarketFeed)  # no __init__: no event loop, no connection
    ticker = KiteTicker.__new__(KiteTicker)
    counts = {"dhan": Counter(), "kite": Counter()}
    packets = Counter()
    bad = []
    for lineno, line in enumerate(text.splitlines(), 1):
        msg = json.loads(line)
        broker, kind, data = msg["broker"], msg["kind"], bytes.fromhex(msg["hex"])
        check = check_dhan if broker == "dhan" else check_kite
        oracle = feed if broker == "dhan" else ticker
        try:
            problems, n = check(oracle, kind, data, msg["fields"])
        except Exception as e:  # an oracle crash on our bytes is a mismatch too
            problems, n = [f"python raised {type(e).__name__}: {e}"], 0
        for part in kind.split("+"):
            counts[broker][part] += 1
        packets[broker] += n if broker == "kite" else 1
        if problems:
            bad.append((lineno, broker, kind, msg["hex"], problems))

    missing = sorted((DHAN_KINDS - set(counts["dhan"])) | (KITE_KINDS - set(counts["kite"])))
    for lineno, broker, kind, hexed, problems in bad[: args.show]:
        print(f"MISMATCH line {lineno} {broker} {kind} hex={hexed[:64]}{'...' if len(hexed) > 64 else ''}")
        for p in problems[:8]:
            print(f"    {p}")
    if missing:
        print(f"coverage: no packets of kind {', '.join(missing)}")
    kite_frames = sum(1 for line in text.splitlines() if '"broker":"kite"' in line)
    per_kind = lambda c: " ".join(f"{k}={c[k]}" for k in sorted(c))
    print(
        f"oracle: dhan {packets['dhan']} packets ({per_kind(counts['dhan'])}); "
        f"kite {packets['kite']} packets in {kite_frames} messages ({per_kind(counts['kite'])}); "
        f"{len(bad)} mismatching messages -> {'FAIL' if bad or missing else 'OK'}"
    )
    return 1 if bad or missing else 0


if __name__ == "__main__":
    sys.exit(main())
