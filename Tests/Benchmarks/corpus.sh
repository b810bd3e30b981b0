#!/usr/bin/env bash
# Corpus evaluation: every shipped profile (Heuristics/profiles/*.json) on every sample chain with ground truth,
# scored by `spoor evaluate` (clustering, site cluster, payers, ads, shared contacts), per chain, mean and worst.
# The README's quality table and each profile's error rates are this script's output.
#
# usage: Tests/Benchmarks/corpus.sh [CHAIN_DIR ...]
#   default chains: every folder with truth/ in ../shared/data/samplechains (else the bundled SampleChains/*).
#   SPOOR=path    use this spoor binary instead of building a release one.
#   WORK=dir      keep case databases there (default: a temporary folder, removed at the end).
#   PROFILES="a.json b.json"  score these profile files instead of the shipped ones.
#   EVALUATE_ARGS="--min-service-addresses 5"  analysis parameters passed to spoor evaluate.
#   ERROR_RATES=Heuristics/error-rates.json  also write the error-rates file reports cite (its notes are kept;
#                 NOTES=FILE, a JSON object of profile id -> notes, replaces them); only from the shipped profiles
#                 with their default parameters; and rewrite README.md's quality table from it.
# Prints the quality table (markdown) and the corpus hash; writes WORK/result-PROFILE.json (spoor evaluate --json).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
CHAINS=("$@")
if [ ${#CHAINS[@]} -eq 0 ]; then
  for c in "$ROOT"/../shared/data/samplechains/*/ "$ROOT"/SampleChains/*/; do
    [ -d "$c/truth" ] || continue
    name=$(basename "$c"); dup=0
    for have in "${CHAINS[@]}"; do [ "$(basename "$have")" = "$name" ] && dup=1; done
    [ $dup = 1 ] || CHAINS+=("${c%/}")
  done
fi
if [ -z "${SPOOR:-}" ]; then
  swift build -c release --product spoor 2>&1 | tail -n 1 >&2
  SPOOR=$(swift build -c release --show-bin-path)/spoor
fi
if [ -z "${WORK:-}" ]; then WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT; fi
mkdir -p "$WORK"
read -r -a PROFILE_FILES <<< "${PROFILES:-$(ls Heuristics/profiles/*.json | tr '\n' ' ')}"

for chain in "${CHAINS[@]}"; do
  name=$(basename "$chain")
  [ -f "$WORK/$name.sqlite" ] || "$SPOOR" ingest "$chain/blocks" --db "$WORK/$name.sqlite" >/dev/null
done
RESULTS=()
for profile in "${PROFILE_FILES[@]}"; do
  pname=$(basename "$profile" .json)
  RESULTS+=("$WORK/result-$pname.json")
  args=()
  for chain in "${CHAINS[@]}"; do
    name=$(basename "$chain")
    db="$WORK/$name.$pname.sqlite"
    cp "$WORK/$name.sqlite" "$db"
    # The case's watchlist, as investigate passes it: only a profile with guard.roles reads it.
    site=()
    [ ! -f "$chain/case/watchlist.json" ] || site=(--watchlist "$chain/case/watchlist.json")
    "$SPOOR" cluster --db "$db" --profile "$profile" "${site[@]}" >/dev/null
    args+=(--truth "$chain" --db "$db")
  done
  # shellcheck disable=SC2086
  "$SPOOR" evaluate "${args[@]}" --profile "$profile" ${EVALUATE_ARGS:-} --json > "$WORK/result-$pname.json"
done
RATES=()
[ -z "${ERROR_RATES:-}" ] || RATES=(--error-rates "$ERROR_RATES" --readme "$ROOT/README.md")
[ -z "${NOTES:-}" ] || RATES+=(--notes "$NOTES")
python3 "$ROOT/Tests/Benchmarks/corpus-table.py" --chains "${CHAINS[@]}" --results "${RESULTS[@]}" "${RATES[@]}"
