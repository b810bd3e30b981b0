import BitcoinAddresses
import BitcoinPrimitives
import Clustering
import Foundation
import GRDB

/// A position in chain order: block height, then position in the block. Loose transactions (no block)
/// sort after every block, by id.
public struct ChainPosition: Comparable, Hashable, Sendable, Codable {
    public var height: Int64
    public var position: Int64
    public static func < (a: ChainPosition, b: ChainPosition) -> Bool { (a.height, a.position) < (b.height, b.position) }
}

/// What the loader read: the transactions in chain order, and what a result needs to name them.
public struct LoadedChain {
    public var batch: TransactionBatch
    /// One past the largest address id.
    public var addressBound: Int
    /// Chain position of each batch transaction.
    public var positions: [ChainPosition]
}

/// Reading transactions for clustering and writing its results: the clustering side of the case database.
public enum ClusterStore {
    /// Loads every best-chain (and loose) transaction in chain order, optionally only those after `after`.
    ///
    /// Rows are read in id order (sequential scans) and scattered into chain order in memory, so this is
    /// linear in the table sizes whatever order the ingest assigned ids in.
    /// - Parameter spenders: also record, for each output, how its spending transaction looks (needed by
    ///   `change.fingerprint` and `change.peel-chain`).
    public static func load(_ db: Database, after: ChainPosition? = nil, spenders: Bool = false) throws -> LoadedChain {
        // Blocks: id -> height for the best chain.
        var heightOfBlock: [Int64: Int64] = [:]
        let blocks = try RawStatement(db, "SELECT id, height FROM block WHERE inBestChain = 1")
        while try blocks.step() { heightOfBlock[blocks.int64(0)] = blocks.int64(1) }
        blocks.reset()

        // Transactions.
        struct TxRow { var id: Int64; var key: ChainPosition; var version: Int32; var lockTime: UInt32
                       var coinbase: Bool; var inputs: Int; var outputs: Int }
        var rows: [TxRow] = []
        let txs = try RawStatement(db, """
            SELECT id, blockId, position, version, lockTime, isCoinbase, inputCount, outputCount FROM tx ORDER BY id
            """)
        var sorted = true
        while try txs.step() {
            let key: ChainPosition
            if txs.isNull(1) {
                key = ChainPosition(height: Int64.max, position: txs.int64(0))
            } else {
                guard let h = heightOfBlock[txs.int64(1)] else { continue }  // stale block
                key = ChainPosition(height: h, position: txs.int64(2))
            }
            if let after, key <= after { continue }
            if let last = rows.last, key < last.key { sorted = false }
            rows.append(TxRow(id: txs.int64(0), key: key, version: Int32(truncatingIfNeeded: txs.int64(3)),
                              lockTime: UInt32(truncatingIfNeeded: txs.int64(4)), coinbase: txs.int64(5) != 0,
                              inputs: Int(txs.int64(6)), outputs: Int(txs.int64(7))))
        }
        txs.reset()
        if !sorted { rows.sort { $0.key < $1.key } }

        let n = rows.count
        var rank: [Int64: Int] = [:]
        rank.reserveCapacity(n)
        var inputStart = [Int](repeating: 0, count: n), outputStart = [Int](repeating: 0, count: n)
        var inputs = 0, outputs = 0
        var minTxId = Int64.max
        for (i, r) in rows.enumerated() {
            rank[r.id] = i
            inputStart[i] = inputs; outputStart[i] = outputs
            inputs += r.inputs; outputs += r.outputs
            minTxId = min(minTxId, r.id)
        }

        // Address kinds, by id, for the inputs (an input's kind is its address's).
        var kindOfAddress: [UInt8] = []
        let addrs = try RawStatement(db, "SELECT id, scriptKind FROM address ORDER BY id")
        while try addrs.step() {
            let id = Int(addrs.int64(0))
            if id >= kindOfAddress.count { kindOfAddress.append(contentsOf: repeatElement(0, count: id + 1 - kindOfAddress.count)) }
            kindOfAddress[id] = UInt8(truncatingIfNeeded: addrs.int64(1))
        }
        addrs.reset()

        let none = TransactionBatch.noAddress
        var inAddress = [UInt32](repeating: none, count: inputs), inValue = [Int64](repeating: 0, count: inputs)
        var inKind = [UInt8](repeating: 0, count: inputs), inSequence = [UInt32](repeating: 0xFFFF_FFFF, count: inputs)
        var rbf = [Bool](repeating: false, count: n)
        var txOfInput: [Int64: Int] = [:]
        if n > 0 {
            let ins = try RawStatement(db, "SELECT txId, n, addressId, value, sequence, id FROM input WHERE txId >= ? ORDER BY id")
            ins.bind(1, minTxId)
            while try ins.step() {
                guard let t = rank[ins.int64(0)] else { continue }
                let slot = inputStart[t] + Int(ins.int64(1))
                guard slot < (t + 1 < n ? inputStart[t + 1] : inputs) else {
                    throw StoreError.badData("input \(ins.int64(5)) has n = \(ins.int64(1)) beyond its transaction's input count", at: nil)
                }
                if let a = ins.optionalInt64(2) {
                    inAddress[slot] = UInt32(truncatingIfNeeded: a)
                    inKind[slot] = Int(a) < kindOfAddress.count ? kindOfAddress[Int(a)] : 0
                }
                inValue[slot] = ins.optionalInt64(3) ?? 0
                let seq = UInt32(truncatingIfNeeded: ins.int64(4))
                inSequence[slot] = seq
                if seq < 0xFFFF_FFFE { rbf[t] = true }
                if spenders { txOfInput[ins.int64(5)] = t }
            }
            ins.reset()
        }

        var outAddress = [UInt32](repeating: none, count: outputs), outValue = [Int64](repeating: 0, count: outputs)
        var outKind = [UInt8](repeating: 0, count: outputs), outSpender = [UInt64](repeating: 0, count: outputs)
        if n > 0 {
            let outs = try RawStatement(db, "SELECT txId, n, value, scriptKind, addressId, spentByInputId, id FROM output WHERE txId >= ? ORDER BY id")
            outs.bind(1, minTxId)
            while try outs.step() {
                guard let t = rank[outs.int64(0)] else { continue }
                let slot = outputStart[t] + Int(outs.int64(1))
                guard slot < (t + 1 < n ? outputStart[t + 1] : outputs) else {
                    throw StoreError.badData("output \(outs.int64(6)) has n = \(outs.int64(1)) beyond its transaction's output count", at: nil)
                }
                outValue[slot] = outs.int64(2)
                outKind[slot] = UInt8(truncatingIfNeeded: outs.int64(3))
                if let a = outs.optionalInt64(4) { outAddress[slot] = UInt32(truncatingIfNeeded: a) }
                if spenders, let by = outs.optionalInt64(5), let s = txOfInput[by] {
                    let r = rows[s]
                    outSpender[slot] = SpenderShape(version: r.version, lockTimeIsSet: r.lockTime != 0, signalsRBF: rbf[s],
                                                    inputCount: r.inputs, outputCount: r.outputs).packedValue
                }
            }
            outs.reset()
        }
        let batch = try TransactionBatch(
            txIDs: rows.map { UInt32(truncatingIfNeeded: $0.id) }, versions: rows.map(\.version),
            lockTimes: rows.map(\.lockTime), coinbase: rows.map(\.coinbase), inputStart: inputStart, outputStart: outputStart,
            inputAddress: inAddress, inputValue: inValue, inputKind: inKind, inputSequence: inSequence,
            outputAddress: outAddress, outputValue: outValue, outputKind: outKind, outputSpender: outSpender)
        let maxAddress = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address") ?? -1
        return LoadedChain(batch: batch, addressBound: Int(maxAddress + 1), positions: rows.map(\.key))
    }
}
