#!/usr/bin/env bash
# What `spoor report` holds in memory: the subgraph it loads (the default) against the whole chain
# (`--whole-chain`, the reference), on one clustered case database, release build. Prints, for both, the wall
# time, the peak RSS (/usr/bin/time %M) and the transactions the analysis read, and checks that both reports are
# byte-identical. Reads ../shared or /tmp databases (a benchmark, not a test).
#
# usage: Tests/Benchmarks/analysis-subgraph.sh DB [CASE_DIR] [extra report options...]
#   CASE_DIR holds watchlist.json and optionally ads.csv, rates.csv (a sample chain's case/). Without it (a
#   generated chain), a synthetic watchlist is made from the database: three addresses of the first cluster (by
#   id) with 10 to 30 members — a small "site" that receives payments from many wallets.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=$1; shift
case_dir=""
if [ $# -gt 0 ] && [ -d "$1" ]; then case_dir=$1; shift; fi
source Tests/Benchmarks/release-bin.sh
bin=$(release_bin spoor)/spoor
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=()
if [ -n "$case_dir" ]; then
  args+=(--watchlist "$case_dir/watchlist.json")
  [ -f "$case_dir/ads.csv" ] && args+=(--ads "$case_dir/ads.csv")
  [ -f "$case_dir/rates.csv" ] && args+=(--rates "$case_dir/rates.csv")
else
  python3 - "$db" "$out/watchlist.json" <<'EOF'
import json, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
row = db.execute("""SELECT clusterId FROM addressCluster GROUP BY clusterId
                    HAVING COUNT(*) + 1 BETWEEN 10 AND 30 ORDER BY clusterId LIMIT 1""").fetchone()
if row is None: sys.exit("no cluster of 10 to 30 addresses: run `spoor cluster --db DB` first")
ids = [row[0]] + [r[0] for r in db.execute(
    "SELECT addressId FROM addressCluster WHERE clusterId = ? ORDER BY addressId LIMIT 2", (row[0],))]
addresses = [db.execute("SELECT address FROM address WHERE id = ?", (i,)).fetchone()[0] for i in ids]
json.dump({"addresses": [{"address": a, "label": "synthetic site", "category": "site"} for a in addresses]},
          open(sys.argv[2], "w"))
print(f"synthetic watchlist: cluster {row[0]}, addresses {', '.join(addresses)}")
EOF
  args+=(--watchlist "$out/watchlist.json")
fi
echo "chain: $(sqlite3 "file:$db?mode=ro" 'SELECT COUNT(*) FROM tx') transactions, $(du -h "$db" | cut -f1) database"
for mode in subgraph whole-chain; do
  flag=(); [ "$mode" = whole-chain ] && flag=(--whole-chain)
  line=$(/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$bin" report --db "$db" "${args[@]}" "$@" "${flag[@]}" \
         --out "$out/$mode.json" 2>"$out/$mode.time")
  echo "$mode: $(tail -n 1 "$out/$mode.time"); ${line##*; }"
done
if cmp -s "$out/subgraph.json" "$out/whole-chain.json"; then echo "reports: byte-identical"
else echo "reports: DIFFERENT"; diff <(python3 -m json.tool "$out/subgraph.json") <(python3 -m json.tool "$out/whole-chain.json") | head -20; exit 1; fi
