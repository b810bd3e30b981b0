#!/usr/bin/env bash
# The export benchmark (issue 16): `spoor export --from BLOCK --format bitcoin-etl` against the same bytes
# decoded by `spoor inspect block --txs` (the read alone), per real mainnet block in Tests/Fixtures, each
# command run ROUNDS times (default 10) in one session; CPU time (user + sys) of the processes, so the machine's
# load does not count. Prints MB/s of each and the ratio export / inspect (the goal: ≥ 0.5, writing costs at
# most what reading does). Release build. usage: Tests/Benchmarks/export.sh [ROUNDS]
set -euo pipefail
ROUNDS="${1:-10}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${TMPDIR:-/tmp}/spoor-export-bench-$$"
cd "$ROOT"
source Tests/Benchmarks/release-bin.sh
SPOOR="$(release_bin spoor)/spoor"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# cpu CMD...: CPU seconds (user + sys) of CMD, its output discarded.
cpu() {
  /usr/bin/time -f "%U %S" -o "$WORK/time" "$@" >/dev/null
  awk '{ print $1 + $2 }' "$WORK/time"
}

printf '%-28s %9s %16s %16s %7s\n' block bytes "inspect MB/s" "export MB/s" ratio
total_bytes=0; total_inspect=0; total_export=0
for f in Tests/Fixtures/bitcoin-core/block413567.raw Tests/Fixtures/btcd/block574200.blk; do
  bytes=$(stat -c %s "$f")
  inspect=0; export=0
  for _ in $(seq "$ROUNDS"); do
    inspect=$(awk -v a="$inspect" -v b="$(cpu "$SPOOR" inspect block --txs --network main "$f")" 'BEGIN { print a + b }')
    rm -rf "$WORK/out"
    export=$(awk -v a="$export" -v b="$(cpu "$SPOOR" export --from "$f" --format bitcoin-etl --network main \
      --out "$WORK/out")" 'BEGIN { print a + b }')
  done
  awk -v n="$(basename "$f")" -v b="$bytes" -v r="$ROUNDS" -v i="$inspect" -v e="$export" 'BEGIN {
    printf "%-28s %9d %9.1f (%4.2f s) %9.1f (%4.2f s) %7.2f\n", n, b, b * r / 1e6 / i, i, b * r / 1e6 / e, e, i / e }'
  total_bytes=$((total_bytes + bytes * ROUNDS))
  total_inspect=$(awk -v a="$total_inspect" -v b="$inspect" 'BEGIN { print a + b }')
  total_export=$(awk -v a="$total_export" -v b="$export" 'BEGIN { print a + b }')
done
awk -v b="$total_bytes" -v i="$total_inspect" -v e="$total_export" 'BEGIN {
  printf "%-28s %9d %9.1f (%4.2f s) %9.1f (%4.2f s) %7.2f   (goal: ratio >= 0.5)\n", "all", b, b / 1e6 / i, i, b / 1e6 / e, e, i / e }'
