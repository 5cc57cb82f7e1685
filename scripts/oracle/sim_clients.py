#!/usr/bin/env python3
"""Connect the OFFICIAL broker clients to a running mandi simulator and check they decode ticks.

Usage: sim_clients.py URL    (ws://127.0.0.1:PORT or http://127.0.0.1:PORT)

* Kite: kiteconnect==5.2.2 `KiteTicker` with `root` pointed at the simulator; subscribes
  NIFTY 50 (index, quote mode) and RELIANCE (full mode).
* Dhan: dhanhq==2.3.0 `MarketFeed` with `market_feed_wss` pointed at the simulator;
  subscribes NIFTY (ticker) and RELIANCE (quote and full).

Exits 0 once both clients have delivered plausible decoded ticks within 20 s, else 1.
Credentials are the simulator's development pair (crates/simulator/examples/serve.rs).
"""

import os
import sys
import threading
import time
from urllib.parse import urlparse

DHAN_CLIENT_ID = "1000000001"
DHAN_TOKEN = "sim-dhan-token"
KITE_API_KEY = "sim_api_key"
KITE_TOKEN = "sim-kite-token"

NIFTY_TOKEN, RELIANCE_TOKEN = 256265, 738561
NIFTY_ID, RELIANCE_ID = "13", "2885"
# Start prices of the default universe; a scaling bug would be off by orders of magnitude.
NEAR = {"NIFTY": 25760.0, "RELIANCE": 1443.4}
DEADLINE_S = 20.0


def plausible(price, name):
    return abs(float(price) - NEAR[name]) < NEAR[name] * 0.2


class Outcome:
    """What each client has shown so far; `done` is set when both are satisfied."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kite_seen = set()
        self.dhan_seen = set()
        self.errors = []
        self.done = threading.Event()

    def note(self, broker, what):
        with self.lock:
            (self.kite_seen if broker == "kite" else self.dhan_seen).add(what)
            if self.kite_ok() and self.dhan_ok():
                self.done.set()

    def error(self, text):
        with self.lock:
            self.errors.append(text)

    def kite_ok(self):
        return {"nifty_quote", "reliance_full"} <= self.kite_seen

    def dhan_ok(self):
        return {"prev_close", "ticker", "quote", "full"} <= self.dhan_seen


def start_kite(root, out):
    from kiteconnect import KiteTicker

    kws = KiteTicker(KITE_API_KEY, KITE_TOKEN, root=root, reconnect=False)

    def on_connect(ws, response):
        ws.subscribe([NIFTY_TOKEN, RELIANCE_TOKEN])
        ws.set_mode(ws.MODE_FULL, [RELIANCE_TOKEN])

    def on_ticks(ws, ticks):
        for t in ticks:
            token = t.get("instrument_token")
            if token == NIFTY_TOKEN and t.get("mode") == "quote" and plausible(t["last_price"], "NIFTY"):
                if t.get("tradable") is False and plausible(t["ohlc"]["close"], "NIFTY"):
                    out.note("kite", "nifty_quote")
            if token == RELIANCE_TOKEN and t.get("mode") == "full" and plausible(t["last_price"], "RELIANCE"):
                depth = t.get("depth", {})
                if len(depth.get("buy", [])) == 5 and len(depth.get("sell", [])) == 5 and t.get("exchange_timestamp"):
                    out.note("kite", "reliance_full")

    def on_error(ws, code, reason):
        out.error(f"kite error {code}: {reason}")

    def on_close(ws, code, reason):
        if not out.done.is_set():
            out.error(f"kite closed {code}: {reason}")

    kws.on_connect = on_connect
    kws.on_ticks = on_ticks
    kws.on_error = on_error
    kws.on_close = on_close
    kws.connect(threaded=True)


def start_dhan(root, out):
    from dhanhq import DhanContext, MarketFeed

    MarketFeed.market_feed_wss = root
    instruments = [
        (MarketFeed.IDX, NIFTY_ID, MarketFeed.Ticker),
        (MarketFeed.NSE, RELIANCE_ID, MarketFeed.Quote),
        (MarketFeed.NSE, RELIANCE_ID, MarketFeed.Full),
    ]

    def on_message(feed, data):
        if not isinstance(data, dict):
            return
        kind = data.get("type")
        sid = str(data.get("security_id"))
        name = "NIFTY" if sid == NIFTY_ID else "RELIANCE"
        if kind == "Previous Close" and plausible(data["prev_close"], name):
            out.note("dhan", "prev_close")
        elif kind == "Ticker Data" and sid == NIFTY_ID and plausible(data["LTP"], name):
            out.note("dhan", "ticker")
        elif kind == "Quote Data" and sid == RELIANCE_ID and plausible(data["LTP"], name):
            out.note("dhan", "quote")
        elif kind == "Full Data" and sid == RELIANCE_ID and plausible(data["LTP"], name):
            if len(data.get("depth", [])) == 5:
                out.note("dhan", "full")

    def on_error(feed, exc):
        out.error(f"dhan error: {exc!r}")

    def run():
        # MarketFeed binds its asyncio loop at construction; build it in its own thread.
        try:
            feed = MarketFeed(DhanContext(DHAN_CLIENT_ID, DHAN_TOKEN), instruments, "v2",
                              on_message=on_message, on_error=on_error)
            feed.run()
        except Exception as exc:  # the report names it; a traceback adds nothing
            out.error(f"dhan feed stopped: {exc!r}")

    threading.Thread(target=run, daemon=True).start()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    parsed = urlparse(sys.argv[1])
    root = f"ws://{parsed.netloc or parsed.path}"
    out = Outcome()
    started = time.monotonic()
    try:
        start_kite(root, out)
        start_dhan(root, out)
    except ImportError as e:
        print(f"official clients not installed: {e}", file=sys.stderr)
        return 1
    ok = out.done.wait(DEADLINE_S)
    elapsed = time.monotonic() - started
    with out.lock:
        print(f"kite: {'ok' if out.kite_ok() else 'FAILED'} saw {sorted(out.kite_seen)}")
        print(f"dhan: {'ok' if out.dhan_ok() else 'FAILED'} saw {sorted(out.dhan_seen)}")
        for e in out.errors[:10]:
            print(f"  {e}")
    print(f"{'PASS' if ok else 'FAIL'} in {elapsed:.1f}s against {root}")
    return 0 if ok else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The Twisted reactor and the Dhan loop run in threads with no clean stop; leave now.
    os._exit(code)
