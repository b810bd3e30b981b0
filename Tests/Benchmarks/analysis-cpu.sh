#!/usr/bin/env bash
# CPU time of `investigate`'s analysis step for several builds, alternating: `spoor report` on the case database
# the build's own `investigate` left (ingest and clustering done beforehand, untimed), and of it the step alone
# (`CaseAnalysis.run`, entry to return) and its service-payer stage (the first `LoadedCase.namedClusters` up to
# the return of `CaseSubgraph.load`; 0 for builds without one): cpu-clock samples at 1 kHz of the process counted
# between uprobes on those functions. The machine is shared, so CPU, not wall. Needs perf and root (uprobes).
# Each build runs in its own checkout (builds before the embedded profiles read Heuristics/profiles there).
# Prints each run, then per build the median and range of each figure, and whether the reports are identical.
#
# usage: Tests/Benchmarks/analysis-cpu.sh CHAIN_DIR RUNS SPOOR_BINARY...
set -euo pipefail
chain=$(cd "$1" && pwd); runs=$2; shift 2
bins=("$@")
work=$(mktemp -d)
groups=()
cleanup() { for g in "${groups[@]}"; do perf probe -q -d "$g:*" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
src=$chain/rpc/blocks.jsonl
[ -f "$src" ] || src=$chain/rpc/blocks.jsonl.gz
checkout() { case $1 in */.build/*) echo "${1%/.build/*}" ;; *) pwd ;; esac; }
symbol() { nm "$1" | awk -v p="$2" '!f && $3 ~ p && $2 ~ /[tT]/ { print $3; f = 1 }'; }

for i in "${!bins[@]}"; do
  bin=$(realpath "${bins[$i]}"); g=analysiscpu$i; groups+=("$g")
  run=$(symbol "$bin" 'CaseAnalysisV3run8database5files7options.*KFZ$')
  load=$(symbol "$bin" 'CaseSubgraphO4load_5seeds6tagged7options')
  named=$(symbol "$bin" 'LoadedCaseV13namedClusters')
  # Event names are unique across groups, hence the build's number in each.
  perf probe -q -x "$bin" --add "$g:run_$i=$run" --add "$g:runret_$i=$run%return"
  if [ -n "$load" ] && [ -n "$named" ]; then
    perf probe -q -x "$bin" --add "$g:loadret_$i=$load%return" --add "$g:named_$i=$named"
  fi
  mkdir -p "$work/$i"
  (cd "$(checkout "$bin")" && "$bin" investigate "$src" --case "$chain/case" --out "$work/$i" >/dev/null)
done

for r in $(seq 1 "$runs"); do
  for i in "${!bins[@]}"; do
    bin=$(realpath "${bins[$i]}"); c=$chain/case
    read_line=$(cd "$(checkout "$bin")" && perf record -q -e cpu-clock -c 1000000 -e "analysiscpu$i:*" -o "$work/p.data" -- \
      "$bin" report --db "$work/$i/case.sqlite" --watchlist "$c/watchlist.json" --ads "$c/ads.csv" --rates "$c/rates.csv" \
      --out "$work/$i/report.json" 2>/dev/null)
    perf script -i "$work/p.data" -F time,event 2>/dev/null | python3 -c '
import sys
g, build, run, tx = sys.argv[1:5]
events, samples = {}, []
for line in sys.stdin:
    p = line.split()
    if len(p) < 2: continue
    t, e = float(p[0].rstrip(":")), p[1].rstrip(":")
    if e.startswith("cpu-clock"): samples.append(t)
    else: events.setdefault(e.split(":")[1].replace("__return", "").rsplit("_", 1)[0], t)
cpu = lambda a, b: sum(a <= t <= b for t in samples)
step = cpu(events["run"], events["runret"])
service = cpu(events["named"], events["loadret"]) if "named" in events else 0
print(f"round {run} build {build}: process {len(samples)} ms, step {step} ms, service stage {service} ms, "
      f"rest {step - service} ms CPU; {tx} transactions read")
' "analysiscpu$i" "$i" "$r" "$(sed -n 's/.*analysis read \([0-9]*\) transactions.*/\1/p' <<<"$read_line")" | tee -a "$work/runs"
  done
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/runs" "${bins[@]}" <<'EOF'
import re, statistics, sys
rows = [l for l in open(sys.argv[1])]
for i, b in enumerate(sys.argv[2:]):
    mine = [list(map(int, re.findall(r"(\d+) ms", l))) for l in rows if f" build {i}:" in l]
    figs = list(zip(*mine))
    print(f"{b}: " + "; ".join(f"{name} median {statistics.median(f):g} ({min(f)}-{max(f)}) ms"
                               for name, f in zip(["process", "step", "service stage", "rest"], figs)))
EOF
for i in "${!bins[@]}"; do
  if [ "$i" -gt 0 ]; then
    cmp -s "$work/0/report.json" "$work/$i/report.json" && echo "report.json of build $i: identical to build 0" \
      || echo "report.json of build $i: differs from build 0 (tool version or content)"
  fi
done
