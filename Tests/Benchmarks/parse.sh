#!/usr/bin/env bash
# The blk parse benchmark (issue 2): builds ≥ 500 MB of blk files from the real mainnet blocks in
# Tests/Fixtures (XOR-obfuscated like Core 28+), parses them in full on one core (txids, wtxids, script types
# and addresses of every output) and prints MB/s next to `openssl dgst -sha256` over the same files, plus
# peak memory. Release build; pinned to one CPU when `taskset` exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/release-bin.sh
bin=$(release_bin spoor-bench)
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "${SPOOR_BENCH_CPU:-0}"); fi
exec "${pin[@]}" "$bin/spoor-bench" parse "$@"
