import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation

/// The JSON readers' benchmark (issue 16): `spoor-bench json [--network NAME] NODE_FILE ETL_DIR...`.
///
/// For a node-JSON file (`getblock 3` lines) and for bitcoin-etl exports of the same chain (plain `.json`, and
/// `.json.gz` shards), measures in one run, as CPU seconds of this process:
/// - parse: the source read to the end (JSON, exact amounts, hex, every block and transaction rebuilt and
///   checked against its stated ids);
/// - ingest: the same source into a fresh case database (parse + the ingest write path);
/// - the peer: Python's C JSON parser (`json.loads` per line) over the same lines, timed over the parse only
///   (lines already in memory), and with reading and decompressing the files as well.
/// The ratio is the peer's CPU time over Spoor's: ≥ 1 means Spoor is at least as fast. Node JSON and bitcoin-etl
/// rows do not name their network, so the ingest is told it (`--network`, as `spoor ingest` is; default regtest,
/// the sample chains').
enum SourcesBench {
    static func main(_ args: [String]) throws {
        var paths = Array(args.dropFirst())
        var network = Network.regtest
        if paths.first == "--network", paths.count > 1 {
            guard let named = Network(rawValue: paths[1]) else { throw BenchError("unknown network \(paths[1])") }
            network = named
            paths.removeFirst(2)
        }
        guard !paths.isEmpty else {
            print("usage: spoor-bench json [--network NAME] NODE_JSON_FILE|ETL_DIR...")
            exit(2)
        }
        for path in paths { try measure(path, network: network) }
    }

    static func measure(_ path: String, network: Network) throws {
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let open: () throws -> any ChainSource
        let files: [String]
        if isDirectory.boolValue {
            let layout = try BitcoinETLLayout.find(in: URL(fileURLWithPath: path))!
            open = { BitcoinETLSource(layout: layout, network: nil) }
            files = layout.blockFiles + layout.transactionFiles
        } else {
            open = { NodeJSONSource(path: path) }
            files = [path]
        }
        var bytes = 0
        for file in files {
            let lines = try GzipLineReader(path: file)  // also warms the page cache
            while let line = try lines.nextLine() { bytes += line.count + 1 }
        }
        let mb = Double(bytes) / 1e6
        print("\n\(path): \(files.count) file(s), \(String(format: "%.1f", mb)) MB of JSON")

        var c0 = IngestBench.cpuSeconds()
        let source = try open()
        var transactions = 0
        while let item = try source.next() {
            if case .block(let b) = item { transactions += b.block.transactions.count }
        }
        let parse = IngestBench.cpuSeconds() - c0
        print(String(format: "  spoor parse (read + check):   %6.2f s CPU  %6.1f MB/s  %8.0f tx/s  (%d tx)",
                     parse, mb / parse, Double(transactions) / parse, transactions))

        let db = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-json-bench-\(getpid()).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) } }
        c0 = IngestBench.cpuSeconds()
        do {
            let database = try CaseDatabase(path: db)
            var options = IngestOptions()
            options.network = network
            _ = try Ingestor(database: database, options: options).ingest(try open())
        }
        let ingest = IngestBench.cpuSeconds() - c0
        print(String(format: "  spoor ingest (parse + store): %6.2f s CPU  %6.1f MB/s  %8.0f tx/s  (store ≈ %.2f s, %.0f %%)",
                     ingest, mb / ingest, Double(transactions) / ingest, ingest - parse, 100 * (ingest - parse) / ingest))

        guard let (loads, total) = python(files) else { print("  peer python3 json.loads: not available"); return }
        print(String(format: "  peer python3 json.loads:      %6.2f s CPU  %6.1f MB/s  (with reading%@: %.2f s)",
                     loads, mb / loads, files.contains { $0.hasSuffix(".gz") } ? " and gunzip" : "", total))
        print(String(format: "  ratio python/spoor (CPU): parse %.2fx, ingest %.2fx", loads / parse, loads / ingest))
    }

    /// Python's CPU seconds for `json.loads` over every line of `files`: parse only, and with reading.
    static func python(_ files: [String]) -> (Double, Double)? {
        let script = """
            import gzip, json, sys, time
            t0 = time.process_time()
            lines = []
            for p in sys.argv[1:]:
                with (gzip.open(p, 'rb') if p.endswith('.gz') else open(p, 'rb')) as f:
                    lines.extend(l for l in f.read().splitlines() if l.strip())
            t1 = time.process_time()
            for line in lines:
                json.loads(line)
            t2 = time.process_time()
            print('%.4f %.4f' % (t2 - t1, t2 - t0))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + files
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let figures = text.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard process.terminationStatus == 0, figures.count == 2 else { return nil }
        return (figures[0], figures[1])
    }
}
