#!/usr/bin/env bash
# Re-fetches the dashboard's vendored libraries with npm, at the pinned versions below, into
# crates/server/src/dashboard/vendor/ (the binary embeds them: no CDN, no build step).
# To bump a version: change it here, run this script, rebuild, run `make test-browser`.
# Usage: scripts/vendor-dashboard.sh
set -euo pipefail
HTM_VERSION=3.1.1                 # htm/preact/standalone.module.js: Preact + hooks + htm
LIGHTWEIGHT_CHARTS_VERSION=5.3.0  # TradingView lightweight-charts, standalone production build
PREACT_VERSION=10.5.13            # only for its LICENSE: the Preact inside htm's standalone build

cd "$(dirname "$0")/.."
dest=crates/server/src/dashboard/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "htm@$HTM_VERSION" "lightweight-charts@$LIGHTWEIGHT_CHARTS_VERSION" "preact@$PREACT_VERSION" >/dev/null)
mkdir -p "$work/htm" "$work/lwc" "$work/preact"
tar -xzf "$work/preact-$PREACT_VERSION.tgz" -C "$work/preact"
tar -xzf "$work/htm-$HTM_VERSION.tgz" -C "$work/htm"
tar -xzf "$work/lightweight-charts-$LIGHTWEIGHT_CHARTS_VERSION.tgz" -C "$work/lwc"

mkdir -p "$dest"
cp "$work/htm/package/preact/standalone.module.js" "$dest/preact-htm.module.js"
cp "$work/htm/package/LICENSE" "$dest/LICENSE.htm"
cp "$work/lwc/package/dist/lightweight-charts.standalone.production.js" "$dest/lightweight-charts.standalone.js"
cp "$work/lwc/package/LICENSE" "$dest/LICENSE.lightweight-charts"
cp "$work/preact/package/LICENSE" "$dest/LICENSE.preact"
printf 'htm %s (Preact bundled inside htm/preact/standalone.module.js; its licence: LICENSE.preact)\nlightweight-charts %s\n' \
  "$HTM_VERSION" "$LIGHTWEIGHT_CHARTS_VERSION" >"$dest/VERSIONS"
ls -l "$dest"
