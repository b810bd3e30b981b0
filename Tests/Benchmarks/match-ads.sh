#!/usr/bin/env bash
# Ad matching when many ads compete for a few payments (issue 10, defect 11): N ads of one price and one
# posted_at, P payments in their window. Prints Spoor's CPU time for the whole matching (certain matches, the
# weighted assignment, posting order, reasons) next to SciPy's linear_sum_assignment solving one N × P
# assignment on the same problem, from the same run. Near-linear means CPU per edge stays flat as N grows.
#
# usage: Tests/Benchmarks/match-ads.sh [--payments P] [N...]
set -euo pipefail
cd "$(dirname "$0")/../.."
payments=6
if [ "${1:-}" = "--payments" ]; then payments=$2; shift 2; fi
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(250 500 1000 2000 4000 8000)
source Tests/Benchmarks/release-bin.sh
bin=$(release_bin spoor-bench)/spoor-bench
spoor=$("$bin" match-ads --payments "$payments" "${sizes[@]}")
peer=$(python3 - "$payments" "${sizes[@]}" <<'PY'
import sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment
p = int(sys.argv[1])
for n in map(int, sys.argv[2:]):
    weights = np.ones((n, p))
    t = time.process_time()
    linear_sum_assignment(weights, maximize=True)
    print(n, f"{time.process_time() - t:.4f}")
PY
)
echo "ads  payments  edges     Spoor CPU s  ns/edge   SciPy linear_sum_assignment CPU s"
paste <(echo "$spoor" | tail -n +2) <(echo "$peer") | awk '{ printf "%-5s %-9s %-9s %-12s %-9s %s\n", $1, $2, $3, $4, $5, $7 }'
