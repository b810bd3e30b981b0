import ArgumentParser
import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation

/// `spoor inspect`: decode a raw block, a raw transaction or a whole blk directory, for people or as JSON.
struct Inspect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Decode blocks, transactions and blk directories.",
        subcommands: [InspectBlock.self, InspectTransaction.self, InspectBlocks.self]
    )
}

/// Parses `--network`; a String option so the enum needs no command-line conformance.
func parseNetwork(_ name: String?) throws -> Network? {
    guard let name else { return nil }
    guard let n = Network(rawValue: name) else {
        throw CommandFailure("unknown network '\(name)': use one of "
                             + Network.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return n
}

// MARK: - inspect block

struct InspectBlock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block", abstract: "Decode one raw block (binary, hex, or a single blk record).")

    @Argument(help: "A file holding one block: binary, hex text, or magic + length + block.")
    var file: String
    @Flag(name: .long, help: "Add one line per transaction.")
    var txs = false
    @Option(name: .long, help: "Network for addresses: main, testnet3, testnet4, signet, regtest (default: from the record magic, else main).")
    var network: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let stated = try parseNetwork(network)
        let source = try RawBlockSource(file: URL(fileURLWithPath: file), network: stated)
        guard case let .block(sb)? = try source.next() else { throw CommandFailure("\(file): no block") }
        // Without a network (an unframed block), the header must still meet the target its own bits encode.
        let summary = BlockReport(sb.block, height: sb.height, powLimit: (source.network ?? .regtest).powLimit)
        let lines = txs ? sb.block.transactions.map { TransactionLine($0) } : nil
        if output.json {
            try printJSON(BlockReportWithTransactions(block: summary, txs: lines))
        } else {
            print(summary.text)
            if let lines {
                print("")
                for l in lines { print(l.text) }
            }
        }
    }
}

/// The keys `spoor inspect block` prints.
struct BlockReport: Encodable {
    var hash: BlockHash
    var previous_hash: BlockHash
    var height: Int?
    var time: UInt32
    var bits: String
    var merkle_root: String
    var merkle_ok: Bool
    /// What consensus rules the block breaks (proof of work, coinbase, duplicate txids, merkle root), or nil.
    var consensus_fault: String?
    var witness_commitment_ok: Bool?
    var tx_count: Int
    var size: Int
    var stripped_size: Int
    var weight: Int

    init(_ b: Block, height: Int?, powLimit: UInt256) {
        hash = b.hash
        previous_hash = b.header.previousBlockHash
        self.height = height
        time = b.header.time
        bits = String(format: "%08x", b.header.bits)
        merkle_root = b.header.merkleRoot.displayHex
        let fault = b.consensusFault(powLimit: powLimit)
        consensus_fault = fault.map(\.description)
        // A mutated block (a txid twice) keeps the merkle root of the genuine one: that is not a match.
        if case .duplicateTransaction = fault { merkle_ok = false } else { merkle_ok = b.merkleRootMatches }
        witness_commitment_ok = b.witnessCommitmentValid
        tx_count = b.transactions.count
        size = b.size
        stripped_size = b.strippedSize
        weight = b.weight
    }

    enum CodingKeys: String, CodingKey {
        case hash, previous_hash, height, time, bits, merkle_root, merkle_ok, consensus_fault, witness_commitment_ok,
             tx_count, size, stripped_size, weight
    }

    // Spelled out so that a missing height or commitment prints as null instead of vanishing.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hash, forKey: .hash)
        try c.encode(previous_hash, forKey: .previous_hash)
        try c.encode(height, forKey: .height)
        try c.encode(time, forKey: .time)
        try c.encode(bits, forKey: .bits)
        try c.encode(merkle_root, forKey: .merkle_root)
        try c.encode(merkle_ok, forKey: .merkle_ok)
        try c.encode(consensus_fault, forKey: .consensus_fault)
        try c.encode(witness_commitment_ok, forKey: .witness_commitment_ok)
        try c.encode(tx_count, forKey: .tx_count)
        try c.encode(size, forKey: .size)
        try c.encode(stripped_size, forKey: .stripped_size)
        try c.encode(weight, forKey: .weight)
    }

    var text: String {
        let when = Date(timeIntervalSince1970: TimeInterval(time)).formatted(.iso8601)
        return """
        block         \(hash)
        previous      \(previous_hash)
        height        \(height.map(String.init) ?? "unknown (no BIP34 height)")
        time          \(time) (\(when))
        bits          \(bits)
        merkle root   \(merkle_root) (\(merkle_ok ? "matches the transactions" : "DOES NOT MATCH the transactions"))
        checks        \(consensus_fault.map { "FAILS: \($0)" } ?? "proof of work, coinbase, distinct txids, merkle root: ok")
        witness       \(witness_commitment_ok.map { $0 ? "commitment matches" : "commitment DOES NOT MATCH" } ?? "no segwit data")
        transactions  \(tx_count)
        size          \(size) bytes (stripped \(stripped_size), weight \(weight))
        """
    }
}

struct TransactionLine: Encodable {
    var txid: Txid
    var hash: Wtxid
    var size: Int
    var vsize: Int
    var weight: Int
    var inputs: Int
    var outputs: Int
    var value_out_sat: Int64

    init(_ tx: Transaction) {
        txid = tx.txid
        hash = tx.wtxid
        size = tx.size
        vsize = tx.vsize
        weight = tx.weight
        inputs = tx.inputs.count
        outputs = tx.outputs.count
        value_out_sat = tx.totalOutput.satoshis
    }

    var text: String { "\(txid)  \(inputs) in  \(outputs) out  \(value_out_sat) sat  \(vsize) vB" }
}

struct BlockReportWithTransactions: Encodable {
    var block: BlockReport
    var txs: [TransactionLine]?

    enum CodingKeys: String, CodingKey { case txs }

    func encode(to encoder: any Encoder) throws {
        try block.encode(to: encoder)
        if let txs {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(txs, forKey: .txs)
        }
    }
}

// MARK: - inspect tx

struct InspectTransaction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx", abstract: "Decode a raw transaction, like Core's decoderawtransaction.")

    @Argument(help: "Transaction hex, or a file of hex transactions (one per line) or one binary transaction.")
    var hexOrFile: String
    @Option(name: .long, help: "Network for addresses: main, testnet3, testnet4, signet, regtest (default main).")
    var network: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let net = try parseNetwork(network) ?? .main
        let transactions = try Self.load(hexOrFile)
        let classifier = ScriptClassifier(network: net)
        let reports = transactions.map { TransactionReport($0, classifier: classifier) }
        if output.json {
            if reports.count == 1 { try printJSON(reports[0]) } else { try printJSON(reports) }
        } else {
            print(reports.map(\.text).joined(separator: "\n\n"))
        }
    }

    /// A path that exists is a file (hex lines or one binary transaction); anything else must be hex.
    static func load(_ argument: String) throws -> [Transaction] {
        if FileManager.default.fileExists(atPath: argument) {
            let url = URL(fileURLWithPath: argument)
            let bytes = try InputFile.read(argument, limit: 16 << 20)
            let isText = RawBlockSource.looksLikeHexText(bytes)
            if !isText, let (offset, byte) = RawBlockSource.firstNonHexInText(bytes) {
                throw CommandFailure("\(argument), character \(offset): '\(Character(Unicode.Scalar(byte)))' is not a hex "
                                     + "digit: the file is text but not transaction hex (nor a binary transaction)")
            }
            if !isText {
                do {
                    return [try Transaction(bytes: bytes)]
                } catch {
                    throw CommandFailure("\(argument), byte \(error.offset): bad transaction: \(error.reason)")
                }
            }
            let source = try RawTransactionHexSource(file: url, network: nil)
            var out: [Transaction] = []
            while let item = try source.next() {
                if case let .transaction(tx, _) = item { out.append(tx) }
            }
            guard !out.isEmpty else { throw CommandFailure("\(argument): no transaction in the file") }
            return out
        }
        let trimmed = argument.trimmingCharacters(in: .whitespacesAndNewlines)
        let bytes: [UInt8]
        do {
            bytes = try Hex.decode(trimmed)
        } catch {
            throw CommandFailure("the argument is neither an existing file nor hex: \(error.description)")
        }
        do {
            return [try Transaction(bytes: bytes)]
        } catch {
            throw CommandFailure("bad transaction: \(error.reason) at byte \(error.offset) of the decoded transaction")
        }
    }
}

/// The keys `spoor inspect tx` prints (a subset of Core's decoderawtransaction, values in satoshis).
struct TransactionReport: Encodable {
    struct Input: Encodable {
        var txid: Txid
        var vout: UInt32
        var sequence: UInt32
        var coinbase: String?
    }

    struct Output: Encodable {
        var n: Int
        var value_sat: Int64
        var type: String
        var address: String?
    }

    var txid: Txid
    var hash: Wtxid
    var version: Int32
    var size: Int
    var vsize: Int
    var weight: Int
    var locktime: UInt32
    var vin: [Input]
    var vout: [Output]

    init(_ tx: Transaction, classifier: ScriptClassifier) {
        txid = tx.txid
        hash = tx.wtxid
        version = tx.version
        size = tx.size
        vsize = tx.vsize
        weight = tx.weight
        locktime = tx.lockTime
        let coinbase = tx.isCoinbase
        vin = tx.inputs.map {
            Input(txid: $0.prevout.txid, vout: $0.prevout.vout, sequence: $0.sequence,
                  coinbase: coinbase ? Hex.encode($0.scriptSig) : nil)
        }
        vout = tx.outputs.enumerated().map { n, o in
            let c = classifier.classify(o.scriptPubKey)
            return Output(n: n, value_sat: o.value.satoshis, type: c.kind.rawValue, address: c.address)
        }
    }

    var text: String {
        var lines = [
            "txid      \(txid)",
            "wtxid     \(hash)",
            "version   \(version)   locktime \(locktime)",
            "size      \(size) bytes, \(vsize) vB, weight \(weight)",
            "inputs    \(vin.count)",
        ]
        for (i, input) in vin.enumerated() {
            if let cb = input.coinbase {
                lines.append("  [\(i)] coinbase \(cb)  sequence \(input.sequence)")
            } else {
                lines.append("  [\(i)] \(input.txid):\(input.vout)  sequence \(input.sequence)")
            }
        }
        lines.append("outputs   \(vout.count)")
        for o in vout {
            lines.append("  [\(o.n)] \(Amount(satoshis: o.value_sat).btcString) BTC  \(o.type)  \(o.address ?? "-")")
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - inspect blocks

struct InspectBlocks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocks",
        abstract: "Read a Bitcoin Core blocks directory: best chain, stale blocks, obfuscation, throughput.")

    @Argument(help: "The blocks directory (blkNNNNN.dat, optionally xor.dat).")
    var directory: String
    @Option(name: .long, help: "Expected network: main, testnet3, testnet4, signet, regtest (default: from the magic).")
    var network: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let (report, source, transactions, fault) = try Self.read(directory: directory, network: try parseNetwork(network))
        if output.json {
            try printJSON(report)
        } else {
            print(report.text(network: source.network, transactions: transactions))
        }
        if let fault {
            throw CommandFailure("stopped reading: \(fault)")
        }
    }

    /// Reads the whole best chain, decoding every block: the summary vouches for the bytes, not only the
    /// headers. A fault ends the reading; the summary still covers what was read before it.
    static func read(directory: String, network: Network?) throws
        -> (BlocksReport, BlockDirectorySource, transactions: Int, fault: (any Error)?) {
        let started = Date()
        let source = try BlockDirectorySource(directory: URL(fileURLWithPath: directory), network: network)
        var transactions = 0
        var fault: (any Error)?
        do {
            while let item = try source.next() {
                guard case let .block(b) = item else { continue }
                transactions += b.block.transactions.count
            }
        } catch {
            fault = error
        }
        let seconds = Date().timeIntervalSince(started)
        let report = BlocksReport(files: source.files.count, blocks: source.blockCount,
                                  best_height: source.bestChain.tipHeight, tip: source.bestChain.chain.last?.header.hash,
                                  stale: source.staleBlocks, unconnected: source.unconnectedBlocks.count,
                                  unconnected_pieces: source.unconnectedPieces, xor: source.obfuscation.isActive,
                                  bytes: source.totalBytes, seconds: (seconds * 1000).rounded() / 1000)
        return (report, source, transactions, fault)
    }
}

/// The keys `spoor inspect blocks` prints.
struct BlocksReport: Encodable {
    var files: Int
    var blocks: Int
    var best_height: Int?
    var tip: BlockHash?
    var stale: [BlockHash]
    /// Blocks read although they do not connect to the best chain, and the pieces they form.
    var unconnected: Int
    var unconnected_pieces: Int
    var xor: Bool
    var bytes: Int
    var seconds: Double

    enum CodingKeys: String, CodingKey {
        case files, blocks, best_height, tip, stale, unconnected, unconnected_pieces, xor, bytes, seconds
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(files, forKey: .files)
        try c.encode(blocks, forKey: .blocks)
        try c.encode(best_height, forKey: .best_height)
        try c.encode(tip, forKey: .tip)
        try c.encode(stale, forKey: .stale)
        try c.encode(unconnected, forKey: .unconnected)
        try c.encode(unconnected_pieces, forKey: .unconnected_pieces)
        try c.encode(xor, forKey: .xor)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(seconds, forKey: .seconds)
    }

    func text(network: Network?, transactions: Int) -> String {
        let mb = Double(bytes) / 1_000_000
        var lines = [
            "network       \(network?.rawValue ?? "unknown")",
            "files         \(files) (\(String(format: "%.1f", mb)) MB, \(xor ? "XOR-obfuscated" : "not obfuscated"))",
            "blocks        \(blocks) (\(stale.count) stale, \(unconnected) in \(unconnected_pieces) unconnected piece(s))",
            "best height   \(best_height.map(String.init) ?? "unknown")",
            "tip           \(tip.map(\.hex) ?? "none")",
            "transactions  \(transactions) in the blocks read",
            "read in       \(String(format: "%.2f", seconds)) s (\(String(format: "%.1f", seconds > 0 ? mb / seconds : 0)) MB/s)",
        ]
        if unconnected > 0 {
            lines.append("WARNING       \(unconnected) block(s) in \(unconnected_pieces) piece(s) do not connect to the best chain (earlier blocks missing or corrupt); they are read after it")
        }
        for s in stale { lines.append("stale         \(s)") }
        return lines.joined(separator: "\n")
    }
}
