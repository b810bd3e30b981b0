#!/usr/bin/env bash
# The ingest benchmark (issue 3): for the medium sample chain and for a generated chain of ≥ 1M transactions
# (written once as blk files under $TMPDIR/spoor-ingest-bench, Bitcoin-like input/output counts and address
# reuse), prints the reader's parse-only throughput over the same bytes, Spoor's ingest throughput into a
# fresh case database with every input resolved (tx per CPU-second of the process, and wall clock), the CPU
# split by phase, the database size against the raw block bytes, and peak memory. Release build; pinned to
# one CPU when `taskset` exists. Options: --transactions N, --medium DIR|none, --keep (keep the databases).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product spoor-bench
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "${SPOOR_BENCH_CPU:-0}"); fi
exec "${pin[@]}" "$(swift build -c release --show-bin-path)/spoor-bench" ingest "$@"
