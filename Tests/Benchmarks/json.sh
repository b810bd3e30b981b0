#!/usr/bin/env bash
# The JSON readers' benchmark (issue 16): node JSON (`getblock 3` lines) and a bitcoin-etl export of the same
# chain (plain `.json`, and the same rows as `.json.gz` shards), each read to the end (parse + every check) and
# ingested into a fresh case database, next to Python's `json.loads` over the same lines, CPU time, one run.
# Release build; pinned to one CPU when `taskset` exists.
#
# usage: Tests/Benchmarks/json.sh [CHAIN_DIR]   (default: the shared medium-seed3, else SampleChains/small-seed1)
# The chain folder needs blocks/ (exported here with `spoor export`) and rpc/blocks.jsonl[.gz].
set -euo pipefail
cd "$(dirname "$0")/../.."
chain=${1:-../shared/data/samplechains/medium-seed3}
[ -d "$chain" ] || chain=SampleChains/small-seed1
source Tests/Benchmarks/release-bin.sh
bin=$(release_bin spoor spoor-bench)
work=${TMPDIR:-/tmp}/spoor-json-bench-$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/etl-gz"

"$bin/spoor" export --from "$chain/blocks" --format bitcoin-etl --out "$work/etl" > /dev/null
gzip -c "$work/etl/blocks.json" > "$work/etl-gz/blocks_000.json.gz"
split -n l/4 -d -a 3 --additional-suffix=.json "$work/etl/transactions.json" "$work/etl-gz/transactions_"
gzip "$work/etl-gz"/transactions_*.json

node=$chain/rpc/blocks.jsonl
[ -f "$node" ] || node=$node.gz
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "${SPOOR_BENCH_CPU:-0}"); fi
echo "$(date -u +%Y-%m-%d) $(uname -m), chain $(basename "$chain"), load $(cut -d' ' -f1-3 /proc/loadavg)"
"${pin[@]}" "$bin/spoor-bench" json "$node" "$work/etl" "$work/etl-gz"
