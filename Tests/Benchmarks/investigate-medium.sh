#!/usr/bin/env bash
# Times `spoor investigate` on the medium sample chain (release build): ingest, then a second run that finds
# everything ingested, and prints the time after ingest (cluster + analysis + writing), the issue's figure
# (target < 2 s). Reads ../shared (a benchmark, not a test). Scores the report when the truth is there.
#
# usage: Tests/Benchmarks/investigate-medium.sh [CHAIN_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
chain=${1:-../shared/data/samplechains/medium-seed3}
swift build -c release --product spoor 2>&1 | tail -n 1
bin=$(swift build -c release --show-bin-path)/spoor
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src=$chain/rpc/blocks.jsonl
[ -f "$src" ] || src=$chain/rpc/blocks.jsonl.gz
echo "== first run (ingest included)"
"$bin" investigate "$src" --case "$chain/case" --out "$out" | tail -n 1
echo "== second run (data already ingested)"
/usr/bin/time -f "wall %e s, max RSS %M KiB" "$bin" investigate "$src" --case "$chain/case" --out "$out" | tail -n 1
if [ -d "$chain/truth" ]; then "$bin" evaluate --truth "$chain" --db "$out/case.sqlite"; fi
