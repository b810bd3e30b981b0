import BitcoinAddresses
import BitcoinPrimitives
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Formats blocks and transactions as bitcoin-etl's `export_blocks_and_transactions` JSON lines
/// (`blocks.json`, `transactions.json`; schema in Tests/Fixtures/bitcoin-etl/SCHEMA_from_README.md), with the
/// same keys in the same order and the same quirks: `nonce` as unpadded lower-case hex, `coinbase_param` the
/// coinbase scriptSig in hex, the coinbase input dropped from `inputs`, a `pubkey` output given the P2PKH
/// address of its key, `hash` the txid, and `input_value` / `fee` summed over the inputs whose prevout is
/// known (so a transaction whose prevouts are unknown shows `input_value` 0 and a negative `fee`, exactly as
/// an un-enriched bitcoin-etl export does).
///
/// Deliberate differences from bitcoin-etl (each asserted by `ExportBitcoinETLTests`):
/// 1. An output that pays no address (`nulldata`, bare `multisig`, `nonstandard`) keeps Core's type and gets
///    `addresses: []`; bitcoin-etl rewrites its type to `nonstandard` and invents an address
///    `nonstandard<first 40 hex digits of sha256(script)>`.
/// 2. Types and addresses are derived from the script bytes for the chosen network, so Taproot and other
///    witness outputs get their real type (`witness_v1_taproot`, `witness_unknown`, `anchor`) and Bech32m
///    address, where bitcoin-etl on some node versions wrote `nonstandard` with a made-up address.
/// 3. `required_signatures` is always computed as Core before v22 stated `reqSigs` (1 for every single-key
///    or hash template, m for m-of-n multisig, null for `nulldata` / `nonstandard`); bitcoin-etl copies
///    `reqSigs` from the node, which Core 22+ no longer sends (it writes null there).
/// 4. A bare multisig output lists no addresses; Core before v22 listed the P2PKH address of every key.
/// 5. No `type` / `item_id` keys: those belong to bitcoin-etl's `stream` command, not to its export files.
/// 6. A loose transaction (raw transaction hex, no block) is written with null `block_number`,
///    `block_hash`, `block_timestamp` and `index`; bitcoin-etl exports only block transactions.
public struct BitcoinETLFormatter: Sendable {
    public let network: Network
    private let classifier: ScriptClassifier

    public init(network: Network) {
        self.network = network
        classifier = ScriptClassifier(network: network)
    }

    /// One `blocks.json` line (without the newline).
    public func blockLine(_ block: Block, height: Int?) -> String {
        let h = block.header
        var j = JSONLineBuilder()
        j.string("hash", block.hash.hex)
        j.int("size", block.size)
        j.int("stripped_size", block.strippedSize)
        j.int("weight", block.weight)
        j.int("number", height)
        j.int("version", Int(h.version))
        j.string("merkle_root", h.merkleRoot.displayHex)
        j.int("timestamp", Int(h.time))
        j.string("nonce", String(h.nonce, radix: 16))
        j.string("bits", Self.paddedHex(h.bits))
        j.string("coinbase_param", block.transactions.first.flatMap { $0.isCoinbase ? Hex.encode($0.inputs[0].scriptSig) : nil })
        j.int("transaction_count", block.transactions.count)
        return j.finish()
    }

    /// Where a transaction sits: its block and position, or nothing for a loose transaction.
    public struct Placement: Sendable {
        public var height: Int?
        public var blockHash: BlockHash
        public var blockTime: UInt32
        public var index: Int

        public init(height: Int?, blockHash: BlockHash, blockTime: UInt32, index: Int) {
            self.height = height
            self.blockHash = blockHash
            self.blockTime = blockTime
            self.index = index
        }
    }

    /// One `transactions.json` line. `prevouts[i]` is the output input `i` spends, where known.
    public func transactionLine(_ tx: Transaction, placement: Placement?, prevouts: [TxOut?]?) -> String {
        var j = JSONLineBuilder()
        j.string("hash", tx.txid.hex)
        j.int("size", tx.size)
        j.int("virtual_size", tx.vsize)
        j.int("version", Int(UInt32(bitPattern: tx.version)))
        j.int("lock_time", Int(tx.lockTime))
        j.int("block_number", placement?.height)
        j.string("block_hash", placement?.blockHash.hex)
        j.int("block_timestamp", placement.map { Int($0.blockTime) })
        let coinbase = tx.isCoinbase
        j.bool("is_coinbase", coinbase)
        j.int("index", placement?.index)
        var inputValue: Int64 = 0
        j.array("inputs") { a in
            guard !coinbase else { return }
            for (i, input) in tx.inputs.enumerated() {
                let spent = (prevouts.flatMap { i < $0.count ? $0[i] : nil })
                a.object { o in
                    o.int("index", i)
                    o.string("spent_transaction_hash", input.prevout.txid.hex)
                    o.int("spent_output_index", Int(input.prevout.vout))
                    o.string("script_asm", ScriptAsm.string(input.scriptSig, attemptSighashDecode: true))
                    o.string("script_hex", Hex.encode(input.scriptSig))
                    o.int("sequence", Int(input.sequence))
                    if let spent {
                        let c = classifier.classify(spent.scriptPubKey)
                        o.int("required_signatures", Self.requiredSignatures(c.kind, script: spent.scriptPubKey))
                        o.string("type", c.kind.rawValue)
                        o.strings("addresses", c.address.map { [$0] } ?? [])
                        o.int64("value", spent.value.satoshis)
                        inputValue += spent.value.satoshis
                    } else {
                        o.int("required_signatures", nil)
                        o.string("type", nil)
                        o.strings("addresses", [])
                        o.int64("value", nil)
                    }
                }
            }
        }
        j.array("outputs") { a in
            for (i, output) in tx.outputs.enumerated() {
                let c = classifier.classify(output.scriptPubKey)
                a.object { o in
                    o.int("index", i)
                    o.string("script_asm", ScriptAsm.string(output.scriptPubKey))
                    o.string("script_hex", Hex.encode(output.scriptPubKey))
                    o.int("required_signatures", Self.requiredSignatures(c.kind, script: output.scriptPubKey))
                    o.string("type", c.kind.rawValue)
                    o.strings("addresses", c.address.map { [$0] } ?? [])
                    o.int64("value", output.value.satoshis)
                }
            }
        }
        let outputValue = tx.totalOutput.satoshis
        j.int("input_count", coinbase ? 0 : tx.inputs.count)
        j.int("output_count", tx.outputs.count)
        j.int64("input_value", inputValue)
        j.int64("output_value", outputValue)
        j.int64("fee", coinbase ? 0 : inputValue - outputValue)
        return j.finish()
    }

    /// Core's pre-v22 `reqSigs`: m for multisig, 1 for every other template with a destination, none for
    /// `nulldata` and `nonstandard`.
    static func requiredSignatures(_ kind: ScriptKind, script: [UInt8]) -> Int? {
        switch kind {
        case .nulldata, .nonstandard: return nil
        case .multisig:
            guard let first = script.first, (0x51...0x60).contains(first) else { return nil }
            return Int(first) - 0x50
        default: return 1
        }
    }

    static func paddedHex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}

/// Writes `blocks.json` and `transactions.json` into a directory. It takes blocks with whatever prevouts the
/// caller knows (a source's own, an exporter's in-run map, or the case store's database), so every producer
/// of chain data shares one writer.
public final class BitcoinETLWriter {
    public let directory: URL
    public let formatter: BitcoinETLFormatter
    public private(set) var blocksWritten = 0
    public private(set) var transactionsWritten = 0
    private let blocks: LineFileWriter
    private let transactions: LineFileWriter

    public init(directory: URL, network: Network) throws(SourceError) {
        self.directory = directory
        formatter = BitcoinETLFormatter(network: network)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw SourceError("cannot create the output directory: \(error)", at: SourceLocation(file: directory.path))
        }
        blocks = try LineFileWriter(path: directory.appendingPathComponent(Self.fileNames[0]).path)
        transactions = try LineFileWriter(path: directory.appendingPathComponent(Self.fileNames[1]).path)
    }

    /// The files it writes into its directory.
    public static let fileNames = ["blocks.json", "transactions.json"]

    /// Writes a block and its transactions. `prevouts[t][i]` is the output spent by input `i` of
    /// transaction `t`, where known (nil entries, a short array or nil altogether: unknown).
    public func write(_ block: SourceBlock, prevouts: [[TxOut?]]?) throws(SourceError) {
        let b = block.block
        try blocks.write(formatter.blockLine(b, height: block.height))
        for (t, tx) in b.transactions.enumerated() {
            let placement = BitcoinETLFormatter.Placement(height: block.height, blockHash: b.hash,
                                                          blockTime: b.header.time, index: t)
            let spent = prevouts.flatMap { t < $0.count ? $0[t] : nil }
            try transactions.write(formatter.transactionLine(tx, placement: placement, prevouts: spent))
        }
        blocksWritten += 1
        transactionsWritten += b.transactions.count
    }

    /// Writes a transaction that belongs to no block.
    public func write(looseTransaction tx: Transaction, prevouts: [TxOut?]?) throws(SourceError) {
        try transactions.write(formatter.transactionLine(tx, placement: nil, prevouts: prevouts))
        transactionsWritten += 1
    }

    /// Flushes and closes both files; call once at the end.
    public func close() throws(SourceError) {
        try blocks.close()
        try transactions.close()
    }
}

/// Runs a chain source into a `BitcoinETLWriter`, filling in prevouts the source does not carry from the
/// outputs created earlier in the same run (an in-memory map that forgets an output once it is spent, so it
/// holds at most the run's unspent outputs).
public final class BitcoinETLExporter {
    public let writer: BitcoinETLWriter
    private var unspent: [OutPoint: TxOut] = [:]

    public init(writer: BitcoinETLWriter) {
        self.writer = writer
    }

    /// Remembers a transaction's outputs without writing it (prevout knowledge from elsewhere, e.g. the
    /// `getrawtransaction` answers that came with an export).
    public func learnOutputs(of tx: Transaction) {
        for (i, o) in tx.outputs.enumerated() where !(o.scriptPubKey.first == 0x6a) {
            unspent[OutPoint(txid: tx.txid, vout: UInt32(i))] = o
        }
    }

    public func export(_ item: SourceItem) throws(SourceError) {
        switch item {
        case .block(let sb):
            var resolved: [[TxOut?]] = []
            resolved.reserveCapacity(sb.block.transactions.count)
            for (t, tx) in sb.block.transactions.enumerated() {
                let stated = sb.prevouts.flatMap { t < $0.count ? $0[t] : nil }
                resolved.append(resolve(tx, stated: stated))
            }
            try writer.write(sb, prevouts: resolved)
        case .transaction(let tx, _):
            try writer.write(looseTransaction: tx, prevouts: resolve(tx, stated: nil))
        }
    }

    /// Exports everything the source yields; the writer is closed even when the source fails midway, so
    /// what was read before the fault is on disk.
    public func exportAll(from source: any ChainSource) throws {
        do {
            while let item = try source.next() { try export(item) }
        } catch {
            try? writer.close()
            throw error
        }
        try writer.close()
    }

    /// The prevouts of `tx`: the source's where stated, else from this run; then records its outputs.
    private func resolve(_ tx: Transaction, stated: [TxOut?]?) -> [TxOut?] {
        var out: [TxOut?] = []
        if !tx.isCoinbase {
            out.reserveCapacity(tx.inputs.count)
            for (i, input) in tx.inputs.enumerated() {
                let known = unspent.removeValue(forKey: input.prevout)
                let fromSource = stated.flatMap { i < $0.count ? $0[i] : nil }
                out.append(fromSource ?? known)
            }
        } else {
            out = [nil]
        }
        learnOutputs(of: tx)
        return out
    }
}

/// Builds one JSON object as text, keys in the order written, with Python's `json.dumps` separators
/// (", " and ": ") so lines look like bitcoin-etl's own.
struct JSONLineBuilder {
    private var text = "{"
    private var first = true

    private mutating func key(_ k: String) {
        if !first { text += ", " }
        first = false
        text += "\""
        text += k
        text += "\": "
    }

    mutating func string(_ k: String, _ v: String?) {
        key(k)
        if let v { Self.appendQuoted(v, to: &text) } else { text += "null" }
    }

    mutating func int(_ k: String, _ v: Int?) {
        key(k)
        text += v.map { String($0) } ?? "null"
    }

    mutating func int64(_ k: String, _ v: Int64?) {
        key(k)
        text += v.map { String($0) } ?? "null"
    }

    mutating func bool(_ k: String, _ v: Bool) {
        key(k)
        text += v ? "true" : "false"
    }

    mutating func strings(_ k: String, _ v: [String]) {
        key(k)
        text += "["
        for (i, s) in v.enumerated() {
            if i > 0 { text += ", " }
            Self.appendQuoted(s, to: &text)
        }
        text += "]"
    }

    mutating func array(_ k: String, _ body: (inout JSONArrayBuilder) -> Void) {
        key(k)
        var a = JSONArrayBuilder()
        body(&a)
        text += a.finish()
    }

    func finish() -> String { text + "}" }

    /// Appends `s` as a JSON string. What an export writes (hex, addresses, type names) never needs escaping, so
    /// such a string is appended whole: appending it scalar by scalar was 41 % of `spoor export`'s CPU (perf).
    static func appendQuoted(_ s: String, to out: inout String) {
        out += "\""
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

struct JSONArrayBuilder {
    private var text = "["
    private var first = true

    mutating func object(_ body: (inout JSONLineBuilder) -> Void) {
        if !first { text += ", " }
        first = false
        var o = JSONLineBuilder()
        body(&o)
        text += o.finish()
    }

    func finish() -> String { text + "]" }
}

/// Appends lines to a file through stdio's buffer. The lines go to a new file beside `path` (created
/// exclusively, never through a symlink) that `close()` renames onto `path`: whatever is at `path` — a planted
/// symlink included — is replaced, never written through.
final class LineFileWriter {
    let path: String
    private let temporary: String
    private var file: UnsafeMutablePointer<FILE>?

    init(path: String) throws(SourceError) {
        self.path = path
        temporary = path + ".partial-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644)
        guard fd >= 0, let f = fdopen(fd, "w") else {
            throw SourceError("cannot create file: \(String(cString: strerror(errno)))", at: SourceLocation(file: temporary))
        }
        file = f
        setvbuf(f, nil, _IOFBF, 1 << 20)
    }

    deinit {
        if let file {
            fclose(file)
            unlink(temporary)
        }
    }

    func write(_ line: String) throws(SourceError) {
        guard let file else { throw SourceError("write after close", at: SourceLocation(file: path)) }
        var l = line
        l += "\n"
        let ok = l.withUTF8 { p in fwrite(p.baseAddress, 1, p.count, file) == p.count }
        guard ok else {
            throw SourceError("cannot write: \(String(cString: strerror(errno)))", at: SourceLocation(file: path))
        }
    }

    func close() throws(SourceError) {
        guard let f = file else { return }
        file = nil
        guard fclose(f) == 0 else {
            unlink(temporary)
            throw SourceError("cannot finish writing: \(String(cString: strerror(errno)))", at: SourceLocation(file: path))
        }
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw SourceError("cannot put the file in place: \(why)", at: SourceLocation(file: path))
        }
    }
}
