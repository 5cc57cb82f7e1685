#!/usr/bin/env bash
# Installs nats-server (Debian's package) for the cluster tests, the way the browser test
# installs Chromium: nothing happens when it is already on PATH. JetStream (`-js`, needed
# for the key-value buckets) is in every 2.9+ build.
set -euo pipefail
if command -v nats-server >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "nats-server is missing and this is not root: run 'sudo apt-get install -y nats-server'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends nats-server >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends nats-server >/dev/null
}
command -v nats-server >/dev/null
echo "installed $(nats-server --version)"
