import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation

/// Text-source benchmarks: `spoor-bench node-json [FILE]`.
///
/// Reads a `getblock 3` JSON-lines file (plain or .gz; default: the shared medium-seed3 chain when present,
/// else the bundled sample) with `NodeJSONSource` — Codable decoding, exact BTC→satoshi conversion, hex
/// decoding and every consistency check (header hash, merkle root, txids, wtxids, sizes, fees) — then exports
/// it as bitcoin-etl JSON lines. The peer, timed in the same run over the same decompressed bytes, is
/// Python's C JSON parser (`json.loads` per line): what bitcoin-etl, itself Python, spends just to parse
/// the node's answers, with no checking at all.
enum SourcesBench {
    static func main(_ args: [String]) throws {
        let shared = "/work/shared/data/samplechains/medium-seed3/rpc/blocks.jsonl"
        let path = args.dropFirst().first
            ?? (FileManager.default.fileExists(atPath: shared) ? shared : "SampleChains/small-seed1/rpc/blocks.jsonl.gz")
        // Decompressed size, measured by reading the lines once (also warms the page cache).
        let lines = try GzipLineReader(path: path)
        var bytes = 0
        var count = 0
        while let line = try lines.nextLine() { bytes += line.count + 1; count += 1 }
        let mb = Double(bytes) / 1e6
        print("node JSON: \(path): \(count) lines, \(String(format: "%.1f", mb)) MB of JSON")

        var start = Date()
        let source = NodeJSONSource(path: path)
        var blocks = 0, txs = 0
        while let item = try source.next() {
            if case .block(let b) = item { blocks += 1; txs += b.block.transactions.count }
        }
        let readSeconds = Date().timeIntervalSince(start)
        print(String(format: "spoor NodeJSONSource (decode + check): %.2f s, %.1f MB/s, %d blocks, %d txs (%.0f tx/s)",
                     readSeconds, mb / readSeconds, blocks, txs, Double(txs) / readSeconds))

        let out = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-bench-export-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        start = Date()
        let exporter = BitcoinETLExporter(writer: try BitcoinETLWriter(directory: out, network: source.network ?? .main))
        try exporter.exportAll(from: NodeJSONSource(path: path))
        let exportSeconds = Date().timeIntervalSince(start)
        print(String(format: "spoor export --format bitcoin-etl (read + check + write): %.2f s, %.1f MB/s in",
                     exportSeconds, mb / exportSeconds))

        // Peer: Python's json.loads over the same lines (decompressed by Python's gzip when needed).
        let script = """
            import gzip, json, sys, time
            p = sys.argv[1]
            f = gzip.open(p, 'rb') if p.endswith('.gz') else open(p, 'rb')
            data = f.read().splitlines()
            t = time.perf_counter()
            for line in data:
                json.loads(line)
            print('%.4f' % (time.perf_counter() - t))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        do {
            try process.run()
            process.waitUntilExit()
            let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if process.terminationStatus == 0, let s = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                print(String(format: "peer python3 json.loads (parse only, no checks): %.2f s, %.1f MB/s", s, mb / s))
                print(String(format: "ratio spoor/peer: %.2fx", (mb / readSeconds) / (mb / s)))
            } else {
                print("peer python3 json.loads: failed (exit \(process.terminationStatus))")
            }
        } catch {
            print("peer python3 json.loads: not available (\(error))")
        }
    }
}
