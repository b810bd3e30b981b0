#!/usr/bin/env bash
# The scale run (issue 16): a generated chain of N transactions (the ingest benchmark's generator: 1–10 inputs,
# 1–20 outputs, 45 % address reuse; default 100,000,000) written as blk files, then through the `spoor` binary as
# a user runs it: `spoor ingest` into a fresh case database, then `spoor cluster` (default profile, ids and
# evidence written). Prints per step the wall time, CPU (user + sys), peak RSS, what the step wrote to the file
# system (getrusage's output blocks: WAL frames, checkpoints, index builds; against the database's size, the
# write amplification) and the disk used (blk files, database), then the per-transaction figures the full-chain
# projection in ingest-results.md is built from. Every $SAMPLE seconds (default 30) $WORK/scale-N.series.STEP
# gets a line "seconds cpu_s rss_mib db_mib load blk anon_mib" of the running step (blk: the blk file it has open,
# i.e. how far through the chain it is; anon: the resident memory that is the process's own, without the
# database pages SQLite maps, up to 2 GiB, which the kernel may drop at will), so a run shows how the cost per
# transaction and the memory move as the database grows.
# Release build, not pinned (the run may use both cores); SPOOR_BIN=DIR measures one made beforehand
# (release-bin.sh). A chain already in $WORK/generated-N (with its COMPLETE file) is used as it is. The chain
# and database under $WORK are removed at the end unless KEEP=1.
# usage: Tests/Benchmarks/scale.sh [N]
set -euo pipefail
N="${1:-100000000}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${SPOOR_BENCH_DIR:-${TMPDIR:-/tmp}/spoor-scale-bench}"
cd "$ROOT"
source Tests/Benchmarks/release-bin.sh
BIN="$(release_bin spoor-bench spoor)"
mkdir -p "$WORK"
CHAIN="$WORK/generated-$N"
DB="$WORK/scale-$N.sqlite"
LOG="$WORK/scale-$N"  # per-step files: $LOG.time.STEP, $LOG.out.STEP, $LOG.series.STEP
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$CHAIN" "$DB" "$DB-wal" "$DB-shm"; }
trap cleanup EXIT
rm -f "$DB" "$DB-wal" "$DB-shm"

# sampler PID NAME: while /usr/bin/time (PID) runs, appends its child's CPU, RSS and the database's size.
sampler() {
  local pid=$1 name=$2 child tick=$(getconf CLK_TCK) t0=$SECONDS
  : > "$LOG.series.$name"
  while kill -0 "$pid" 2>/dev/null; do
    sleep "${SAMPLE:-30}"
    child=$(pgrep -P "$pid" | head -1) || continue
    [ -r "/proc/$child/stat" ] || continue
    awk -v t=$((SECONDS - t0)) -v hz="$tick" -v db="$(size "$DB"* 2>/dev/null || echo 0)" \
        -v rss="$(awk '/^VmRSS/ { print $2 }' "/proc/$child/status" 2>/dev/null)" \
        -v anon="$(awk '/^RssAnon/ { print $2 }' "/proc/$child/status" 2>/dev/null)" \
        -v load="$(cut -d' ' -f1 /proc/loadavg)" -v blk="$(ls -l "/proc/$child/fd" 2>/dev/null | grep -o 'blk[0-9]*' | tail -1)" \
        '{ sub(/^.*\) /, ""); printf "%d %.1f %.0f %.0f %s %s %.0f\n", t, ($12 + $13) / hz, rss / 1024, db / 2^20, load, blk, anon / 1024 }' \
        "/proc/$child/stat" >> "$LOG.series.$name" 2>/dev/null || true
  done
}

# step NAME CMD...: runs CMD under /usr/bin/time (sampled) and prints one line of figures.
step() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M %O" -o "$LOG.time.$name" "$@" > "$LOG.out.$name" &
  local pid=$!
  sampler "$pid" "$name" &
  wait "$pid"
  wait
  awk -v n="$name" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '{ printf "%-9s wall %8.1f s   CPU %8.1f s (user %.1f + sys %.1f)   peak RSS %6.0f MiB   written %.1f GiB   load after: %s\n", n, $1, $2 + $3, $2, $3, $4 / 1024, $5 * 512 / 2^30, load }' "$LOG.time.$name"
}
size() { du -cbL "$@" | tail -1 | cut -f1; }  # -L: a chain folder may be a symlink

echo "spoor scale run: $N generated transactions ($(nproc) cores, $(date -u +%FT%TZ))"
step generate "$BIN/spoor-bench" generate --transactions "$N" --out "$CHAIN"
blk=$(size "$CHAIN")
# SPOOR_INGEST_FLAGS: extra flags for the ingest (e.g. --single-thread, to compare with the default).
step ingest "$BIN/spoor" ingest --quiet ${SPOOR_INGEST_FLAGS:-} --db "$DB" "$CHAIN"
db=$(size "$DB"*)
step cluster "$BIN/spoor" cluster --db "$DB"
db2=$(size "$DB"*)
awk -v b="$blk" -v d="$db" -v d2="$db2" 'BEGIN { printf "disk: blk files %.2f GiB; database %.2f GiB after ingest (%.2f x the blk files), %.2f GiB after clustering\n", b / 2^30, d / 2^30, d / b, d2 / 2^30 }'
grep -E "^(transactions|addresses|clusters)" "$LOG.out.cluster" || true
# Per transaction stored (the ingest's own count; a chain cut to a prefix of its blk files holds fewer than N).
stored=$(grep -oE '[0-9]+ transactions' "$LOG.out.ingest" | head -1 | cut -d' ' -f1)
cat "$LOG.time.ingest" "$LOG.time.cluster" | tr '\n' ' ' | awk -v n="${stored:-$N}" -v d2="$db2" '{
  printf "per 1M transactions: ingest %.1f s wall, %.1f s CPU; cluster %.1f s wall, %.1f s CPU; %.0f MiB of database\n",
    $1 * 1e6 / n, ($2 + $3) * 1e6 / n, $6 * 1e6 / n, ($7 + $8) * 1e6 / n, d2 / 2^20 * 1e6 / n }'
