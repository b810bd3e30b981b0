import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The blk parse benchmark: ≥ 500 MB of blk files built from real mainnet blocks, parsed in full (txids,
/// wtxids, script types and addresses of every output) on one core, next to `openssl dgst -sha256` over the
/// same files in the same run.
enum ParseBenchmark {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func run(_ args: [String]) throws {
        var megabytes = 520
        var directory: URL?
        var keep = false
        var i = 0
        while i < args.count {
            switch args[i] {
            case "--mb": i += 1; megabytes = Int(args[i]) ?? megabytes
            case "--dir": i += 1; directory = URL(fileURLWithPath: args[i])
            case "--keep": keep = true
            case "--profile":
                // Parse an already built directory only (for perf): no building, no openssl.
                i += 1
                let url = URL(fileURLWithPath: args[i])
                let index = try measure { try BlockDirectorySource(directory: url, network: nil, parallelIndexing: false) }
                let t = try measure { try scanThroughSource(url) }
                print("indexed \(index.value.blockCount) blocks in \(index.cpu) s CPU; indexed and parsed in \(t.cpu) s CPU")
                return
            default: throw Failure(description: "unknown option \(args[i])")
            }
            i += 1
        }
        let dir = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("spoor-bench-parse-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(at: dir) } }

        let built = try BenchChainBuilder.build(in: dir, bytes: megabytes * 1_000_000)
        let mb = Double(built.bytes) / 1_000_000
        print("built \(built.files.count) blk files, \(String(format: "%.1f", mb)) MB, \(built.blocks) blocks "
              + "(XOR-obfuscated, Core's 128 MiB files) from real mainnet blocks in Tests/Fixtures, re-mined as regtest")

        // Warm the page cache for everyone alike, then time openssl over exactly these files.
        let openssl = try timeOpenSSL(built.files)

        let result = try measure { try scanThroughSource(dir) }
        guard result.value.blocks == built.blocks else {
            throw Failure(description: "parsed \(result.value.blocks) blocks, built \(built.blocks)")
        }
        let decoded = try measure { try parseThroughSource(dir) }
        guard decoded.value.checksum == result.value.checksum, decoded.value.kinds == result.value.kinds else {
            throw Failure(description: "the decoding and scanning paths disagree")
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024
        let r = result.value

        print("parsed \(r.blocks) blocks, \(r.transactions) txs, \(r.outputs) outputs "
              + "(\(r.addresses) with an address), kinds: \(r.kindSummary)")
        // CPU time is the fair clock on a shared machine: wall time also counts other processes' turns.
        print("                                          MB/s by CPU time   MB/s by wall time")
        print(String(format: "spoor parse, zero-copy scan (1 core)      : %10.1f  (%.2f s)  %10.1f  (%.2f s)",
                     mb / result.cpu, result.cpu, mb / result.wall, result.wall))
        print(String(format: "spoor parse, decoded Block values (1 core): %10.1f  (%.2f s)  %10.1f  (%.2f s)",
                     mb / decoded.cpu, decoded.cpu, mb / decoded.wall, decoded.wall))
        print(String(format: "openssl dgst -sha256 (same files)         : %10.1f  (%.2f s)  %10.1f  (%.2f s)",
                     mb / openssl.cpu, openssl.cpu, mb / openssl.wall, openssl.wall))
        print(String(format: "ratio spoor / openssl                     : %10.2f             %10.2f",
                     openssl.cpu / result.cpu, openssl.wall / result.wall))
        print(String(format: "peak memory (maxrss)                      : %10.1f MB", peakMB))
    }

    struct ParseResult {
        var blocks = 0, transactions = 0, outputs = 0, addresses = 0
        var kinds: [ScriptKind: Int] = [:]
        var checksum: UInt64 = 0
        var kindSummary: String {
            kinds.sorted { $0.value > $1.value }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        }
    }

    /// The zero-copy path: the blocks directory source hands out each best-chain block's bytes, `BlockScanner`
    /// hashes txids and wtxids in place, and every output script is classified (kind and address) from its
    /// slice of the buffer.
    static func scanThroughSource(_ dir: URL) throws -> ParseResult {
        struct Visitor: TransactionVisitor {
            var bytes: UnsafeRawBufferPointer
            let classifier: ScriptClassifier
            var result: ParseResult
            var kinds = [Int](repeating: 0, count: 256)

            mutating func output(_ index: Int, value: Amount, scriptPubKey: Range<Int>) {
                result.outputs += 1
                let c = classifier.classify(UnsafeRawBufferPointer(rebasing: bytes[scriptPubKey]))
                kinds[Int(c.kind.code)] += 1
                if let a = c.address { result.addresses += 1; result.checksum &+= UInt64(a.utf8.count) }
            }

            mutating func transaction(_ tx: ScannedTransaction) {
                result.transactions += 1
                result.checksum &+= tx.txid.digest.w0 &+ tx.wtxid.digest.w1
            }
        }
        let source = try BlockDirectorySource(directory: dir, network: nil, parallelIndexing: false)
        var visitor = Visitor(bytes: UnsafeRawBufferPointer(start: nil, count: 0),
                              classifier: ScriptClassifier(network: source.network ?? .main), result: ParseResult())
        try source.forEachRawBlock { record, _, bytes in
            visitor.bytes = bytes
            var reader = ByteReader(bytes, errorBase: record.offset)
            _ = try BlockScanner.scanBlock(&reader, visitor: &visitor)
            visitor.result.blocks += 1
        }
        var r = visitor.result
        for kind in ScriptKind.allCases where visitor.kinds[Int(kind.code)] > 0 { r.kinds[kind] = visitor.kinds[Int(kind.code)] }
        return r
    }

    /// The path users get: the blocks directory source (index, best chain, decode) and the classifier.
    static func parseThroughSource(_ dir: URL) throws -> ParseResult {
        var r = ParseResult()
        let source = try BlockDirectorySource(directory: dir, network: nil, parallelIndexing: false)
        let classifier = ScriptClassifier(network: source.network ?? .main)
        while let item = try source.next() {
            guard case let .block(b) = item else { continue }
            r.blocks += 1
            for tx in b.block.transactions {
                r.transactions += 1
                r.checksum &+= tx.txid.digest.w0 &+ tx.wtxid.digest.w1
                for out in tx.outputs {
                    r.outputs += 1
                    let c = classifier.classify(out.scriptPubKey)
                    r.kinds[c.kind, default: 0] += 1  // a dictionary: this path is the slow reference
                    if let a = c.address { r.addresses += 1; r.checksum &+= UInt64(a.utf8.count) }
                }
            }
        }
        return r
    }

    struct Timing<T> { var value: T; var cpu: Double; var wall: Double }

    static func cpuSeconds(_ who: Int32) -> Double {
        var u = rusage()
        getrusage(who, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// Runs `body`, measuring this process's CPU time (user + system) and wall time.
    static func measure<T>(_ body: () throws -> T) rethrows -> Timing<T> {
        let cpu0 = cpuSeconds(RUSAGE_SELF.rawValue)
        let wall0 = DispatchTime.now().uptimeNanoseconds
        let v = try body()
        return Timing(value: v, cpu: cpuSeconds(RUSAGE_SELF.rawValue) - cpu0,
                      wall: Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9)
    }

    /// The best of three `openssl dgst -sha256` runs over the files (after one warm-up run), CPU and wall.
    static func timeOpenSSL(_ files: [URL]) throws -> Timing<Void> {
        func once() throws -> Timing<Void> {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["openssl", "dgst", "-sha256"] + files.map(\.path)
            p.standardOutput = FileHandle.nullDevice
            let cpu0 = cpuSeconds(RUSAGE_CHILDREN.rawValue)
            let wall0 = DispatchTime.now().uptimeNanoseconds
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw Failure(description: "openssl exited \(p.terminationStatus)") }
            return Timing(value: (), cpu: cpuSeconds(RUSAGE_CHILDREN.rawValue) - cpu0,
                          wall: Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9)
        }
        _ = try once()  // warm-up: the files are in the page cache for both contenders
        let runs = [try once(), try once(), try once()]
        return Timing(value: (), cpu: runs.map(\.cpu).min() ?? 0, wall: runs.map(\.wall).min() ?? 0)
    }
}

/// Writes blk files from the real mainnet blocks in the fixtures, re-linked into one chain (each copy's
/// previous-hash points at the block before it, so best-chain assembly keeps every block) and obfuscated
/// with an XOR key as Core 28+ writes them.
enum BenchChainBuilder {
    struct Built { var files: [URL]; var bytes: Int; var blocks: Int }

    static let fixtures: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Fixtures")

    static func templates() throws -> [[UInt8]] {
        func file(_ p: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(p))) }
        func records(_ bytes: [UInt8]) -> [[UInt8]] {
            var out: [[UInt8]] = []
            var i = 0
            while i + 8 <= bytes.count {
                let n = Int(bytes[i + 4]) | Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]) << 16 | Int(bytes[i + 7]) << 24
                guard i + 8 + n <= bytes.count else { break }
                out.append(Array(bytes[(i + 8)..<(i + 8 + n)]))
                i += 8 + n
            }
            return out
        }
        // Mostly full modern blocks (what a node's blocks directory is made of), plus the early small ones.
        return [try file("bitcoin-core/block413567.raw"), try file("btcd/block574200.blk")]
            + records(try file("btcd/277647.dat")) + records(try file("btcd/blocks1-256.dat"))
    }

    static func build(in dir: URL, bytes target: Int) throws -> Built {
        let templates = try templates()
        let key: [UInt8] = [0x74, 0x6a, 0x81, 0x93, 0xce, 0xee, 0xbd, 0x0b]
        try Data(key).write(to: dir.appendingPathComponent("xor.dat"))
        let maxFile = 128 << 20
        var files: [URL] = []
        var total = 0, blocks = 0
        var previous = BlockHash.zero
        var handle: FileHandle?
        var fileBytes = 0
        var t = 0
        while total < target {
            var block = templates[t % templates.count]
            t += 1
            // Re-linked into one chain, so every header is mined again: at regtest difficulty (every second
            // hash meets it), since the reader checks each header's proof of work.
            block.replaceSubrange(4..<36, with: previous.digest.bytes)
            previous = BenchMining.mine(&block)
            let n = UInt32(block.count)
            var record = Network.regtest.magic + [UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)]
            record += block
            if handle == nil || fileBytes + record.count > maxFile {
                try handle?.close()
                let url = dir.appendingPathComponent(String(format: "blk%05d.dat", files.count))
                _ = FileManager.default.createFile(atPath: url.path, contents: nil)
                handle = try FileHandle(forWritingTo: url)
                files.append(url)
                fileBytes = 0
            }
            for j in record.indices { record[j] ^= key[(fileBytes + j) % 8] }
            try handle?.write(contentsOf: record)
            fileBytes += record.count
            total += record.count
            blocks += 1
        }
        try handle?.close()
        return Built(files: files, bytes: total, blocks: blocks)
    }
}

/// Mines a benchmark header at regtest difficulty (0x207fffff: every second hash meets it).
enum BenchMining {
    static let regtestBits: UInt32 = 0x207f_ffff

    /// Sets the bits of the block (raw bytes) to regtest's and grinds its nonce; returns its hash.
    static func mine(_ block: inout [UInt8]) -> BlockHash {
        withUnsafeBytes(of: regtestBits.littleEndian) { block.replaceSubrange(72..<76, with: $0) }
        let limit = UInt256.target(fromCompactBits: regtestBits) ?? .zero
        var nonce: UInt32 = 0
        while true {
            withUnsafeBytes(of: nonce.littleEndian) { block.replaceSubrange(76..<80, with: $0) }
            let digest = block.withUnsafeBytes { Hashing.sha256d(UnsafeRawBufferPointer(rebasing: $0[0..<80])) }
            if !(limit < UInt256(l0: digest.w0, l1: digest.w1, l2: digest.w2, l3: digest.w3)) { return BlockHash(digest: digest) }
            nonce &+= 1
        }
    }

    /// The same for a header value.
    static func mine(_ h: BlockHeader) -> BlockHeader {
        let limit = UInt256.target(fromCompactBits: regtestBits) ?? .zero
        var nonce: UInt32 = 0
        while true {
            let mined = BlockHeader(version: h.version, previousBlockHash: h.previousBlockHash, merkleRoot: h.merkleRoot,
                                    time: h.time, bits: regtestBits, nonce: nonce)
            if mined.proofOfWorkFault(powLimit: limit) == nil { return mined }
            nonce &+= 1
        }
    }
}
