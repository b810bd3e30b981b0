/// The checks consensus lets a reader make on a block without the UTXO set: Core's `CheckProofOfWork` and the
/// structural part of `CheckBlock` (merkle root, CVE-2012-2459 mutation, one coinbase, first). Every reader of
/// outside blocks runs them through `Block.consensusFault(powLimit:)`, so a mutated or forged block is refused
/// the same way whatever it arrived in.
public enum BlockFault: Error, Sendable, Equatable, CustomStringConvertible {
    /// `bits` encodes a negative or overflowing target, zero, or one easier than the network allows.
    case badTarget(bits: UInt32)
    /// The header's hash is above the target its `bits` encode.
    case insufficientProofOfWork(bits: UInt32)
    case noTransactions
    case firstNotCoinbase
    case extraCoinbase(position: Int)
    /// The same txid twice: the CVE-2012-2459 mutation (a copy of the last transactions keeps the merkle root)
    /// or a block no node accepts.
    case duplicateTransaction(Txid, positions: (Int, Int))
    case merkleRootMismatch(computed: Digest32)

    public var description: String {
        switch self {
        case .badTarget(let bits):
            return "bits 0x\(String(bits, radix: 16)) is not a valid target for this network"
        case .insufficientProofOfWork(let bits):
            return "the header's hash is above the target its bits 0x\(String(bits, radix: 16)) encode (no proof of work: a corrupt or forged header)"
        case .noTransactions: return "the block holds no transactions"
        case .firstNotCoinbase: return "the first transaction is not a coinbase"
        case .extraCoinbase(let p): return "transaction \(p) is a second coinbase"
        case .duplicateTransaction(let txid, let (a, b)):
            return "transaction \(txid) appears twice (positions \(a) and \(b)): a mutated block (CVE-2012-2459) that no node accepts"
        case .merkleRootMismatch(let computed):
            return "its transactions hash to merkle root \(computed.displayHex), not the header's (transactions altered, added or lost)"
        }
    }

    public static func == (a: BlockFault, b: BlockFault) -> Bool { a.description == b.description }
}

extension BlockHeader {
    /// Why the header fails proof of work against `powLimit` (the network's easiest target), or nil.
    public func proofOfWorkFault(powLimit: UInt256) -> BlockFault? {
        guard let target = UInt256.target(fromCompactBits: bits), target != .zero, !(powLimit < target) else {
            return .badTarget(bits: bits)
        }
        let d = hash.digest
        let value = UInt256(l0: d.w0, l1: d.w1, l2: d.w2, l3: d.w3)
        return target < value ? .insufficientProofOfWork(bits: bits) : nil
    }
}

extension Block {
    /// The first consensus fault of the block, or nil: proof of work when `powLimit` is given, then coinbase
    /// placement, duplicate txids, and the merkle root.
    public func consensusFault(powLimit: UInt256?) -> BlockFault? {
        if let powLimit, let fault = header.proofOfWorkFault(powLimit: powLimit) { return fault }
        return Self.transactionListFault(transactions.map(\.txid), isCoinbase: { transactions[$0].isCoinbase },
                                         merkleRoot: header.merkleRoot)
    }

    /// The structural checks on a block's txid list (shared with readers that hold the txids only, such as an
    /// Esplora block's `/txids`): one coinbase and first (when `isCoinbase` can tell), no txid twice, and the
    /// list hashes to `merkleRoot`.
    public static func transactionListFault(_ txids: [Txid], isCoinbase: ((Int) -> Bool)?,
                                            merkleRoot: Digest32) -> BlockFault? {
        guard !txids.isEmpty else { return .noTransactions }
        if let isCoinbase {
            guard isCoinbase(0) else { return .firstNotCoinbase }
            if let p = txids.indices.dropFirst().first(where: isCoinbase) { return .extraCoinbase(position: p) }
        }
        var seen: [Txid: Int] = [:]
        seen.reserveCapacity(txids.count)
        for (i, t) in txids.enumerated() {
            if let first = seen.updateValue(i, forKey: t) { return .duplicateTransaction(t, positions: (first, i)) }
        }
        let computed = Merkle.root(txids.map(\.digest))
        return computed == merkleRoot ? nil : .merkleRootMismatch(computed: computed)
    }
}
