#!/usr/bin/env bash
# Clustering benchmark (issue 4): Spoor store -> final cluster ids, against a plain C union-find reading the same
# rows of the same case database, a C union-find over in-memory lists, and graphsense-clustering on those lists,
# from one run, release build. Results: Tests/Benchmarks/cluster-results.md.
#   Tests/Benchmarks/cluster.sh [TRANSACTIONS]     (default 1000000; issue 4 asks for >= 10000000, whose generation
#   through the real ingest took 27 min wall on the shared 2-core machine; the chain is cached by size in $WORK)
# Timed: Spoor from opening the read transaction to every address's final cluster id, with the evidence of every
# effective union collected (the default profile: multi-input, coinbase and CoinJoin exclusions); the C line from
# its first query to its final ids (multi-input only, no exclusion, no evidence: a lower bound). Untimed: writing
# the lists files, and `spoor cluster`'s writes of evidence and ids into the database (timed on its own at the end).
set -euo pipefail
N="${1:-1000000}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${SPOOR_BENCH_DIR:-${TMPDIR:-/tmp}/spoor-cluster-bench}"
mkdir -p "$WORK"
cd "$ROOT"
source Tests/Benchmarks/release-bin.sh
BENCH="$(release_bin spoor-bench)/spoor-bench"
DB="$WORK/chain-$N.sqlite"
if [ ! -f "$DB.done" ]; then
  rm -f "$DB" "$DB-wal" "$DB-shm"
  "$BENCH" cluster-generate --transactions "$N" --db "$DB"
  touch "$DB.done"
fi
# A chain cached by an older build gets this build's schema (the narrow clustering input is backfilled once).
"$BENCH" cluster-migrate --db "$DB"
cc -O2 -o "$WORK/cluster_uf" "$ROOT/Tests/Benchmarks/cluster_uf.c" -lsqlite3
# Both lines read the same database file; whichever runs first would pay for bringing it into the page cache
# (a cold 8.5 GB file at 10M cost Spoor 2.5x its warm CPU time in page faults). Read it once, untimed, first.
cat "$DB" "$DB-wal" 2>/dev/null >/dev/null || true
echo "== Spoor (release)"
"$BENCH" cluster-store --db "$DB" --lists "$WORK/lists-$N.bin" | tee "$WORK/spoor-$N.out"
echo "== plain C (cc -O2)"
"$WORK/cluster_uf" sqlite "$DB" | tee "$WORK/c-$N.out"
"$WORK/cluster_uf" lists "$WORK/lists-$N.bin"
# One pair of runs swings by +-0.3x on this shared virtual machine (memory faults land on whichever line is
# unlucky), so the ratio is the median of this pair and PAIRS more, alternating the two lines.
PAIRS="${PAIRS:-4}"
for i in $(seq 1 "$PAIRS"); do
  "$BENCH" cluster-store --db "$DB" | grep "ids CPU" >> "$WORK/spoor-$N.out"
  "$WORK/cluster_uf" sqlite "$DB" | grep "CPU" | head -n 1 >> "$WORK/c-$N.out"
done
python3 - "$WORK/spoor-$N.out" "$WORK/c-$N.out" <<'EOF'
import re, statistics, sys
spoor = [float(x) for x in re.findall(r"store -> final cluster ids CPU ([0-9.]+) s", open(sys.argv[1]).read())]
c = [float(x) for x in re.findall(r"\(CPU ([0-9.]+) s\)", open(sys.argv[2]).read())]
ratios = [s / k for s, k in zip(spoor, c)]
print("pairs (Spoor / C s CPU): " + ", ".join(f"{s:.3f}/{k:.3f}={s / k:.2f}x" for s, k in zip(spoor, c)))
print(f"ratio: Spoor / C from the same store rows, median of {len(ratios)} pairs = {statistics.median(ratios):.2f}x "
      f"(range {min(ratios):.2f}-{max(ratios):.2f}x; goal <= 1.5x)")
EOF
echo "== graphsense-clustering (PyPI)"
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet graphsense-clustering pyarrow
fi
"$WORK/venv/bin/python" "$ROOT/Tests/Benchmarks/graphsense_line.py" "$WORK/lists-$N.bin"
# Issue 16's row: the real command end to end (fresh run: read, cluster, write evidence, cluster ids, state and
# summary in one transaction) next to the C union-find over the same rows, alternating; median of the pairs.
echo "== spoor cluster, writing evidence and cluster ids into the case database"
: > "$WORK/cluster-$N.out"; : > "$WORK/c-end-$N.out"
for i in $(seq 1 "${END_PAIRS:-3}"); do
  "$BENCH" cluster-evidence --db "$DB" | tee -a "$WORK/cluster-$N.out"
  "$WORK/cluster_uf" sqlite "$DB" | grep "CPU" | head -n 1 | tee -a "$WORK/c-end-$N.out"
done
python3 - "$WORK/cluster-$N.out" "$WORK/c-end-$N.out" "$N" <<'EOF'
import re, statistics, sys
spoor = [float(x) for x in re.findall(r"written to the case database\): [0-9.]+ s \(CPU ([0-9.]+) s\)", open(sys.argv[1]).read())]
c = [float(x) for x in re.findall(r"\(CPU ([0-9.]+) s\)", open(sys.argv[2]).read())]
ratios = [s / k for s, k in zip(spoor, c)]
print("pairs (spoor cluster / C s CPU): " + ", ".join(f"{s:.2f}/{k:.3f}={s / k:.1f}x" for s, k in zip(spoor, c)))
print(f"README: spoor cluster end to end, default profile, evidence and ids written, {int(sys.argv[3]):,} generated tx: "
      f"{statistics.median(spoor):.2f} s CPU vs the C union-find over the same store rows {statistics.median(c):.3f} s CPU "
      f"= {statistics.median(ratios):.1f}x (median of {len(ratios)} alternating pairs, range {min(ratios):.1f}-{max(ratios):.1f}x; "
      f"target <= 3x)")
EOF
