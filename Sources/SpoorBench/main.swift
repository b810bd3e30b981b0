#if canImport(Glibc)
import Glibc
#endif

// spoor-bench: benchmarks that print Spoor's figure next to a peer's, from the same run.
// Usage: spoor-bench <benchmark> [options]. Build in release: `swift run -c release spoor-bench parse`.

let benchArguments = Array(CommandLine.arguments.dropFirst())

if benchArguments.first?.hasPrefix("cluster") == true {
    // The clustering benchmarks parse their own arguments (names starting with "cluster").
    try ClusterBench.main(benchArguments)
} else if benchArguments.first == "ingest" {
    try IngestBench.main(benchArguments)
} else if benchArguments.first == "generate" {
    try ChainGenerator.main(benchArguments)
} else if benchArguments.first == "addresses" {
    AddressBench.run()
} else if benchArguments.first == "parse" {
    do {
        try ParseBenchmark.run(Array(benchArguments.dropFirst()))
    } catch {
        print("spoor-bench parse: \(error)")
        exit(1)
    }
} else if benchArguments.first == "match-ads" {
    MatchAdsBench.main(benchArguments)
} else if benchArguments.first == "json" {
    try SourcesBench.main(benchArguments)
} else {
    print("usage: spoor-bench <benchmark> [options]")
    print("  parse [--mb N] [--dir DIR] [--keep]   blk parse throughput vs openssl dgst -sha256")
    print("  generate --transactions N --out DIR  write the ingest benchmark's generated chain as blk files")
    print("  addresses                            address derivation throughput")
    print("  json NODE_FILE|ETL_DIR...            JSON readers: parse, ingest vs python3 json.loads (json.sh)")
    print("  match-ads [--payments P] [N...]      ad matching when N ads compete for P payments")
    print("  ingest [--medium DIR|none] [--transactions N] [--keep]   ingest throughput, database size")
    print("  cluster…                             clustering benchmarks (see ClusterBench.swift)")
    exit(2)
}
