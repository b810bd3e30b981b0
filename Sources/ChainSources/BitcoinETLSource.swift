import BitcoinAddresses
import BitcoinPrimitives
import Foundation

/// Where a bitcoin-etl export's files are: `blocks.json` and `transactions.json` (JSON lines), or shards
/// (`blocks_000.json.gz`, …, read in natural name order), or `blocks/` and `transactions/` folders holding
/// shards at any depth (bitcoin-etl's `export_all` partitions them as `start_block=…/end_block=…/`).
public struct BitcoinETLLayout: Sendable {
    public var blockFiles: [String]
    public var transactionFiles: [String]

    static func isShard(_ name: String, prefix: String) -> Bool {
        name.hasPrefix(prefix) && (name.hasSuffix(".json") || name.hasSuffix(".json.gz"))
    }

    /// The export in `dir`, nil when there is none; an error when only half of one is there.
    public static func find(in dir: URL) throws(SourceError) -> BitcoinETLLayout? {
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
        var blocks = names.filter { isShard($0, prefix: "blocks") && !isDirectory(dir.appendingPathComponent($0)) }
            .sorted(by: naturalOrder).map { dir.appendingPathComponent($0).path }
        var transactions = names.filter { isShard($0, prefix: "transactions") && !isDirectory(dir.appendingPathComponent($0)) }
            .sorted(by: naturalOrder).map { dir.appendingPathComponent($0).path }
        if blocks.isEmpty { blocks = shards(under: dir.appendingPathComponent("blocks")) }
        if transactions.isEmpty { transactions = shards(under: dir.appendingPathComponent("transactions")) }
        switch (blocks.isEmpty, transactions.isEmpty) {
        case (true, true): return nil
        case (false, false): return BitcoinETLLayout(blockFiles: blocks, transactionFiles: transactions)
        case (true, false):
            throw SourceError("a bitcoin-etl export needs blocks.json (or blocks shards) next to transactions.json",
                              at: SourceLocation(file: dir.path))
        case (false, true):
            throw SourceError("a bitcoin-etl export needs transactions.json (or transactions shards) next to blocks.json",
                              at: SourceLocation(file: dir.path))
        }
    }

    static func isDirectory(_ url: URL) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &d) && d.boolValue
    }

    /// Every `*.json` / `*.json.gz` below `dir`, ordered by path with numbers compared as numbers.
    static func shards(under dir: URL) -> [String] {
        guard isDirectory(dir), let walker = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        var found: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".json") || relative.hasSuffix(".json.gz") { found.append(relative) }
        }
        return found.sorted(by: naturalOrder).map { dir.appendingPathComponent($0).path }
    }
}

/// Orders names so that "part-2" comes before "part-10": digit runs compare as numbers.
func naturalOrder(_ a: String, _ b: String) -> Bool {
    var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
    var x = i.next(), y = j.next()
    while let p = x, let q = y {
        if p.properties.numericType != nil, q.properties.numericType != nil,
           ("0"..."9").contains(p), ("0"..."9").contains(q) {
            var m = "", n = ""
            while let c = x, ("0"..."9").contains(c) { m.unicodeScalars.append(c); x = i.next() }
            while let c = y, ("0"..."9").contains(c) { n.unicodeScalars.append(c); y = j.next() }
            let mt = m.drop { $0 == "0" }, nt = n.drop { $0 == "0" }
            if mt.count != nt.count { return mt.count < nt.count }
            if mt != nt { return mt < nt }
            continue
        }
        if p != q { return p.value < q.value }
        x = i.next(); y = j.next()
    }
    return x == nil && y != nil
}

// MARK: - Source

/// A bitcoin-etl export (`blocks.json` + `transactions.json`, JSON lines, plain or `.gz` shards) as a chain
/// source, read as a stream: block rows one at a time, each with the transaction rows that name it
/// (rows of other blocks are held until their block comes, so shards need not be in the same order).
///
/// bitcoin-etl keeps neither witnesses nor the coinbase input, so each transaction is rebuilt from its rows
/// and must hash to the row's `hash` (the txid): the coinbase input comes back from the block's
/// `coinbase_param` with the sequence that makes the txid match. What stays unknown: witness data, so a
/// segwit transaction's `wtxid` is set to its txid (its `size` is the row's); and the previous block hash
/// when the row lacks `previous_block_hash` and the previous block is not in the export (then the header
/// keeps the row's `hash` and a zero previous hash). Types and addresses written by bitcoin-etl are not
/// used: consumers classify `script_hex` again (bitcoin-etl wrote Taproot as `nonstandard` with made-up
/// addresses). Enriched inputs (`value` and a standard `type`/address) give `prevouts` where the address
/// pins the script exactly (P2PKH, P2SH, segwit v0/v1).
public final class BitcoinETLSource: ChainSource {
    public private(set) var network: Network?
    public let layout: BitcoinETLLayout

    private let blockLines: MultiFileLines
    private let transactionLines: MultiFileLines
    private var waiting: [String: [(ETLTransactionRow, SourceLocation)]] = [:]
    private var previous: (number: Int, hash: BlockHash)?
    private var failure: (any Error)?

    public init(layout: BitcoinETLLayout, network: Network?) {
        self.layout = layout
        self.network = network
        blockLines = MultiFileLines(files: layout.blockFiles)
        transactionLines = MultiFileLines(files: layout.transactionFiles)
    }

    /// Opens the export in a directory.
    public convenience init(directory: URL, network: Network?) throws {
        guard let layout = try BitcoinETLLayout.find(in: directory) else {
            throw SourceError("no blocks.json / transactions.json (or shards) here", at: SourceLocation(file: directory.path))
        }
        self.init(layout: layout, network: network)
    }

    public func next() throws -> SourceItem? {
        if let failure { throw failure }
        do {
            return try readNext()
        } catch {
            failure = error
            throw error
        }
    }

    public func inputsRead() throws -> [ChainInput] { blockLines.inputsRead + transactionLines.inputsRead }

    /// The share of the export's bytes (compressed, for gzip) read so far, for progress.
    public var fractionRead: Double? {
        let (blocks, transactions) = (blockLines.progress, transactionLines.progress)
        let total = blocks.total + transactions.total
        return total > 0 ? min(1, Double(blocks.read + transactions.read) / Double(total)) : nil
    }

    /// One row of `what` ("block", "transaction"), or an error naming the line, the key path and the column.
    static func decode<T: JSONReadable>(_ type: T.Type, _ line: [UInt8], at location: SourceLocation,
                                        what: String) throws(SourceError) -> T {
        do {
            return try JSONReader.read(T.self, from: line)
        } catch {
            throw SourceError("malformed bitcoin-etl \(what) row \(error.located)", at: location)
        }
    }

    private func readNext() throws(SourceError) -> SourceItem? {
        guard let (line, location) = try blockLines.next() else {
            if let (hash, rows) = waiting.first {
                throw SourceError("\(rows.count) transaction row(s) name block \(hash), which blocks.json does not have",
                                  at: rows[0].1)
            }
            if let (line, location) = try transactionLines.next() {
                let row = try Self.decode(ETLTransactionRow.self, line, at: location, what: "transaction")
                throw SourceError("transaction \(row.hash) names block \(row.block_hash ?? "null"), which blocks.json "
                                  + "does not have", at: location)
            }
            return nil
        }
        let row = try Self.decode(ETLBlockRow.self, line, at: location, what: "block")
        var rows = waiting.removeValue(forKey: row.hash) ?? []
        while rows.count < row.transaction_count {
            guard let (txLine, txLocation) = try transactionLines.next() else {
                throw SourceError("block \(row.hash) (number \(row.number)): blocks.json says \(row.transaction_count) "
                                  + "transactions, transactions.json holds \(rows.count)", at: location)
            }
            let tx = try Self.decode(ETLTransactionRow.self, txLine, at: txLocation, what: "transaction")
            if tx.block_hash == row.hash {
                rows.append((tx, txLocation))
            } else {
                waiting[tx.block_hash ?? "null", default: []].append((tx, txLocation))
            }
        }
        if rows.count > row.transaction_count {
            throw SourceError("block \(row.hash) (number \(row.number)): blocks.json says \(row.transaction_count) "
                              + "transactions, transactions.json holds more", at: location)
        }
        let block = try makeBlock(row, rows: rows, at: location)
        previous = (row.number, block.block.hash)
        return .block(block)
    }

    private func makeBlock(_ row: ETLBlockRow, rows: [(ETLTransactionRow, SourceLocation)],
                           at location: SourceLocation) throws(SourceError) -> SourceBlock {
        func fail(_ message: String) -> SourceError {
            SourceError("block \(row.hash) (number \(row.number)): \(message)", at: location)
        }
        guard let statedHash = BlockHash(hex: row.hash) else { throw fail("`hash` is not 64 hex digits") }
        guard let merkleRoot = Digest32(displayHex: row.merkle_root) else { throw fail("`merkle_root` is not 64 hex digits") }
        guard row.bits.utf8.count == 8, let bits = UInt32(row.bits, radix: 16) else {
            throw fail("`bits` \"\(row.bits)\" is not 8 hex digits")
        }
        guard let version = Int32(exactly: row.version) ?? UInt32(exactly: row.version).map({ Int32(bitPattern: $0) })
        else { throw fail("`version` does not fit in 4 bytes") }
        let coinbaseScript: [UInt8]?
        do { coinbaseScript = try row.coinbase_param.map { try Hex.decode($0) } } catch {
            throw fail("`coinbase_param` is not valid hex: \(error)")
        }

        // Transactions in block order.
        let ordered = rows.sorted { ($0.0.index ?? 0) < ($1.0.index ?? 0) }
        var transactions: [Transaction] = []
        var prevouts: [[TxOut?]] = []
        for (position, (txRow, txLocation)) in ordered.enumerated() {
            if let index = txRow.index, index != position {
                throw SourceError("transaction \(txRow.hash): block \(row.hash) has no transaction at index \(position) "
                                  + "(found index \(index))", at: txLocation)
            }
            let (tx, spent) = try Self.makeTransaction(txRow, coinbaseScript: coinbaseScript, at: txLocation)
            transactions.append(tx)
            prevouts.append(spent)
        }

        // The previous hash: stated, else the block before this one in the export, else genesis rules.
        var previousHash: BlockHash?
        if let p = row.previous_block_hash {
            guard let h = BlockHash(hex: p) else { throw fail("`previous_block_hash` is not 64 hex digits") }
            previousHash = h
        } else if let previous, previous.number == row.number - 1 {
            previousHash = previous.hash
        } else if row.number == 0 {
            previousHash = .zero
        }
        let header: BlockHeader
        if let previousHash {
            header = BlockHeader(version: version, previousBlockHash: previousHash, merkleRoot: merkleRoot,
                                 time: row.timestamp, bits: bits, nonce: row.nonce.value)
            guard header.hash == statedHash else {
                throw fail("the header fields hash to \(header.hash), not to the stated hash")
            }
        } else {
            header = BlockHeader(version: version, merkleRoot: merkleRoot, time: row.timestamp, bits: bits,
                                 nonce: row.nonce.value, statedHash: statedHash)
        }
        let block = Block(header: header, transactions: transactions)
        if !transactions.isEmpty { try block.checkStructure(at: location) }
        if let size = row.size, size != block.size { throw fail("`size` is \(size) but the transactions add up to \(block.size) bytes") }
        if network == nil { network = inferNetwork(ordered.map(\.0)) }
        let anyPrevout = prevouts.contains { $0.contains { $0 != nil } }
        return SourceBlock(block: block, height: row.number, prevouts: anyPrevout ? prevouts : nil, location: location,
                           structureChecked: !transactions.isEmpty)
    }

    static func makeTransaction(_ row: ETLTransactionRow, coinbaseScript: [UInt8]?,
                                at location: SourceLocation) throws(SourceError) -> (Transaction, [TxOut?]) {
        func fail(_ message: String) -> SourceError { SourceError("transaction \(row.hash): \(message)", at: location) }
        guard let statedTxid = Txid(hex: row.hash) else { throw fail("`hash` is not 64 hex digits") }
        let version = try self.version(row, at: location)
        let outputs = try self.outputs(row, at: location)

        func build(_ inputs: [TxIn]) -> Transaction {
            let stripped = Transaction(version: version, inputs: inputs, outputs: outputs, lockTime: row.lock_time)
            return Transaction(version: version, inputs: inputs, outputs: outputs, lockTime: row.lock_time,
                               statedWtxid: nil, statedSize: row.size, statedStrippedSize: stripped.size,
                               hasWitness: row.size != stripped.size)
        }

        if row.is_coinbase {
            guard let coinbaseScript else { throw fail("a coinbase, but its block has no `coinbase_param`") }
            // bitcoin-etl drops the coinbase input and its sequence: try the values miners use.
            for sequence: UInt32 in [0xffff_ffff, 0xffff_fffe, 0] {
                let tx = build([TxIn(prevout: .null, scriptSig: coinbaseScript, sequence: sequence)])
                if tx.txid == statedTxid { return (tx, [nil]) }
            }
            throw fail("the coinbase rebuilt from `coinbase_param` does not hash to the stated txid with any usual "
                       + "sequence (0xffffffff, 0xfffffffe, 0)")
        }
        var inputs: [TxIn] = []
        var prevouts: [TxOut?] = []
        for (i, input) in row.inputs.sorted(by: { $0.index < $1.index }).enumerated() {
            guard input.index == i else { throw fail("inputs[\(i)] has index \(input.index)") }
            guard let spent = Txid(hex: input.spent_transaction_hash) else {
                throw fail("inputs[\(i)].spent_transaction_hash is not 64 hex digits")
            }
            let scriptSig: [UInt8]
            do { scriptSig = try Hex.decode(input.script_hex ?? "") } catch {
                throw fail("inputs[\(i)].script_hex is not valid hex: \(error)")
            }
            inputs.append(TxIn(prevout: OutPoint(txid: spent, vout: input.spent_output_index), scriptSig: scriptSig,
                               sequence: input.sequence))
            prevouts.append(Self.prevout(input))
        }
        let tx = build(inputs)
        guard tx.txid == statedTxid else {
            throw fail("the inputs, outputs, version and lock_time hash to txid \(tx.txid), not to the stated hash")
        }
        return (tx, prevouts)
    }

    static func version(_ row: ETLTransactionRow, at location: SourceLocation) throws(SourceError) -> Int32 {
        guard let version = Int32(exactly: row.version) ?? UInt32(exactly: row.version).map({ Int32(bitPattern: $0) }) else {
            throw SourceError("transaction \(row.hash): `version` does not fit in 4 bytes", at: location)
        }
        return version
    }

    /// The row's outputs in `index` order, each index present once, values within the money range.
    static func outputs(_ row: ETLTransactionRow, at location: SourceLocation) throws(SourceError) -> [TxOut] {
        func fail(_ message: String) -> SourceError { SourceError("transaction \(row.hash): \(message)", at: location) }
        var outputs: [TxOut] = []
        for (i, o) in row.outputs.sorted(by: { $0.index < $1.index }).enumerated() {
            guard o.index == i else { throw fail("outputs[\(i)] has index \(o.index)") }
            guard o.value.value >= 0, o.value.value <= Amount.maxMoney.satoshis else {
                throw fail("outputs[\(i)].value \(o.value.value) is outside 0…21,000,000 BTC")
            }
            do {
                outputs.append(TxOut(value: Amount(satoshis: o.value.value), scriptPubKey: try Hex.decode(o.script_hex)))
            } catch { throw fail("outputs[\(i)].script_hex is not valid hex: \(error)") }
        }
        return outputs
    }

    /// The spent output, where an enriched input's value and address pin its script exactly.
    static func prevout(_ input: ETLInputRow) -> TxOut? {
        guard let value = input.value?.value, value >= 0, let type = input.type,
              let addresses = input.addresses, addresses.count == 1 else { return nil }
        // Only templates whose script the address fixes byte for byte (a `pubkey` row carries the P2PKH
        // address of its key, not the key; multisig and nonstandard rows carry no usable address).
        let exact: Set<String> = ["pubkeyhash", "scripthash", "witness_v0_keyhash", "witness_v0_scripthash",
                                  "witness_v1_taproot"]
        guard exact.contains(type), let decoded = try? Address(addresses[0]), decoded.kind.rawValue == type else {
            return nil
        }
        return TxOut(value: Amount(satoshis: value), scriptPubKey: decoded.scriptPubKey)
    }

    private func inferNetwork(_ rows: [ETLTransactionRow]) -> Network? {
        // Scripts say nothing about the network; the addresses bitcoin-etl wrote do (made-up
        // `nonstandard…` ones match no prefix).
        for row in rows {
            for a in row.outputs.flatMap({ $0.addresses ?? [] }) + row.inputs.flatMap({ $0.addresses ?? [] }) {
                if let n = NetworkInference.infer(fromAddress: a) { return n }
            }
        }
        return nil
    }
}

/// Lines from a list of files read one after another, with each line's location.
final class MultiFileLines {
    let files: [String]
    private var index = 0
    private var reader: GzipLineReader?
    /// The files read to their end, hashed as they were read.
    private(set) var inputsRead: [ChainInput] = []

    init(files: [String]) { self.files = files }

    /// The files' sizes on disk, and how many of their bytes (compressed, for gzip) have been read.
    var progress: (read: Int, total: Int) {
        let sizes = files.map { InputFile.size($0) ?? 0 }
        let finished = reader == nil ? index : index - 1
        return (sizes.prefix(finished).reduce(0, +) + (reader?.fileOffset ?? 0), sizes.reduce(0, +))
    }

    /// The next non-blank line and where it is.
    func next() throws(SourceError) -> ([UInt8], SourceLocation)? {
        while true {
            if reader == nil {
                guard index < files.count else { return nil }
                reader = try GzipLineReader(path: files[index])
                index += 1
            }
            guard let r = reader else { return nil }
            guard let line = try r.nextLine() else {
                if let read = r.inputRead { inputsRead.append(read) }
                reader = nil
                continue
            }
            if line.allSatisfy({ JSONDocumentReader.isWhitespace($0) }) { continue }
            return (line, SourceLocation(file: r.path, line: r.lineNumber))
        }
    }
}
