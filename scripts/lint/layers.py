#!/usr/bin/env python3
"""Crate layering check: which workspace crate may depend on which (python3 standard library only).

Reads `cargo metadata --format-version 1 --no-deps --locked` from the workspace root and prints one
line per violation, then exits 1; prints "ok: N crates, layering holds" and exits 0 when all is well.

The layers, lowest first (a crate may depend only on crates of a LOWER rank):

    0 domain
    1 protocol
    2 instruments, strategy, paper          (pure: no actix/tokio/awc/..., no wall clock)
    3 supervision
    4 feed
    5 fanout
    6 trading, cluster                      (cluster: the backplane over NATS)
    7 runtime
    8 server

Off to the side: simulator and loadgen (depend only on domain and protocol), testkit and tests
(anything).
Dev-dependencies may also point at testkit and simulator, and at any lower crate, never upward.
A crate in the table that is not in the workspace yet is skipped; a workspace crate that is not in
the table is a violation until it is added here.

Usage: layers.py              check the workspace
       layers.py --self-test  check the checker on synthetic metadata
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The layer of every crate in the chain; lower numbers sit below higher ones.
RANK = {
    "mandi-domain": 0,
    "mandi-protocol": 1,
    # Recorded market days: the file format and its writer thread (no actix).
    "mandi-recording": 1,
    "mandi-instruments": 2,
    "mandi-strategy": 2,
    "mandi-paper": 2,
    "mandi-supervision": 3,
    "mandi-feed": 4,
    "mandi-fanout": 5,
    "mandi-trading": 6,
    "mandi-cluster": 6,
    "mandi-runtime": 7,
    "mandi-server": 8,
}
PURE = {"mandi-domain", "mandi-protocol", "mandi-instruments", "mandi-strategy", "mandi-paper"}
# External crates a pure crate may not take as a normal or build dependency (dev is fine).
PURE_FORBIDDEN = {
    "actix", "actix-rt", "actix-web", "actix-web-actors", "awc",
    "tokio", "tokio-tungstenite", "reqwest", "rusqlite",
}
# Crates outside the chain: what each may take as a normal or build dependency (None: anything).
SIDE = {
    # The simulator writes synthetic recorded days (`mandi sim --record-day`).
    "mandi-simulator": {"mandi-domain", "mandi-protocol", "mandi-recording"},
    # The load generator talks to mandi over sockets only; it starts the binary, never links it.
    "mandi-loadgen": {"mandi-domain", "mandi-protocol"},
    "mandi-testkit": None,
    "mandi-tests": None,
}
# What any crate may additionally take as a dev-dependency.
DEV_EXTRA = {"mandi-testkit", "mandi-simulator"}
# Normal/build edges the rules above would refuse, allowed by name.
ALLOWED_EDGES = {
    # The binary embeds the simulator for `mandi sim` and the simulated `mandi run`.
    ("mandi-server", "mandi-simulator"),
    # strategy and paper share a layer and neither depends on the other, so no edge between them.
}
KNOWN = set(RANK) | set(SIDE)


def short(name):
    return name[len("mandi-"):] if name.startswith("mandi-") else name


def as_kind(kind):
    return {"dev": " as a dev-dependency", "build": " as a build-dependency"}.get(kind, "")


def edge_problem(src, dst, kind):
    """Why the workspace edge src -> dst of this kind is illegal, or None when it is legal."""
    if SIDE.get(src, set()) is None:
        return None
    if kind == "dev" and dst in DEV_EXTRA:
        return None
    if kind != "dev" and (src, dst) in ALLOWED_EDGES:
        return None
    if dst == "mandi-tests":
        return "nothing depends on the end-to-end tests crate"
    if src in SIDE:
        if dst in SIDE[src]:
            return None
        return f"{short(src)} may depend only on {', '.join(sorted(SIDE[src]))}"
    if dst in DEV_EXTRA:
        return f"{dst} only as a dev-dependency"
    rs, rd = RANK[src], RANK[dst]
    if rd < rs:
        return None
    if rd == rs:
        return f"same layer: {short(src)} and {short(dst)} are both at layer {rs} and may not depend on each other"
    return f"upward: {short(src)} is below {short(dst)}"


def check(metadata):
    """Return (number of workspace crates checked, list of violation lines)."""
    members = set(metadata.get("workspace_members", []))
    packages = [p for p in metadata["packages"] if not members or p["id"] in members]
    problems = []
    for pkg in sorted(packages, key=lambda p: p["name"]):
        src = pkg["name"]
        if src not in KNOWN:
            problems.append(f"{src} is a workspace crate without a layer: add it to the layer table in scripts/lint/layers.py")
            continue
        for dep in pkg.get("dependencies", []):
            dst, kind = dep["name"], dep.get("kind") or "normal"
            if src in PURE and dst in PURE_FORBIDDEN and kind != "dev":
                line = f"{src} (pure) depends on {dst}{as_kind(kind)} (pure crates take no actix, tokio, awc, reqwest or rusqlite)"
            elif dst in KNOWN:
                why = edge_problem(src, dst, kind)
                line = why and f"{src} depends on {dst}{as_kind(kind)} ({why})"
            else:
                line = None  # external, or a workspace crate without a layer (reported once, above)
            if line and line not in problems:
                problems.append(line)
    return len(packages), problems


def cargo_metadata():
    cargo = os.environ.get("CARGO", "cargo")
    cmd = [cargo, "metadata", "--format-version", "1", "--no-deps", "--locked"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stderr)
        sys.exit(f"layers.py: `{' '.join(cmd)}` failed (exit {run.returncode})")
    return json.loads(run.stdout)


def self_test():
    def pkg(name, *deps):
        return {"id": name, "name": name, "dependencies": [{"name": n, "kind": k} for n, k in deps]}

    meta = {"packages": [
        pkg("mandi-domain", ("actix", None), ("tokio", "dev")),
        pkg("mandi-feed", ("mandi-fanout", None), ("mandi-domain", None), ("mandi-testkit", "dev")),
        pkg("mandi-fanout", ("mandi-feed", None)),
        pkg("mandi-testkit", ("mandi-server", None)),
    ]}
    _, problems = check(meta)
    assert problems == [
        "mandi-domain (pure) depends on actix (pure crates take no actix, tokio, awc, reqwest or rusqlite)",
        "mandi-feed depends on mandi-fanout (upward: feed is below fanout)",
    ], problems
    print("ok: self-test found the upward edge and the pure crate on actix, and nothing else")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    if sys.argv[1:]:
        sys.exit(__doc__.split("\n\n")[-1])
    count, problems = check(cargo_metadata())
    for line in problems:
        print(line)
    if problems:
        print(f"layers.py: {len(problems)} layering violation(s) in {count} crates", file=sys.stderr)
        return 1
    print(f"ok: {count} crates, layering holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
