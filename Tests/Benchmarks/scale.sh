#!/usr/bin/env bash
# The scale run (issue 16): a generated chain of N transactions (the ingest benchmark's generator: 1–10 inputs,
# 1–20 outputs, 45 % address reuse; default 100,000,000) written as blk files, then through the `spoor` binary as
# a user runs it: `spoor ingest` into a fresh case database, then `spoor cluster` (default profile, ids and
# evidence written). Prints per step the wall time, CPU (user + sys), peak RSS, and the disk used (blk files,
# database), then the per-transaction figures the full-chain projection in ingest-results.md is built from.
# Release build, not pinned (the run may use both cores). Everything under $WORK is removed at the end unless
# KEEP=1. usage: Tests/Benchmarks/scale.sh [N]
set -euo pipefail
N="${1:-100000000}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${SPOOR_BENCH_DIR:-${TMPDIR:-/tmp}/spoor-scale-bench}"
cd "$ROOT"
swift build -c release --product spoor-bench >/dev/null
swift build -c release --product spoor >/dev/null
BIN="$(swift build -c release --show-bin-path)"
mkdir -p "$WORK"
CHAIN="$WORK/generated-$N"
DB="$WORK/scale-$N.sqlite"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$CHAIN" "$DB" "$DB-wal" "$DB-shm"; }
trap cleanup EXIT
rm -f "$DB" "$DB-wal" "$DB-shm"

# step NAME CMD...: runs CMD under /usr/bin/time and prints one line of figures.
step() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.$name" "$@" > "$WORK/out.$name"
  awk -v n="$name" '{ printf "%-9s wall %8.1f s   CPU %8.1f s (user %.1f + sys %.1f)   peak RSS %6.0f MiB\n", n, $1, $2 + $3, $2, $3, $4 / 1024 }' "$WORK/time.$name"
}
size() { du -cb "$@" | tail -1 | cut -f1; }

echo "spoor scale run: $N generated transactions ($(nproc) cores, $(date -u +%FT%TZ))"
step generate "$BIN/spoor-bench" generate --transactions "$N" --out "$CHAIN"
blk=$(size "$CHAIN")
step ingest "$BIN/spoor" ingest --quiet --db "$DB" "$CHAIN"
db=$(size "$DB"*)
step cluster "$BIN/spoor" cluster --db "$DB"
db2=$(size "$DB"*)
awk -v b="$blk" -v d="$db" -v d2="$db2" 'BEGIN { printf "disk: blk files %.2f GiB; database %.2f GiB after ingest (%.2f x the blk files), %.2f GiB after clustering\n", b / 2^30, d / 2^30, d / b, d2 / 2^30 }'
grep -E "^(transactions|addresses|clusters)" "$WORK/out.cluster" || true
cat "$WORK/time.ingest" "$WORK/time.cluster" | tr '\n' ' ' | awk -v n="$N" -v d2="$db2" '{
  printf "per 1M transactions: ingest %.1f s wall, %.1f s CPU; cluster %.1f s wall, %.1f s CPU; %.0f MiB of database\n",
    $1 * 1e6 / n, ($2 + $3) * 1e6 / n, $5 * 1e6 / n, ($6 + $7) * 1e6 / n, d2 / 2^20 * 1e6 / n }'
