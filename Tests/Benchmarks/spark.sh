#!/usr/bin/env bash
# Clustering on Spark (issue 12) next to the local run, from one run, per size: a generated chain
# (`spoor-bench cluster-generate`: bitcoin-like input counts, batch payouts, address reuse) exported with
# `spoor export --db`, then
#   local   `spoor cluster --profile default` on a copy of the case (wall, CPU user+sys, peak RSS),
#   spark   Sources/SparkClustering/spoor_spark.py in local[2] (wall, CPU of the JVM, its Python workers and
#           the mappers, peak RSS of the largest process = the JVM; stage walls and rounds from run.json),
#   import  `spoor import clusters` of the job's output into another copy (wall, CPU, peak RSS),
# and checks that the clusters and the GraphML evidence are byte for byte the local run's.
#   Tests/Benchmarks/spark.sh [--build debug|release] N...      (default: release, 300000 1000000)
# Chains and exports are cached by size and build in $SPOOR_BENCH_DIR (default /tmp/spoor-spark-bench).
# Results: Tests/Benchmarks/spark-results.md. Needs PySpark and Java 17 (.ci/spark installs both).
set -euo pipefail
build=release
if [ "${1:-}" = "--build" ]; then build=$2; shift 2; fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(300000 1000000)
ROOT="${SPOOR_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
WORK="${SPOOR_BENCH_DIR:-${TMPDIR:-/tmp}/spoor-spark-bench}"
cd "$ROOT"
if [ -n "${SPOOR_BIN:-}" ]; then
  bin="$SPOOR_BIN"  # a folder with spoor and spoor-bench built beforehand (label the run with --build)
else
  flags=(); [ "$build" = release ] && flags=(-c release)
  swift build "${flags[@]}" --product spoor >/dev/null
  swift build "${flags[@]}" --product spoor-bench >/dev/null
  bin="$(swift build "${flags[@]}" --show-bin-path)"
fi
python="${PYSPARK_PYTHON:-python3}"
# The JVM's heap and the shuffle's partition count: 4g and 8 carry 3M transactions; at 10M the job ran out of
# heap with them (spark-results.md), so larger runs set SPOOR_SPARK_DRIVER_MEMORY / SPOOR_SPARK_SHUFFLE_PARTITIONS.
driver_memory="${SPOOR_SPARK_DRIVER_MEMORY:-4g}"
shuffle_partitions="${SPOOR_SPARK_SHUFFLE_PARTITIONS:-8}"
spark_submit="$("$python" -c 'import pyspark, os; print(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"))')"
export PYSPARK_PYTHON="$python"

# measured LABEL LOG COMMAND...: runs it under /usr/bin/time -v; prints "LABEL wall W s, CPU C s, peak P MiB".
measured() {
  local label=$1 log=$2; shift 2
  /usr/bin/time -v -o "$log.time" "$@" > "$log" 2>&1
  awk -v label="$label" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
    /User time/ { cpu += $2 } /System time/ { cpu += $2 } /Maximum resident/ { rss = $2 / 1024 }
    END { printf "%-7s wall %8.1f s, CPU %8.1f s, peak %6.0f MiB\n", label, wall, cpu, rss }' "$log.time"
}

for n in "${sizes[@]}"; do
  dir="$WORK/$build-$n"
  mkdir -p "$dir"
  if [ ! -f "$dir/etl.done" ]; then
    rm -rf "$dir/chain.sqlite"* "$dir/etl"
    measured generate "$dir/generate.log" "$bin/spoor-bench" cluster-generate --transactions "$n" --db "$dir/chain.sqlite"
    measured export "$dir/export.log" "$bin/spoor" export --db "$dir/chain.sqlite" --out "$dir/etl"
    touch "$dir/etl.done"
  fi
  echo "== $n transactions ($build), $(du -m "$dir/etl/transactions.json" | cut -f1) MB of bitcoin-etl lines"
  rm -rf "$dir/local.sqlite"* "$dir/spark.sqlite"* "$dir/out"
  cp "$dir/chain.sqlite" "$dir/local.sqlite"
  cp "$dir/chain.sqlite" "$dir/spark.sqlite"
  measured local "$dir/local.log" "$bin/spoor" cluster --db "$dir/local.sqlite" --profile default
  measured spark "$dir/spark.log" "$spark_submit" --master 'local[2]' --driver-memory "$driver_memory" \
    --conf spark.ui.enabled=false --conf spark.sql.shuffle.partitions="$shuffle_partitions" Sources/SparkClustering/spoor_spark.py \
    --transactions "$dir/etl/transactions.json" --spoor "$bin/spoor" --profile default --out "$dir/out"
  measured import "$dir/import.log" "$bin/spoor" import clusters "$dir/out" --db "$dir/spark.sqlite"
  "$python" -c 'import json, sys; r = json.load(open(sys.argv[1])); print("stages (wall s):", r["seconds"],
    "| component rounds", r["component_rounds"], "| evidence rounds", r["evidence_rounds"], "| addresses", r["addresses"],
    "| merges", r["merges"], "| partitions", r["partitions"])' "$dir/out/run.json"
  same=identical
  "$bin/spoor" export clusters --db "$dir/local.sqlite" --out "$dir/local.csv"
  { echo "address,cluster_id"; cat "$dir/out/clusters"/part-*; } > "$dir/spark.csv"
  cmp -s "$dir/local.csv" "$dir/spark.csv" || same="CLUSTERS DIFFER"
  "$bin/spoor" export clusters --db "$dir/local.sqlite" --format graphml --out "$dir/local.graphml"
  "$bin/spoor" export clusters --db "$dir/spark.sqlite" --format graphml --out "$dir/spark.graphml"
  cmp -s "$dir/local.graphml" "$dir/spark.graphml" || same="$same, EVIDENCE DIFFERS"
  echo "clusters and GraphML evidence against the local run: $same"
  rm -rf "$dir/local.sqlite"* "$dir/spark.sqlite"* "$dir/out" "$dir"/*.csv "$dir"/*.graphml
done
