# mandi — every task a person or CI runs. `make` alone lists them.
SHELL := /bin/bash
CARGO ?= cargo
PY := .venv/bin/python

.DEFAULT_GOAL := help
.PHONY: help run sim test test-rust test-oracle test-browser bench bench-load check lint fmt clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

run: ## the runtime + dashboard on http://127.0.0.1:8000 against the built-in simulator
	$(CARGO) run --release -p mandi-server --bin mandi -- run

sim: ## only the broker simulator on 127.0.0.1:9100 (Dhan and Kite protocols)
	$(CARGO) run --release -p mandi-server --bin mandi -- sim

test: test-rust test-oracle test-browser ## everything: unit, property, end-to-end, official-client and browser tests

test-rust: ## cargo tests of every crate (unit, property, end-to-end on loopback; installs nats-server for the cluster tests)
	bash scripts/nats/install.sh
	$(CARGO) test --workspace --locked

test-oracle: ## our codecs and simulator against the official dhanhq and kiteconnect clients
	bash scripts/oracle/setup.sh
	$(PY) scripts/oracle/compare.py
	bash scripts/oracle/sim_clients.sh

test-browser: ## the dashboard in a real headless Chromium (installs chromium + playwright-core)
	bash scripts/browser-test.sh

bench: ## criterion benchmarks (decode P1, tick JSON P3, instrument master P9), the tick → strategy load run (P6), replay and sweep throughput and the cluster's NATS hop
	$(CARGO) bench -p mandi-protocol --bench decode -- --warm-up-time 1 --measurement-time 3
	$(CARGO) bench -p mandi-fanout --bench tick_json -- --warm-up-time 1 --measurement-time 3
	$(CARGO) bench -p mandi-instruments --bench master -- --warm-up-time 1 --measurement-time 3
	$(CARGO) bench -p mandi-trading --bench strategy_latency
	$(CARGO) bench -p mandi-server --bench replay
	bash scripts/nats/install.sh && $(CARGO) bench -p mandi-cluster --bench nats_hop

# Where cargo puts the release binaries the load run starts (absolute: mandi is started from
# a temporary directory).
BENCH_TARGET := $(abspath $(or $(CARGO_TARGET_DIR),target))

# 1,000 clients on each of two servers need ~3,000 descriptors: raise the limit in the recipe's
# shell (a bash builtin), up to the hard limit where 65536 is not allowed.
bench-load: ## fan-out/latency load run (P2 P4 P5 P7 P8), mandi vs a raw reference server, ~4 min; LOADGEN_ARGS=--quick for a smoke
	$(CARGO) build --release -p mandi-server --bin mandi
	$(CARGO) build --release -p mandi-loadgen --bin mandi-loadgen
	ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); \
		$(BENCH_TARGET)/release/mandi-loadgen --mandi $(BENCH_TARGET)/release/mandi $(LOADGEN_ARGS)

check: ## quick loop: rustfmt check, clippy with warnings as errors, cargo tests
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked

# cargo-machete finds unused dependencies; pinned so every machine reports the same.
MACHETE_VERSION := 0.9.2

lint: ## rustfmt check, clippy with warnings as errors, crate layering, unused dependencies
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	python3 scripts/lint/layers.py
	[ "$$($(CARGO) machete --version 2>/dev/null)" = "$(MACHETE_VERSION)" ] || \
		$(CARGO) install --locked cargo-machete --version $(MACHETE_VERSION)
	$(CARGO) machete --skip-target-dir

fmt: ## format the code
	$(CARGO) fmt --all

clean: ## remove build output, the oracle venv and browser test deps
	$(CARGO) clean
	rm -rf .venv tests/browser/node_modules tests/browser/artifacts
