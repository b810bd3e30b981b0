import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation

/// `spoor-bench ingest [--medium DIR] [--transactions N] [--work DIR]`
///
/// For the medium sample chain and for a generated chain of N transactions (default 1,000,000) written as
/// blk files: the reader's parse-only throughput over the blk files, then the ingest throughput into a fresh
/// case database (every input resolved), the database size against the raw block bytes, and peak memory.
/// Release build, one core.
enum IngestBench {
    static func main(_ args: [String]) throws {
        var medium: String? = "/work/shared/data/samplechains/medium-seed3"
        var transactions = 1_000_000
        var work = FileManager.default.temporaryDirectory.appendingPathComponent("spoor-ingest-bench").path
        var keep = false
        var realMegabytes = 0
        var i = 1
        while i < args.count {
            let value = i + 1 < args.count ? args[i + 1] : ""
            switch args[i] {
            case "--medium": medium = value.isEmpty || value == "none" ? nil : value
            case "--real":
                guard let n = Int(value), n > 0 else { throw BenchError("--real needs a size in MB") }
                realMegabytes = n
            case "--transactions":
                guard let n = Int(value), n >= 0 else { throw BenchError("--transactions needs a count (0: none)") }
                transactions = n
            case "--work": work = value
            case "--keep": keep = true; i -= 1
            default: throw BenchError("unknown option \(args[i]); usage: spoor-bench ingest [--medium DIR|none] "
                                      + "[--transactions N] [--real MB] [--work DIR] [--keep]")
            }
            i += 2
        }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        print("spoor-bench ingest (release build expected; one core)")
        if let medium {
            try measure(label: "medium (\(URL(fileURLWithPath: medium).lastPathComponent))",
                        blocks: URL(fileURLWithPath: medium).appendingPathComponent("blocks"), work: work, keep: keep)
        }
        if realMegabytes > 0 { try measureReal(megabytes: realMegabytes, work: work, keep: keep) }
        if transactions > 0 {
            let generated = URL(fileURLWithPath: work).appendingPathComponent("generated-\(transactions)")
            try ChainGenerator.ensure(at: generated, transactions: transactions)
            try measure(label: "generated (\(transactions) tx), one thread", blocks: generated, work: work, keep: keep,
                        writerThread: false)
            try measure(label: "generated (\(transactions) tx), SQLite writes on a second thread", blocks: generated,
                        work: work, keep: keep, writerThread: true)
        }
        print(String(format: "peak memory (max RSS of this process): %.0f MiB", peakMemoryMiB()))
    }

    /// The parse benchmark's blk files (real mainnet blocks re-linked and re-mined, XOR'd), ingested with every
    /// consensus check on, in MB/s of CPU next to `openssl dgst -sha256` over the same files.
    static func measureReal(megabytes: Int, work: String, keep: Bool) throws {
        let dir = URL(fileURLWithPath: work).appendingPathComponent("real-\(megabytes)mb")
        defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let built = try BenchChainBuilder.build(in: dir, bytes: megabytes * 1_000_000)
        let openssl = try ParseBenchmark.timeOpenSSL(built.files)
        let ingestCPU = try measure(label: "real mainnet blocks (fixtures, re-linked)", blocks: dir, work: work,
                                    keep: keep)
        let mb = Double(built.bytes) / 1_000_000
        print(String(format: "  spoor ingest %.1f MB/s per CPU-second; openssl dgst -sha256 over the same files "
                     + "%.1f MB/s (%.2f s CPU): ratio %.3f", mb / ingestCPU, mb / openssl.cpu, openssl.cpu,
                     openssl.cpu / ingestCPU))
    }

    /// Prints the parse-only and ingest figures of one blocks directory; returns the ingest's CPU seconds.
    @discardableResult
    static func measure(label: String, blocks: URL, work: String, keep: Bool, writerThread: Bool = false) throws
        -> Double {
        // Parse only: the reader over the same bytes, every transaction decoded and hashed.
        var t0 = Date()
        var c0 = cpuSeconds()
        let reader = try BlockDirectorySource(directory: blocks, network: nil)
        var parsedTx = 0
        var rawBytes = 0
        var inputs = 0
        var outputs = 0
        while let item = try reader.next() {
            if case .block(let sb) = item {
                parsedTx += sb.block.transactions.count
                rawBytes += sb.block.size
                for tx in sb.block.transactions { inputs += tx.inputs.count; outputs += tx.outputs.count }
            }
        }
        let parseSeconds = Date().timeIntervalSince(t0)
        let parseCPU = cpuSeconds() - c0

        let dbPath = URL(fileURLWithPath: work).appendingPathComponent("bench-\(UUID().uuidString).sqlite").path
        defer {
            if keep { print("  kept \(dbPath)") } else { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) } }
        }
        t0 = Date()
        c0 = cpuSeconds()
        let summary: IngestSummary
        let dbBytes: Int64
        do {
            let database = try CaseDatabase(path: dbPath)
            let source = try BlockDirectorySource(directory: blocks, network: nil)
            var options = IngestOptions()
            options.writerThread = writerThread
            summary = try Ingestor(database: database, options: options).ingest(source)
            try database.checkpointWAL()
            dbBytes = database.fileBytes
        }
        let ingestSeconds = Date().timeIntervalSince(t0)
        let ingestCPU = cpuSeconds() - c0

        print("\n\(label): \(summary.blocksAdded) blocks, \(parsedTx) transactions, \(inputs) inputs, "
              + "\(outputs) outputs, \(String(format: "%.1f", Double(rawBytes) / 1_048_576)) MiB of blocks")
        // The machine is shared: CPU seconds of this process give the one-core rate; wall time is shown too.
        print(String(format: "  parse only (BlockDirectorySource): %7.2f s CPU %9.0f tx/s per CPU-second   (wall %.2f s)",
                     parseCPU, Double(parsedTx) / parseCPU, parseSeconds))
        print(String(format: "  spoor ingest (parse + store):      %7.2f s CPU %9.0f tx/s per CPU-second   (wall %.2f s, %.0f tx/s)",
                     ingestCPU, Double(summary.transactionsAdded) / ingestCPU, ingestSeconds,
                     Double(summary.transactionsAdded) / ingestSeconds))
        let t = summary.timing
        print(String(format: "  ingest CPU by phase: parse+judge %.2f s, stage %.2f s, insert %.2f s, commit %.2f s, "
                     + "spent-by pass %.2f s, index build %.2f s", ingestCPU - t.stageSeconds - t.writeSeconds
                     - t.commitSeconds - t.spentBySeconds - t.indexSeconds, t.stageSeconds, t.writeSeconds,
                     t.commitSeconds, t.spentBySeconds, t.indexSeconds))
        print("  unresolved inputs after ingest: \(summary.unresolvedInputs)")
        print(String(format: "  database %.1f MiB = %.2f × raw block bytes", Double(dbBytes) / 1_048_576,
                     Double(dbBytes) / Double(max(rawBytes, 1))))
        return ingestCPU
    }

    /// User + system CPU time of this process.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func peakMemoryMiB() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024  // kilobytes on Linux
    }
}

/// Writes a regtest chain of `transactions` transactions as blk files: Bitcoin-like shapes (1–10 inputs,
/// mostly 1–2; 1–20 outputs, mostly 2), P2WPKH/P2PKH/P2TR/P2SH outputs with some address reuse, segwit inputs
/// with witnesses and legacy ones with signature scripts, every input spending an earlier unspent output.
enum ChainGenerator {
    static let magic: [UInt8] = Network.regtest.magic
    static let transactionsPerBlock = 2_500

    /// `spoor-bench generate --transactions N --out DIR`: the chain alone, for runs through the `spoor` binary.
    static func main(_ args: [String]) throws {
        guard let n = ClusterBench.option(args, "--transactions").flatMap(Int.init), n > 0,
              let out = ClusterBench.option(args, "--out") else {
            throw BenchError("usage: spoor-bench generate --transactions N --out DIR")
        }
        try ensure(at: URL(fileURLWithPath: out), transactions: n)
    }

    static func ensure(at dir: URL, transactions: Int) throws {
        let done = dir.appendingPathComponent("COMPLETE")
        if FileManager.default.fileExists(atPath: done.path) {
            print("using the generated chain in \(dir.path)")
            return
        }
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let t0 = Date()
        var g = ChainGenerator.State(seed: 0x5B0_0B)
        var writer = try BlkWriter(dir: dir)
        var prev = BlockHash.zero
        var time: UInt32 = 1_600_000_000
        var made = 0
        var height = 0
        // Funding: coinbases with many outputs, so the first spends have coins to spend.
        while g.pool.count < 200_000 {
            let cb = g.coinbase(height: height, outputs: 2_000)
            let block = g.block(prev: prev, time: time, txs: [cb])
            try writer.write(block)
            prev = block.hash; time += 600; height += 1; made += 1
        }
        while made < transactions {
            var txs = [g.coinbase(height: height, outputs: 1)]
            let n = min(transactionsPerBlock, transactions - made) - 1
            for _ in 0..<max(n, 0) { txs.append(g.payment()) }
            let block = g.block(prev: prev, time: time, txs: txs)
            try writer.write(block)
            prev = block.hash; time += 600; height += 1; made += txs.count
        }
        try writer.close()
        try Data("\(made) transactions, \(height) blocks\n".utf8).write(to: done)
        print(String(format: "generated %d transactions in %d blocks (%.1f MiB) in %.1f s into %@", made, height,
                     Double(writer.totalBytes) / 1_048_576, Date().timeIntervalSince(t0), dir.path))
    }

    struct Coin {
        var txid: Txid
        var vout: UInt32
        var value: Int64
        var kind: UInt8  // 0 p2wpkh, 1 p2pkh, 2 p2tr, 3 p2sh
    }

    struct State {
        var rng: UInt64
        var pool: [Coin] = []
        var reusable: [([UInt8], UInt8)] = []

        init(seed: UInt64) { rng = seed }

        mutating func next() -> UInt64 {
            rng &+= 0x9E37_79B9_7F4A_7C15
            var z = rng
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

        mutating func bytes(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(n + 8)
            while out.count < n { withUnsafeBytes(of: next()) { out.append(contentsOf: $0) } }
            return Array(out.prefix(n))
        }

        mutating func script() -> ([UInt8], UInt8) {
            // Mainnet has about one new address per transaction (≈1.1–1.3 billion addresses over ≈1.1 billion
            // transactions) with ≈2.5 outputs each: a bit under half of all outputs pay an address seen before.
            if !reusable.isEmpty, below(100) < 45 { return reusable[below(reusable.count)] }
            let r = below(100)
            let made: ([UInt8], UInt8)
            if r < 50 { made = ([0x00, 0x14] + bytes(20), 0) }
            else if r < 75 { made = ([0x76, 0xa9, 0x14] + bytes(20) + [0x88, 0xac], 1) }
            else if r < 90 { made = ([0x51, 0x20] + bytes(32), 2) }
            else { made = ([0xa9, 0x14] + bytes(20) + [0x87], 3) }
            if reusable.count < 100_000 { reusable.append(made) } else { reusable[below(reusable.count)] = made }
            return made
        }

        mutating func coinbase(height: Int, outputs: Int) -> Transaction {
            var h = height
            var push: [UInt8] = []
            repeat { push.append(UInt8(h & 0xff)); h >>= 8 } while h > 0
            push.append(0)
            let sig = [UInt8(push.count)] + push + bytes(8)
            var outs: [TxOut] = []
            var kinds: [UInt8] = []
            for _ in 0..<outputs {
                let (s, k) = script()
                outs.append(TxOut(value: Amount(satoshis: 100_000_000), scriptPubKey: s))
                kinds.append(k)
            }
            let tx = Transaction(version: 2, inputs: [TxIn(prevout: .null, scriptSig: sig)], outputs: outs,
                                 lockTime: 0)
            for (n, k) in kinds.enumerated() {
                pool.append(Coin(txid: tx.txid, vout: UInt32(n), value: 100_000_000, kind: k))
            }
            return tx
        }

        mutating func take() -> Coin {
            // Mostly recent coins (most outputs are spent soon), sometimes old ones.
            let count = pool.count
            let i = below(100) < 70 ? count - 1 - below(min(count, 50_000)) : below(count)
            let coin = pool[i]
            pool[i] = pool[count - 1]
            pool.removeLast()
            return coin
        }

        mutating func payment() -> Transaction {
            let r = below(100)
            let inputCount = r < 60 ? 1 : r < 82 ? 2 : r < 90 ? 3 : 4 + below(7)
            let o = below(100)
            var outputCount = o < 15 ? 1 : o < 87 ? 2 : o < 97 ? 3 + below(3) : 10 + below(11)
            var coins: [Coin] = []
            for _ in 0..<min(inputCount, pool.count - 1) { coins.append(take()) }
            let total = coins.reduce(0) { $0 + $1.value }
            let fee = Int64(200 + below(3_000))
            var spendable = total - fee
            if spendable < Int64(outputCount) * 1_000 { outputCount = 1 }
            if spendable < 1_000 { spendable = total }  // dust: no fee rather than a negative output
            var inputs: [TxIn] = []
            for c in coins {
                let prevout = OutPoint(txid: c.txid, vout: c.vout)
                switch c.kind {
                case 1: inputs.append(TxIn(prevout: prevout, scriptSig: [0x48] + bytes(72) + [0x21] + bytes(33),
                                           sequence: 0xffff_fffd))
                case 3: inputs.append(TxIn(prevout: prevout, scriptSig: [0x16, 0x00, 0x14] + bytes(20),
                                           sequence: 0xffff_fffd, witness: [bytes(72), bytes(33)]))
                case 2: inputs.append(TxIn(prevout: prevout, sequence: 0xffff_fffd, witness: [bytes(64)]))
                default: inputs.append(TxIn(prevout: prevout, sequence: 0xffff_fffd, witness: [bytes(72), bytes(33)]))
                }
            }
            var outputs: [TxOut] = []
            var kinds: [UInt8] = []
            var left = spendable
            for k in 0..<outputCount {
                let value: Int64
                if k == outputCount - 1 { value = left } else {
                    value = max(546, Int64(below(Int(max(left / Int64(outputCount - k), 1_000)))) + 546)
                }
                left -= value
                let (s, kind) = script()
                outputs.append(TxOut(value: Amount(satoshis: value), scriptPubKey: s))
                kinds.append(kind)
            }
            let tx = Transaction(version: 2, inputs: inputs, outputs: outputs, lockTime: 0)
            for (n, k) in kinds.enumerated() where outputs[n].value.satoshis > 0 {
                pool.append(Coin(txid: tx.txid, vout: UInt32(n), value: outputs[n].value.satoshis, kind: k))
            }
            return tx
        }

        func block(prev: BlockHash, time: UInt32, txs: [Transaction]) -> Block {
            let header = BlockHeader(version: 0x2000_0000, previousBlockHash: prev,
                                     merkleRoot: Merkle.root(txs.map(\.txid.digest)), time: time,
                                     bits: 0x207f_ffff, nonce: 0)
            return Block(header: BenchMining.mine(header), transactions: txs)
        }
    }

    /// Writes blk records (magic, length, block) into files of at most 128 MiB, as Core does.
    struct BlkWriter {
        let dir: URL
        var index = 0
        var handle: FileHandle
        var written = 0
        var totalBytes = 0

        init(dir: URL) throws {
            self.dir = dir
            handle = try Self.open(dir, 0)
        }

        static func open(_ dir: URL, _ i: Int) throws -> FileHandle {
            let url = dir.appendingPathComponent(String(format: "blk%05d.dat", i))
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            return try FileHandle(forWritingTo: url)
        }

        mutating func write(_ block: Block) throws {
            let bytes = block.serialized()
            if written + bytes.count + 8 > 128 << 20 {
                try handle.close()
                index += 1
                handle = try Self.open(dir, index)
                written = 0
            }
            var record = ChainGenerator.magic
            withUnsafeBytes(of: UInt32(bytes.count).littleEndian) { record.append(contentsOf: $0) }
            record.append(contentsOf: bytes)
            try handle.write(contentsOf: record)
            written += record.count
            totalBytes += bytes.count
        }

        func close() throws { try handle.close() }
    }
}
