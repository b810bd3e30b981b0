import BitcoinAddresses
import BitcoinPrimitives

/// Bitcoin Core's verbose JSON as a chain source: `getblock <hash> 2` or `3` objects, one per line (JSON lines,
/// plain or `.gz`), or a file holding one pretty-printed object, or RPC responses `{"result": …}`. A document
/// holding one transaction (`getrawtransaction <txid> true`, `decoderawtransaction`) is yielded as a loose
/// `.transaction`.
///
/// Nothing is taken on trust: where a transaction carries `hex`, the bytes are decoded and every JSON field is
/// checked against them (txid, hash, sizes, inputs, outputs); without `hex` the transaction is rebuilt from
/// its parts and its computed txid must equal the stated one. Block headers are rebuilt from their fields and
/// must hash to the stated block hash; the merkle root, `nTx` and the sizes are checked too. Verbosity 3's
/// `prevout` fills `SourceBlock.prevouts`, and a stated `fee` must equal inputs minus outputs.
///
/// The first fault ends the stream with a `SourceError` naming the file, the line where the document starts
/// and the key path (`tx[3].vout[0].value`); every block before it has been yielded.
public final class NodeJSONSource: ChainSource {
    /// The network: as given, else inferred from the data (genesis hash or the first address seen).
    public private(set) var network: Network?
    public let files: [String]

    private var fileIndex = 0
    private var documents: JSONDocumentReader?
    private var failure: SourceError?
    /// Items of a JSON array document not yet returned, and the fault that ends the array, if any.
    private var pending: [SourceItem] = []
    private var pendingFault: SourceError?
    private var filesRead: [ChainInput] = []

    public init(files: [String], network: Network? = nil) {
        self.files = files
        self.network = network
    }

    public convenience init(path: String, network: Network? = nil) {
        self.init(files: [path], network: network)
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

    public func inputsRead() throws -> [ChainInput] { filesRead }

    /// The share of the files' bytes (compressed, for gzip) read so far, for progress.
    public var fractionRead: Double? {
        let sizes = files.map { InputFile.size($0) ?? 0 }
        let total = sizes.reduce(0, +)
        guard total > 0 else { return nil }
        let done = sizes.prefix(max(0, fileIndex - 1)).reduce(0, +) + (documents?.lines.fileOffset ?? sizes.prefix(fileIndex).last ?? 0)
        return min(1, Double(done) / Double(total))
    }

    private func readNext() throws(SourceError) -> SourceItem? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if let fault = pendingFault { throw fault }
            if documents == nil {
                guard fileIndex < files.count else { return nil }
                documents = try JSONDocumentReader(path: files[fileIndex])
                fileIndex += 1
            }
            guard let reader = documents, let document = try reader.next() else {
                if let read = documents?.lines.inputRead { filesRead.append(read) }
                documents = nil
                continue
            }
            let location = SourceLocation(file: reader.path, line: document.firstLine)
            if document.bytes.first(where: { !JSONDocumentReader.isWhitespace($0) }) == UInt8(ascii: "[") {
                // A JSON array of documents (a batch RPC answer saved to a file): its elements in order, up
                // to the first faulty one.
                let (items, fault, inferred) = Self.decodeArray(document.bytes, at: location)
                (pending, pendingFault) = (items, fault)
                if network == nil { network = inferred }
                continue
            }
            let (item, inferred) = try Self.decode(document.bytes, at: location)
            if network == nil { network = inferred }
            return item
        }
    }

    /// The elements of an array document in order, the fault that stops them (if any), and the network the
    /// data suggests.
    static func decodeArray(_ bytes: [UInt8], at location: SourceLocation) -> ([SourceItem], SourceError?, Network?) {
        // A fault's key path starts with the element's index; the elements before it stand.
        let (documents, jsonFault) = JSONReader.readElements(NodeDocument.self, from: bytes)
        let fault = jsonFault.map { malformed($0, in: bytes, at: location) }
        var items: [SourceItem] = []
        var network: Network?
        for (i, document) in documents.enumerated() {
            do throws(SourceError) {
                switch document {
                case .block(let dto):
                    if network == nil { network = NetworkInference.infer(from: dto) }
                    items.append(.block(try NodeJSONConversion.block(dto, at: location, label: "[\(i)] ")))
                case .transaction(let dto):
                    if network == nil { network = NetworkInference.infer(fromOutputs: dto.vout) }
                    let tx = try NodeJSONConversion.transaction(dto, keyPath: "[\(i)]", at: location).0
                    items.append(.transaction(tx, location))
                }
            } catch {
                return (items, error, network)
            }
        }
        return (items, fault, network)
    }

    /// A JSON fault in a document starting at `location`: the line it is on (documents may span lines), the
    /// key path, and the column.
    static func malformed(_ fault: JSONFault, in bytes: [UInt8], at location: SourceLocation) -> SourceError {
        var at = location
        var lineStart = 0
        let end = min(fault.offset, bytes.count)
        var newlines = 0
        for i in 0..<end where bytes[i] == 0x0a { newlines += 1; lineStart = i + 1 }
        if let line = location.line { at.line = line + newlines }
        var f = fault
        f.offset -= lineStart
        return SourceError("malformed node JSON \(f.located)", at: at)
    }

    /// Decodes one node-JSON document (a getblock 2/3 result, a verbose transaction, or an RPC response
    /// wrapping either) with every check this source makes; for callers that fetched the bytes themselves
    /// (the RPC client). Also returns the network the data suggests, if any.
    public static func decode(_ bytes: [UInt8], at location: SourceLocation) throws(SourceError) -> (SourceItem, Network?) {
        let decoded: NodeDocument
        do {
            decoded = try JSONReader.read(NodeDocument.self, from: bytes)
        } catch {
            throw malformed(error, in: bytes, at: location)
        }
        switch decoded {
        case .block(let dto):
            let block = try NodeJSONConversion.block(dto, at: location)
            return (.block(block), NetworkInference.infer(from: dto))
        case .transaction(let dto):
            let (tx, _) = try NodeJSONConversion.transaction(dto, keyPath: "", at: location)
            return (.transaction(tx, location), NetworkInference.infer(fromOutputs: dto.vout))
        }
    }
}

/// Turns decoded node JSON into Spoor's types, checking every stated fact it can recompute.
enum NodeJSONConversion {
    static func block(_ dto: NodeBlockDTO, at location: SourceLocation,
                      label: String = "") throws(SourceError) -> SourceBlock {
        func fail(_ message: String) -> SourceError {
            SourceError("\(label)block \(dto.hash)\(dto.height.map { " (height \($0))" } ?? ""): \(message)", at: location)
        }
        guard let statedHash = BlockHash(hex: dto.hash) else { throw fail("`hash` is not 64 hex digits") }
        guard let merkleRoot = Digest32(displayHex: dto.merkleroot) else {
            throw fail("`merkleroot` is not 64 hex digits")
        }
        var previous = BlockHash.zero
        if let p = dto.previousblockhash {
            guard let h = BlockHash(hex: p) else { throw fail("`previousblockhash` is not 64 hex digits") }
            previous = h
        }
        guard dto.bits.utf8.count == 8, let bits = UInt32(dto.bits, radix: 16) else {
            throw fail("`bits` \"\(dto.bits)\" is not 8 hex digits")
        }
        guard let version = Int32(exactly: dto.version) ?? UInt32(exactly: dto.version).map({ Int32(bitPattern: $0) })
        else { throw fail("`version` \(dto.version) does not fit in 4 bytes") }
        let header = BlockHeader(version: version, previousBlockHash: previous, merkleRoot: merkleRoot,
                                 time: dto.time, bits: bits, nonce: dto.nonce)
        guard header.hash == statedHash else {
            throw fail("the header fields hash to \(header.hash), not to the stated hash")
        }
        var transactions: [Transaction] = []
        transactions.reserveCapacity(dto.tx.count)
        var prevouts: [[TxOut?]] = []
        prevouts.reserveCapacity(dto.tx.count)
        var anyPrevout = false
        for (i, txDTO) in dto.tx.enumerated() {
            let (tx, spent) = try transaction(txDTO, keyPath: "\(label.filter { $0 != " " })tx[\(i)]", at: location)
            if spent.contains(where: { $0 != nil }) { anyPrevout = true }
            transactions.append(tx)
            prevouts.append(spent)
        }
        if let nTx = dto.nTx, nTx != transactions.count {
            throw fail("`nTx` is \(nTx) but `tx` holds \(transactions.count) transactions")
        }
        let block = Block(header: header, transactions: transactions)
        if !transactions.isEmpty { try block.checkStructure(at: location) }
        if let size = dto.size, size != block.size { throw fail("`size` is \(size) but the block is \(block.size) bytes") }
        if let s = dto.strippedsize, s != block.strippedSize {
            throw fail("`strippedsize` is \(s) but the block without witnesses is \(block.strippedSize) bytes")
        }
        if let w = dto.weight, w != block.weight { throw fail("`weight` is \(w) but the block weighs \(block.weight)") }
        return SourceBlock(block: block, height: dto.height, prevouts: anyPrevout ? prevouts : nil, location: location,
                           structureChecked: !transactions.isEmpty)
    }

    /// The transaction and, per input, the output it spends where `prevout` states it.
    static func transaction(_ dto: NodeTransactionDTO, keyPath: String,
                            at location: SourceLocation) throws(SourceError) -> (Transaction, [TxOut?]) {
        let json = TransactionJSONFields(keyPath: keyPath, txid: dto.txid, location: location)
        guard let statedTxid = Txid(hex: dto.txid) else { throw json.fail("`\(json.key("txid"))` is not 64 hex digits") }
        guard let version = Int32(exactly: dto.version) ?? UInt32(exactly: dto.version).map({ Int32(bitPattern: $0) })
        else { throw json.fail("`\(json.key("version"))` \(dto.version) does not fit in 4 bytes") }

        // The transaction as the JSON's parts describe it.
        let (inputs, prevouts) = try Self.inputs(dto.vin, json)
        var outputs: [TxOut] = []
        outputs.reserveCapacity(dto.vout.count)
        for (i, vout) in dto.vout.enumerated() {
            guard vout.n == i else { throw json.fail("`\(json.key("vout[\(i)].n"))` is \(vout.n), expected \(i)") }
            outputs.append(TxOut(value: vout.value.amount,
                                 scriptPubKey: try json.bytes(vout.scriptPubKey.hex, "vout[\(i)].scriptPubKey.hex")))
        }
        let fromParts = Transaction(version: version, inputs: inputs, outputs: outputs, lockTime: dto.locktime)

        let tx: Transaction
        if let hex = dto.hex {
            let raw = try json.bytes(hex, "hex")
            do {
                tx = try Transaction(bytes: raw)
            } catch {
                throw json.fail("`\(json.key("hex"))` does not decode as a transaction: \(error)")
            }
            if let difference = firstDifference(decoded: tx, json: fromParts) {
                throw json.fail("the JSON disagrees with its own `hex`: \(difference)")
            }
            guard tx.txid == statedTxid else {
                throw json.fail("`hex` hashes to txid \(tx.txid), not to the stated txid")
            }
        } else {
            tx = fromParts
            guard tx.txid == statedTxid else {
                throw json.fail("the inputs, outputs, version and locktime hash to txid \(tx.txid), not to the stated txid")
            }
        }
        try checkStatedFigures(dto, of: tx, prevouts: prevouts, json)
        return (tx, prevouts)
    }

    /// The inputs as the JSON's `vin` describes them, and the spent output of each where `prevout` states it.
    static func inputs(_ vin: [NodeInputDTO], _ json: TransactionJSONFields) throws(SourceError) -> ([TxIn], [TxOut?]) {
        var inputs: [TxIn] = []
        inputs.reserveCapacity(vin.count)
        var prevouts: [TxOut?] = []
        prevouts.reserveCapacity(vin.count)
        for (i, vin) in vin.enumerated() {
            var witness: [[UInt8]] = []
            for (j, item) in (vin.txinwitness ?? []).enumerated() {
                witness.append(try json.bytes(item, "vin[\(i)].txinwitness[\(j)]"))
            }
            if let coinbase = vin.coinbase {
                inputs.append(TxIn(prevout: .null, scriptSig: try json.bytes(coinbase, "vin[\(i)].coinbase"),
                                   sequence: vin.sequence, witness: witness))
                prevouts.append(nil)
                continue
            }
            guard let txidText = vin.txid, let prevTxid = Txid(hex: txidText) else {
                throw json.fail("`\(json.key("vin[\(i)].txid"))` is missing or not 64 hex digits")
            }
            guard let vout = vin.vout else { throw json.fail("`\(json.key("vin[\(i)].vout"))` is missing") }
            guard let scriptSig = vin.scriptSig else { throw json.fail("`\(json.key("vin[\(i)].scriptSig"))` is missing") }
            inputs.append(TxIn(prevout: OutPoint(txid: prevTxid, vout: vout),
                               scriptSig: try json.bytes(scriptSig.hex, "vin[\(i)].scriptSig.hex"),
                               sequence: vin.sequence, witness: witness))
            if let p = vin.prevout {
                prevouts.append(TxOut(value: p.value.amount,
                                      scriptPubKey: try json.bytes(p.scriptPubKey.hex, "vin[\(i)].prevout.scriptPubKey.hex")))
            } else {
                prevouts.append(nil)
            }
        }
        return (inputs, prevouts)
    }

    /// The figures the JSON states about the transaction (wtxid, sizes, weight, fee) against the decoded one.
    static func checkStatedFigures(_ dto: NodeTransactionDTO, of tx: Transaction, prevouts: [TxOut?],
                                   _ json: TransactionJSONFields) throws(SourceError) {
        if let hash = dto.hash {
            guard let wtxid = Wtxid(hex: hash) else { throw json.fail("`\(json.key("hash"))` is not 64 hex digits") }
            guard wtxid == tx.wtxid else { throw json.fail("`\(json.key("hash"))` is \(hash) but the wtxid is \(tx.wtxid)") }
        }
        if let size = dto.size, size != tx.size {
            throw json.fail("`\(json.key("size"))` is \(size) but the transaction is \(tx.size) bytes")
        }
        if let vsize = dto.vsize, vsize != tx.vsize {
            throw json.fail("`\(json.key("vsize"))` is \(vsize) but the vsize is \(tx.vsize)")
        }
        if let weight = dto.weight, weight != tx.weight {
            throw json.fail("`\(json.key("weight"))` is \(weight) but the weight is \(tx.weight)")
        }
        if let fee = dto.fee?.amount, !tx.isCoinbase, prevouts.allSatisfy({ $0 != nil }) {
            let spent = prevouts.reduce(Int64(0)) { $0 + ($1?.value.satoshis ?? 0) }
            let paid = spent - tx.totalOutput.satoshis
            guard paid == fee.satoshis else {
                throw json.fail("`\(json.key("fee"))` is \(fee.btcString) BTC but the prevouts minus the outputs are "
                                + "\(Amount(satoshis: paid).btcString) BTC")
            }
        }
    }

    /// Where the JSON's description of a transaction differs from its decoded `hex`, in words; nil if it agrees.
    static func firstDifference(decoded: Transaction, json: Transaction) -> String? {
        if decoded.version != json.version { return "`version` is \(json.version), hex has \(decoded.version)" }
        if decoded.lockTime != json.lockTime { return "`locktime` is \(json.lockTime), hex has \(decoded.lockTime)" }
        if decoded.inputs.count != json.inputs.count {
            return "`vin` has \(json.inputs.count) inputs, hex has \(decoded.inputs.count)"
        }
        if decoded.outputs.count != json.outputs.count {
            return "`vout` has \(json.outputs.count) outputs, hex has \(decoded.outputs.count)"
        }
        for (i, (d, j)) in zip(decoded.inputs, json.inputs).enumerated() {
            if d.prevout != j.prevout { return "`vin[\(i)]` spends \(j.prevout), hex spends \(d.prevout)" }
            if d.scriptSig != j.scriptSig { return "`vin[\(i)]` scriptSig differs from hex" }
            if d.sequence != j.sequence { return "`vin[\(i)].sequence` is \(j.sequence), hex has \(d.sequence)" }
            if d.witness != j.witness { return "`vin[\(i)].txinwitness` differs from hex" }
        }
        for (i, (d, j)) in zip(decoded.outputs, json.outputs).enumerated() {
            if d.value != j.value {
                return "`vout[\(i)].value` is \(j.value.btcString) BTC, hex has \(d.value.btcString) BTC"
            }
            if d.scriptPubKey != j.scriptPubKey { return "`vout[\(i)].scriptPubKey.hex` differs from hex" }
        }
        return nil
    }
}

/// Guesses the network of node JSON that does not say: the genesis block hash when height 0 is present, else
/// the first address's prefix. testnet3, testnet4 and signet share address prefixes, so a `tb1`/`m`/`n`/`2`
/// address reads as testnet3, which derives the same addresses; regtest's base58 prefixes are testnet's too,
/// so only a `bcrt1` address or the regtest genesis identifies regtest.
enum NetworkInference {
    static let genesisHashes: [String: Network] = [
        "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f": .main,
        "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943": .testnet3,
        "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043": .testnet4,
        "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6": .signet,
        "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206": .regtest,
    ]

    static func infer(from block: NodeBlockDTO) -> Network? {
        if let n = genesisHashes[block.hash.lowercased()] { return n }
        if block.bits == "207fffff" {
            // Regtest's proof-of-work limit; no public network uses it.
            return .regtest
        }
        for tx in block.tx {
            if let n = infer(fromOutputs: tx.vout) { return n }
        }
        return nil
    }

    static func infer(fromOutputs outputs: [NodeOutputDTO]) -> Network? {
        for o in outputs {
            for address in [o.scriptPubKey.address].compactMap({ $0 }) + (o.scriptPubKey.addresses ?? []) {
                if let n = infer(fromAddress: address) { return n }
            }
        }
        return nil
    }

    static func infer(fromAddress a: String) -> Network? {
        let lower = a.lowercased()
        if lower.hasPrefix("bcrt1") { return .regtest }
        if lower.hasPrefix("bc1") { return .main }
        if lower.hasPrefix("tb1") { return .testnet3 }
        switch a.first {
        case "1", "3": return .main
        default: return nil
        }
    }
}

/// One transaction's JSON as errors name it: its key path in the document (or its txid) and each field's.
struct TransactionJSONFields {
    let keyPath: String
    let label: String
    let location: SourceLocation

    init(keyPath: String, txid: String, location: SourceLocation) {
        self.keyPath = keyPath
        self.label = keyPath.isEmpty ? "transaction \(txid)" : "\(keyPath) (txid \(txid))"
        self.location = location
    }

    func fail(_ message: String) -> SourceError { SourceError("\(label): \(message)", at: location) }
    func key(_ k: String) -> String { keyPath.isEmpty ? k : "\(keyPath).\(k)" }
    /// The bytes of a hex field, or an error naming the field.
    func bytes(_ hex: String, _ what: String) throws(SourceError) -> [UInt8] {
        do { return try Hex.decode(hex) } catch { throw fail("`\(key(what))` is not valid hex: \(error)") }
    }
}
