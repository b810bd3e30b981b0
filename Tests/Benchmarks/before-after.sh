#!/usr/bin/env bash
# A change's speed guard: the same benchmarks with two release builds, alternating in one session so that the
# shared machine's load falls on both alike; CPU time. BEFORE and AFTER are checkouts with release builds of
# spoor-bench (`swift build -c release --product spoor-bench` in each).
#   - clustering, default and `change` profiles: `spoor-bench cluster-store` on one cached case database
#     (CLUSTER_DB, made by `cluster.sh N`; each side's own profile file);
#   - ingest: `spoor-bench ingest` (medium-seed3 and a generated chain of INGEST_TX transactions, pinned to one
#     core), each side into its own work folder (a newer generator mines the headers it checks).
#
# usage: Tests/Benchmarks/before-after.sh BEFORE AFTER [ROUNDS]
set -uo pipefail
before=${1:?usage: before-after.sh BEFORE AFTER [ROUNDS]}; after=${2:?}; rounds=${3:-3}
db=${CLUSTER_DB:-${TMPDIR:-/tmp}/spoor-cluster-bench/chain-1000000.sqlite}
work=${TMPDIR:-/tmp}/spoor-before-after
pin=(); if command -v taskset >/dev/null; then pin=(taskset -c "${SPOOR_BENCH_CPU:-0}"); fi
for round in $(seq "$rounds"); do
  for side in before after; do
    repo=$before; [ $side = after ] && repo=$after
    bench=$repo/.build/release/spoor-bench
    echo "### round $round, $side ($(git -C "$repo" rev-parse --short HEAD))"
    "$bench" cluster-store --db "$db" | grep "ids CPU"
    "$bench" cluster-store --db "$db" --profile "$repo/Heuristics/profiles/change.json" | grep "ids CPU"
    "${pin[@]}" "$bench" ingest --transactions "${INGEST_TX:-200000}" --work "$work-$side" 2>&1 \
      | grep -E "^medium|^generated \(|spoor ingest"
  done
done
