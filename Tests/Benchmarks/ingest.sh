#!/usr/bin/env bash
# The ingest benchmark (issues 3, 16): for the medium sample chain and for a generated chain of ≥ 1M transactions
# (written once as blk files under $TMPDIR/spoor-ingest-bench, Bitcoin-like input/output counts and address
# reuse), prints the reader's parse-only throughput over the same bytes, Spoor's ingest throughput into a
# fresh case database with every input resolved, the CPU split by phase, the database size against the raw
# block bytes, and peak memory. The generated chain is ingested twice: on one thread (transactions per
# CPU-second: the one-core figure) and with the SQLite writes on a second thread (transactions per wall second:
# the two-core figure, which the machine's load lowers). Release build, not pinned. Options: --transactions N,
# --medium DIR|none, --real MB (the parse benchmark's blk files of real mainnet blocks, ingested next to
# `openssl dgst -sha256`), --keep (keep the databases).
set -euo pipefail
cd "$(dirname "$0")/../.."
source Tests/Benchmarks/release-bin.sh
bin=$(release_bin spoor-bench)
echo "$(date -u '+%Y-%m-%d %H:%M') UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$bin/spoor-bench" ingest "$@"
