#!/usr/bin/env bash
# Times `spoor investigate` on the medium sample chain (release build): ingest, then a second run that finds
# everything ingested, and prints the time after ingest (cluster + analysis + writing), the issue's figure
# (target < 2 s), and each run's wall and CPU time (user + sys). Reads ../shared (a benchmark, not a test).
# Scores the report when the truth is there. SPOOR_BIN measures a build made beforehand (release-bin.sh).
#
# usage: Tests/Benchmarks/investigate-medium.sh [CHAIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
chain=$(cd "${1:-../shared/data/samplechains/medium-seed3}" && pwd)
source Tests/Benchmarks/release-bin.sh
bin=$(release_bin spoor)/spoor
# Builds before the profiles were embedded read them from Heuristics/profiles under the working directory: run in
# the checkout the measured binary was built from.
if [ -n "${SPOOR_BIN:-}" ]; then cd "${SPOOR_BIN%/.build/*}"; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src=$chain/rpc/blocks.jsonl
[ -f "$src" ] || src=$chain/rpc/blocks.jsonl.gz
echo "== first run (ingest included)"
/usr/bin/time -f "wall %e s, CPU %U + %S s, max RSS %M KiB" "$bin" investigate "$src" --case "$chain/case" --out "$out" \
  | tail -n 1
echo "== second run (data already ingested)"
/usr/bin/time -f "wall %e s, CPU %U + %S s, max RSS %M KiB" "$bin" investigate "$src" --case "$chain/case" --out "$out" | tail -n 1
if [ -d "$chain/truth" ]; then "$bin" evaluate --truth "$chain" --db "$out/case.sqlite"; fi
