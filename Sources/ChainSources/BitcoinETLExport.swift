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
        var line: [UInt8] = []
        appendBlockLine(block, height: height, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    /// One `blocks.json` line (without the newline) appended to a UTF-8 buffer.
    public func appendBlockLine(_ block: Block, height: Int?, to line: inout [UInt8]) {
        let h = block.header
        var j = JSONLineBuilder(taking: &line)
        j.displayHex("hash", block.hash.digest)
        j.int("size", block.size)
        j.int("stripped_size", block.strippedSize)
        j.int("weight", block.weight)
        j.int("number", height)
        j.int("version", Int(h.version))
        j.displayHex("merkle_root", h.merkleRoot)
        j.int("timestamp", Int(h.time))
        j.string("nonce", String(h.nonce, radix: 16))
        j.string("bits", Self.paddedHex(h.bits))
        if let coinbase = block.transactions.first, coinbase.isCoinbase {
            j.hex("coinbase_param", coinbase.inputs[0].scriptSig)
        } else {
            j.string("coinbase_param", nil)
        }
        j.int("transaction_count", block.transactions.count)
        j.finish(into: &line)
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
        var line: [UInt8] = []
        appendTransactionLine(tx, placement: placement, prevouts: prevouts, to: &line)
        return String(decoding: line, as: UTF8.self)
    }

    /// One `transactions.json` line appended to a UTF-8 buffer.
    public func appendTransactionLine(_ tx: Transaction, placement: Placement?, prevouts: [TxOut?]?,
                                      to line: inout [UInt8]) {
        var j = JSONLineBuilder(taking: &line)
        j.displayHex("hash", tx.txid.digest)
        j.int("size", tx.size)
        j.int("virtual_size", tx.vsize)
        j.int("version", Int(UInt32(bitPattern: tx.version)))
        j.int("lock_time", Int(tx.lockTime))
        j.int("block_number", placement?.height)
        j.displayHex("block_hash", placement?.blockHash.digest)
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
                    o.displayHex("spent_transaction_hash", input.prevout.txid.digest)
                    o.int("spent_output_index", Int(input.prevout.vout))
                    o.asm("script_asm", input.scriptSig, attemptSighashDecode: true)
                    o.hex("script_hex", input.scriptSig)
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
                    o.asm("script_asm", output.scriptPubKey)
                    o.hex("script_hex", output.scriptPubKey)
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
        j.finish(into: &line)
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
    /// One line at a time, its capacity kept from line to line.
    private var line: [UInt8] = []

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
        line.removeAll(keepingCapacity: true)
        formatter.appendBlockLine(b, height: block.height, to: &line)
        try blocks.write(line: &line)
        for (t, tx) in b.transactions.enumerated() {
            let placement = BitcoinETLFormatter.Placement(height: block.height, blockHash: b.hash,
                                                          blockTime: b.header.time, index: t)
            let spent = prevouts.flatMap { t < $0.count ? $0[t] : nil }
            line.removeAll(keepingCapacity: true)
            formatter.appendTransactionLine(tx, placement: placement, prevouts: spent, to: &line)
            try transactions.write(line: &line)
        }
        blocksWritten += 1
        transactionsWritten += b.transactions.count
    }

    /// Writes a transaction that belongs to no block.
    public func write(looseTransaction tx: Transaction, prevouts: [TxOut?]?) throws(SourceError) {
        line.removeAll(keepingCapacity: true)
        formatter.appendTransactionLine(tx, placement: nil, prevouts: prevouts, to: &line)
        try transactions.write(line: &line)
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

/// Builds one JSON object as UTF-8 bytes, keys in the order written, with Python's `json.dumps` separators
/// (", " and ": ") so lines look like bitcoin-etl's own. Everything goes into one buffer: a nested array or object
/// takes the buffer over (`swap`, never a copy) and hands it back, and hex, script asm and numbers are written
/// straight into it — building each field and each nested value as a `String` of its own and copying it into its
/// parent was most of `spoor export`'s CPU (`Tests/Benchmarks/export-results.md`).
struct JSONLineBuilder {
    private var out: [UInt8] = []
    private var first = true

    /// Starts an object at the end of `buffer`, which the builder holds until `finish(into:)` gives it back.
    init(taking buffer: inout [UInt8]) {
        swap(&out, &buffer)
        out.append(UInt8(ascii: "{"))
    }

    /// A builder of its own buffer, for one line as text (`finish()`).
    init() {
        out.append(UInt8(ascii: "{"))
    }

    mutating func finish(into buffer: inout [UInt8]) {
        out.append(UInt8(ascii: "}"))
        swap(&out, &buffer)
    }

    mutating func finish() -> String {
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func key(_ k: StaticString) {
        if !first { out.append(UInt8(ascii: ",")); out.append(UInt8(ascii: " ")) }
        first = false
        out.append(UInt8(ascii: "\""))
        literal(k)
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
        out.append(UInt8(ascii: " "))
    }

    private mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private mutating func null() { literal("null") }

    mutating func string(_ k: StaticString, _ v: String?) {
        key(k)
        if let v { Self.appendQuoted(v, to: &out) } else { null() }
    }

    /// Bytes as a quoted lower-case hex string, in the order given.
    mutating func hex(_ k: StaticString, _ v: some Sequence<UInt8>) {
        key(k)
        out.append(UInt8(ascii: "\""))
        Hex.append(v, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// A hash as its display hex (byte-reversed, as txids and block hashes are shown), or null.
    mutating func displayHex(_ k: StaticString, _ v: Digest32?) {
        key(k)
        guard let v else { null(); return }
        out.append(UInt8(ascii: "\""))
        // The words hold the bytes little-endian: big-endian words, last first, are the bytes reversed.
        withUnsafeBytes(of: (v.w3.bigEndian, v.w2.bigEndian, v.w1.bigEndian, v.w0.bigEndian)) { Hex.append($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Core's asm of a script, quoted (printable ASCII: nothing to escape).
    mutating func asm(_ k: StaticString, _ script: [UInt8], attemptSighashDecode: Bool = false) {
        key(k)
        out.append(UInt8(ascii: "\""))
        script.withUnsafeBytes { ScriptAsm.append($0, attemptSighashDecode: attemptSighashDecode, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    mutating func int(_ k: StaticString, _ v: Int?) {
        int64(k, v.map(Int64.init))
    }

    mutating func int64(_ k: StaticString, _ v: Int64?) {
        key(k)
        guard let v else { null(); return }
        Self.appendDecimal(v, to: &out)
    }

    mutating func bool(_ k: StaticString, _ v: Bool) {
        key(k)
        literal(v ? "true" : "false")
    }

    mutating func strings(_ k: StaticString, _ v: [String]) {
        key(k)
        out.append(UInt8(ascii: "["))
        for (i, s) in v.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")); out.append(UInt8(ascii: " ")) }
            Self.appendQuoted(s, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    mutating func array(_ k: StaticString, _ body: (inout JSONArrayBuilder) -> Void) {
        key(k)
        var a = JSONArrayBuilder(taking: &out)
        body(&a)
        a.finish(into: &out)
    }

    /// `v` in decimal, as Python's `str(int)` writes it.
    static func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") &+ UInt8(m % 10))
            m /= 10
        } while m > 0
        out[start...].reverse()
    }

    /// Appends `s` as a JSON string. What an export writes (hex, addresses, type names) never needs escaping, so
    /// such a string is appended whole.
    static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: s.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        for u in s.utf8 {
            switch u {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                Hex.append(CollectionOfOne(u), to: &out)
            default: out.append(u)  // UTF-8 bytes of other scalars pass through, as with ensure_ascii=False
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

struct JSONArrayBuilder {
    private var out: [UInt8] = []
    private var first = true

    init(taking buffer: inout [UInt8]) {
        swap(&out, &buffer)
        out.append(UInt8(ascii: "["))
    }

    mutating func object(_ body: (inout JSONLineBuilder) -> Void) {
        if !first { out.append(UInt8(ascii: ",")); out.append(UInt8(ascii: " ")) }
        first = false
        var o = JSONLineBuilder(taking: &out)
        body(&o)
        o.finish(into: &out)
    }

    mutating func finish(into buffer: inout [UInt8]) {
        out.append(UInt8(ascii: "]"))
        swap(&out, &buffer)
    }
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

    /// Writes `line` and a newline (appended to it).
    func write(line: inout [UInt8]) throws(SourceError) {
        guard let file else { throw SourceError("write after close", at: SourceLocation(file: path)) }
        line.append(UInt8(ascii: "\n"))
        let ok = line.withUnsafeBytes { p in fwrite(p.baseAddress, 1, p.count, file) == p.count }
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
