#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Tests/Fuzz, with libFuzzer's coverage instrumentation, and by default the
# address sanitizer: Spoor's code they link is instrumented too) and runs each for a number of executions, seeded
# from the test fixtures. Prints, per harness: executions, CPU seconds (user + sys) and executions per CPU second
# (the figure a shared, loaded machine does not distort), crashes, timeouts, out-of-memory stops, peak RSS, wall
# seconds.
#
# usage: Tests/Fuzz/fuzz.sh [--runs N] [--seconds S] [--smoke] [--no-asan] [HARNESS...]
#   --runs N     executions per harness (default 10,000,000)
#   --seconds S  stop a harness after S seconds even if it has not reached N (default: no limit)
#   --smoke      a few seconds per harness (CI: the harnesses keep building and start)
#   --no-asan    coverage instrumentation only (a build of its own in .build/no-asan): several times the
#                executions per second, for reaching an execution count; faults are still caught where Swift
#                traps (bounds, overflow, force-unwrap) and by the harnesses' checks, but not out-of-bounds reads
#                through unsafe pointers, which only the address-sanitizer build sees
# Environment: SPOOR_FUZZ_WORK (default /tmp/spoor-fuzz) keeps the grown corpora and crash artifacts.
# A crash or timeout leaves its input in $SPOOR_FUZZ_WORK/artifacts and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")"
fuzz=$(pwd)
root=$(cd ../.. && pwd)
runs=10000000
seconds=0
asan=1
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --smoke) runs=2000000000; seconds=5; shift ;;
    --no-asan) asan=0; shift ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
all=(FuzzTransaction FuzzBlock FuzzBlkDirectory FuzzNodeJSON FuzzBitcoinETL FuzzEsploraJSON FuzzAdsCSV FuzzWatchlist
     FuzzTagPackYAML FuzzProfileJSON FuzzRawFile)
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${all[@]}")

# -sanitize=fuzzer would also link libFuzzer's own main, which clashes with the entry point SwiftPM expects
# (see Package.swift): instrument for libFuzzer and link its driver without main instead. Without the address
# sanitizer, the driver (swiftc) must not see -sanitize at all (it would link libFuzzer with its main): the
# fuzzer instrumentation is asked of the frontend alone, and libFuzzer's C++ needs are linked by hand.
fuzzer_lib=$(dirname "$(dirname "$(command -v swift)")")/lib/swift/clang/lib/linux/libclang_rt.fuzzer_no_main-$(uname -m).a
if [ $asan = 1 ]; then
  flags=(-c release -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
         -Xswiftc -parse-as-library -Xlinker "$fuzzer_lib")
  echo "== building the harnesses (release, fuzzer + address sanitizer)"
else
  flags=(-c release --scratch-path .build/no-asan -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer
         -Xswiftc -parse-as-library -Xlinker "$fuzzer_lib" -Xlinker -lstdc++ -Xlinker -lm)
  echo "== building the harnesses (release, fuzzer instrumentation only)"
fi
swift build "${flags[@]}" 2>&1 | tail -n 3
bin=$(swift build "${flags[@]}" --show-bin-path)

work=${SPOOR_FUZZ_WORK:-/tmp/spoor-fuzz}
mkdir -p "$work/artifacts"
bash "$fuzz/make-seeds.sh" "$root" "$work/seeds"

# CPU seconds (user + sys) of the finished children of this shell, from bash's `times` (run in this shell, not
# in a command substitution, whose subshell has no children of its own).
children_cpu() {
  times > "$work/.times.$$"
  tail -n 1 "$work/.times.$$" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } print t }'
}

printf "%-18s %12s %8s %10s %8s %9s %5s %9s %8s\n" harness executions cpu_s exec_cpu_s crashes timeouts ooms peak_rss wall_s
status=0
for h in "${harnesses[@]}"; do
  mkdir -p "$work/corpus/$h"
  log="$work/$h.$$.log"  # per process, like the CPU files: a second fuzz.sh on the same work folder truncated it
  limits=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len=65536 -print_final_stats=1)
  [ "$seconds" -gt 0 ] && limits+=(-max_total_time="$seconds")
  started=$(date +%s)
  children_cpu > "$work/.cpu_before.$$"
  set +e
  # Swift's own crash reporter would catch a trap first and exit without libFuzzer writing the input out.
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$bin/$h" "${limits[@]}" -runs="$runs" -artifact_prefix="$work/artifacts/$h-" \
    "$work/corpus/$h" "$work/seeds/$h" > "$log" 2>&1
  code=$?
  set -e
  wall=$(( $(date +%s) - started ))
  children_cpu > "$work/.cpu_after.$$"
  cpu=$(awk -v a="$(cat "$work/.cpu_before.$$")" -v b="$(cat "$work/.cpu_after.$$")" 'BEGIN { printf "%.0f", b - a }')
  # -a: an input echoed into the log can make grep take it for a binary file and print no match
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
  rss=$(grep -ao 'stat::peak_rss_mb: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
  timeouts=$(grep -ac 'ERROR: libFuzzer: timeout' "$log" || true)
  ooms=$(grep -ac 'ERROR: libFuzzer: out-of-memory' "$log" || true)
  crashes=$(grep -acE 'ERROR: (AddressSanitizer|libFuzzer: deadly signal|libFuzzer: fuzz target exited)|property failed|Program crashed' "$log" || true)
  printf "%-18s %12s %8s %10s %8s %9s %5s %7sMB %8s\n" "$h" "$execs" "$cpu" "$(( execs / (cpu > 0 ? cpu : 1) ))" \
    "$crashes" "$timeouts" "$ooms" "$rss" "$wall"
  if [ "${execs:-0}" -eq 0 ]; then
    status=1
    echo "   $h: no executions in $log (the harness did not run, or its final statistics are missing)" >&2
  fi
  if [ "$code" -ne 0 ] || [ "$crashes" -gt 0 ] || [ "$timeouts" -gt 0 ] || [ "$ooms" -gt 0 ]; then
    status=1
    echo "   $h stopped (exit $code): see $log and $work/artifacts/" >&2
  fi
done
exit $status
