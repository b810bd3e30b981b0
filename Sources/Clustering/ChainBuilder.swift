import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex

/// Builds a `ChainIndex` straight from decoded blocks in chain order, interning each output script
/// as a dense address id and resolving every input from the outputs seen before it.
///
/// The product path loads transactions from the case database (CaseStore); this builder serves tests and
/// benchmarks that start from raw blocks. Two outputs with the same script get the same address id.
///
/// Blocks: every `append(_ block:)` is one block, and a transaction appended on its own (`append(_ tx:)`
/// outside a block) counts as a block of its own, so a spender is "in the same block" as the output it
/// spends (`SpenderShape.inSameBlock`) only when both came in one `append(_ block:)`.
public struct ChainBuilder {
    public let batch = ChainIndex()
    /// Script bytes of each address id (the id's identity).
    public private(set) var scripts: [[UInt8]] = []
    /// Txid of each dense transaction id.
    public private(set) var txids: [Txid] = []
    private var addressOfScript: [[UInt8]: UInt32] = [:]
    private var outputs: [OutPoint: (address: UInt32, value: Int64, kind: UInt8, index: Int, block: Int)] = [:]
    /// Number of the block being appended (a lone transaction is a block of its own).
    private var blockNumber = 0
    private var insideBlock = false
    private var pendingSpender: [Int: Int] = [:]
    private let kindOf: ([UInt8]) -> ScriptKind

    public init(kindOf: @escaping ([UInt8]) -> ScriptKind = ChainBuilder.patternKind) {
        self.kindOf = kindOf
    }

    /// Appends every transaction of a block (blocks must come in chain order).
    public mutating func append(_ block: Block) {
        blockNumber += 1
        insideBlock = true
        defer { insideBlock = false }
        for tx in block.transactions { append(tx) }
    }

    /// Appends one transaction; outside `append(_ block:)` it is a block of its own.
    public mutating func append(_ tx: Transaction) {
        if !insideBlock { blockNumber += 1 }
        let id = TxID(UInt32(txids.count))  // Cast ok: test and benchmark chains stay far below 2^32.
        txids.append(tx.txid)
        let isCoinbase = tx.inputs.count == 1 && tx.inputs[0].prevout.isNull
        batch.beginTransaction(storeID: id.raw, version: tx.version, lockTime: tx.lockTime, isCoinbase: isCoinbase)
        let shape = SpenderShape(version: tx.version, lockTimeIsSet: tx.lockTime != 0,
                                 signalsRBF: tx.inputs.contains { SequenceNumber.signalsReplaceability($0.sequence) },
                                 inputCount: tx.inputs.count, outputCount: tx.outputs.count)
        if !isCoinbase {
            for input in tx.inputs {
                if let o = outputs.removeValue(forKey: input.prevout) {
                    batch.appendInput(address: o.address, value: o.value, kind: o.kind, sequence: input.sequence)
                    var spender = shape
                    spender.inSameBlock = o.block == blockNumber
                    batch.setSpender(ofOutputAt: o.index, spender)
                } else {
                    batch.appendInput(address: ChainIndex.noAddress, value: 0,
                                      kind: ScriptKind.nonstandard.code, sequence: input.sequence)
                }
            }
        }
        for (n, out) in tx.outputs.enumerated() {
            let kind = kindOf(out.scriptPubKey)
            var address = ChainIndex.noAddress
            if kind != .nulldata && kind != .nonstandard && kind != .multisig {
                if let a = addressOfScript[out.scriptPubKey] { address = a } else {
                    address = UInt32(scripts.count)  // Cast ok: see above.
                    scripts.append(out.scriptPubKey)
                    addressOfScript[out.scriptPubKey] = address
                }
            }
            let index = batch.outputAddress.count
            batch.appendOutput(address: address, value: out.value.satoshis, kind: kind.code, spender: 0)
            outputs[OutPoint(txid: tx.txid, vout: UInt32(n))] = (address, out.value.satoshis, kind.code, index, blockNumber)
        }
    }

    /// The address id of a script, if it was seen.
    public func address(ofScript s: [UInt8]) -> AddressID? { addressOfScript[s].map(AddressID.init) }

    /// Script kind by the standard templates (enough for the heuristics; the store uses ScriptClassifier).
    public static func patternKind(_ s: [UInt8]) -> ScriptKind {
        let n = s.count
        if n == 25 && s[0] == 0x76 && s[1] == 0xA9 && s[2] == 0x14 && s[23] == 0x88 && s[24] == 0xAC { return .pubkeyhash }
        if n == 23 && s[0] == 0xA9 && s[1] == 0x14 && s[22] == 0x87 { return .scripthash }
        if n == 22 && s[0] == 0x00 && s[1] == 0x14 { return .witnessV0KeyHash }
        if n == 34 && s[0] == 0x00 && s[1] == 0x20 { return .witnessV0ScriptHash }
        if n == 34 && s[0] == 0x51 && s[1] == 0x20 { return .witnessV1Taproot }
        if n >= 1 && s[0] == 0x6A { return .nulldata }
        if (n == 35 && s[0] == 0x21 && s[34] == 0xAC) || (n == 67 && s[0] == 0x41 && s[66] == 0xAC) { return .pubkey }
        if n == 4 && s[0] == 0x51 && s[1] == 0x02 && s[2] == 0x4E && s[3] == 0x73 { return .anchor }
        return .nonstandard
    }
}
