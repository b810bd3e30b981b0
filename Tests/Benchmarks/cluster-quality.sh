#!/usr/bin/env bash
# Clustering quality on sample chains with ground truth: every shipped profile on each chain, scored against
# truth/ (pairwise precision/recall, CoinJoin check, change table). The change profile was written against
# small-seed1 only; the other chains show whether it generalises.
#   Tests/Benchmarks/cluster-quality.sh [CHAIN_DIR ...]   (default: the bundled small-seed1 and, when present,
#                                                          ../shared/data/samplechains/medium-seed3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CHAINS=("$@")
if [ ${#CHAINS[@]} -eq 0 ]; then
  CHAINS=("$ROOT/SampleChains/small-seed1")
  for c in "$ROOT/../shared/data/samplechains/medium-seed3" /work/shared/data/samplechains/medium-seed3; do
    if [ -d "$c" ]; then CHAINS+=("$c"); break; fi
  done
fi
swift build -c release --product spoor-bench >/dev/null
for chain in "${CHAINS[@]}"; do
  .build/release/spoor-bench cluster-sample "$chain" Heuristics/profiles/default.json \
    Heuristics/profiles/conservative.json Heuristics/profiles/change.json
done
