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
    /// Height of every best-chain block by block id, -1 for blocks off the best chain (ids are dense: an
    /// array, not a dictionary). What every clustering reader needs to put transactions in chain order.
    static func bestChainHeights(_ db: Database) throws -> [Int64] {
        let maxBlock = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM block") ?? 0
        var heightOfBlock = [Int64](repeating: -1, count: Int(max(0, maxBlock)) + 1)
        let blocks = try RawStatement(db, "SELECT id, height FROM block WHERE inBestChain = 1")
        while try blocks.step() {
            let id = blocks.int64(0)
            if id >= 0 && id < Int64(heightOfBlock.count) { heightOfBlock[Int(id)] = blocks.int64(1) }
        }
        blocks.reset()
        return heightOfBlock
    }

    /// Loads every best-chain (and loose) transaction in chain order, optionally only those after `after`.
    ///
    /// Rows are read in id order (sequential scans) and scattered into chain order in memory, so this is
    /// linear in the table sizes whatever order the ingest assigned ids in.
    /// - Parameter spenders: also record, for each output, how its spending transaction looks and whether it
    ///   is in the same block (needed by `change.fingerprint`, `change.peel-chain`, `change.same-block-spend`).
    ///   Only spenders among the loaded transactions are recorded: with `after`, those after it. An ingest
    ///   commits whole blocks and the watermark is a block's last transaction, so every same-block spender of
    ///   a loaded output is loaded too.
    public static func load(_ db: Database, after: ChainPosition? = nil, spenders: Bool = false) throws -> LoadedChain {
        let heightOfBlock = try bestChainHeights(db)

        // Transactions, in id order; chain order is checked as they come and sorted only if needed.
        var ids: [Int64] = [], keys: [ChainPosition] = [], versions: [Int32] = [], lockTimes: [UInt32] = []
        var coinbase: [Bool] = [], inputCounts: [Int] = [], outputCounts: [Int] = []
        let txs = try RawStatement(db, """
            SELECT id, blockId, position, version, lockTime, isCoinbase, inputCount, outputCount FROM tx ORDER BY id
            """)
        var sorted = true
        while try txs.step() {
            let key: ChainPosition
            if txs.isNull(1) {
                key = ChainPosition(height: Int64.max, position: txs.int64(0))
            } else {
                let b = txs.int64(1)
                guard b >= 0 && b < Int64(heightOfBlock.count), heightOfBlock[Int(b)] >= 0 else { continue }  // stale block
                key = ChainPosition(height: heightOfBlock[Int(b)], position: txs.int64(2))
            }
            if let after, key <= after { continue }
            if let last = keys.last, key < last { sorted = false }
            ids.append(txs.int64(0)); keys.append(key)
            versions.append(Int32(truncatingIfNeeded: txs.int64(3))); lockTimes.append(UInt32(truncatingIfNeeded: txs.int64(4)))
            coinbase.append(txs.int64(5) != 0); inputCounts.append(Int(txs.int64(6))); outputCounts.append(Int(txs.int64(7)))
        }
        txs.reset()
        if !sorted {
            let order = keys.indices.sorted { keys[$0] < keys[$1] }
            ids = order.map { ids[$0] }; keys = order.map { keys[$0] }; versions = order.map { versions[$0] }
            lockTimes = order.map { lockTimes[$0] }; coinbase = order.map { coinbase[$0] }
            inputCounts = order.map { inputCounts[$0] }; outputCounts = order.map { outputCounts[$0] }
        }

        let n = ids.count
        let minTxId = ids.min() ?? 0, maxTxId = ids.max() ?? -1
        // rank[id - minTxId] = position in chain order, -1 for transactions not loaded.
        var rank = [Int32](repeating: -1, count: Int(max(0, maxTxId - minTxId + 1)))
        var inputStart = [Int](repeating: 0, count: n), outputStart = [Int](repeating: 0, count: n)
        var inputs = 0, outputs = 0
        for i in 0..<n {
            rank[Int(ids[i] - minTxId)] = Int32(i)  // Cast ok: fewer than 2^31 transactions per load.
            inputStart[i] = inputs; outputStart[i] = outputs
            inputs += inputCounts[i]; outputs += outputCounts[i]
        }
        // Constants from here: the scan loops read them without exclusivity checks on captured variables.
        let ranks = rank, inputTotal = inputs, outputTotal = outputs
        @inline(__always) func rankOf(_ id: Int64) -> Int? { denseLookup(ranks, base: minTxId, id) }
        // End (exclusive) of transaction t's input and output slots.
        let inputStarts = inputStart, outputStarts = outputStart
        @inline(__always) func inputEnd(_ t: Int) -> Int { t + 1 < n ? inputStarts[t + 1] : inputTotal }
        @inline(__always) func outputEnd(_ t: Int) -> Int { t + 1 < n ? outputStarts[t + 1] : outputTotal }

        // Address kinds, by id, for the inputs (an input's kind is its address's).
        let maxAddress = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address") ?? -1
        var kindOfAddress = [UInt8](repeating: 0, count: Int(max(0, maxAddress + 1)))
        let addrs = try RawStatement(db, "SELECT id, scriptKind FROM address")
        try kindOfAddress.withUnsafeMutableBufferPointer { kinds in
            while try addrs.step() {
                let id = addrs.int64(0)
                if id >= 0 && id < Int64(kinds.count) { kinds[Int(id)] = UInt8(truncatingIfNeeded: addrs.int64(1)) }
            }
        }
        addrs.reset()
        let kinds = kindOfAddress

        // The row scans below write through buffer pointers: one pass over each table, no per-row allocation,
        // uniqueness or exclusivity check (they were a third of the load's own time).
        let none = TransactionBatch.noAddress
        var inAddress = [UInt32](repeating: none, count: inputs), inValue = [Int64](repeating: 0, count: inputs)
        var inKind = [UInt8](repeating: 0, count: inputs), inSequence = [UInt32](repeating: 0xFFFF_FFFF, count: inputs)
        var rbf = [Bool](repeating: false, count: n)
        // Batch position of the transaction of each loaded input, by input row id − `inputIdBase` (-1: not loaded),
        // for spender shapes only: a dense array like `rank` (ids are assigned in transaction order), not a
        // dictionary with an entry per input.
        var txOfInput: [Int32] = []
        var inputIdBase: Int64 = 0
        if n > 0 {
            let firstInput = try firstRowID(db, table: "input", fromTx: minTxId, full: after == nil)
            let ins = try RawStatement(db, spenders
                ? "SELECT txId, n, addressId, value, sequence, id FROM input WHERE id >= ? ORDER BY id"
                : "SELECT txId, n, addressId, value, sequence FROM input WHERE id >= ? ORDER BY id")
            ins.bind(1, firstInput)
            if spenders, let range = try Row.fetchOne(db, sql: "SELECT MIN(id), MAX(id) FROM input WHERE id >= ?", arguments: [firstInput]),
               let low = range[0] as Int64?, let high = range[1] as Int64?, high >= low {
                inputIdBase = low
                txOfInput = [Int32](repeating: -1, count: Int(high - low + 1))
            }
            try inAddress.withUnsafeMutableBufferPointer { inAddress in
            try inValue.withUnsafeMutableBufferPointer { inValue in
            try inKind.withUnsafeMutableBufferPointer { inKind in
            try inSequence.withUnsafeMutableBufferPointer { inSequence in
            try rbf.withUnsafeMutableBufferPointer { rbf in
            try txOfInput.withUnsafeMutableBufferPointer { txOfInput in
                while try ins.step() {
                    guard let t = rankOf(ins.int64(0)) else { continue }
                    let vin = ins.int64(1)
                    let slot = inputStarts[t] + Int(truncatingIfNeeded: vin)
                    guard vin >= 0, slot < inputEnd(t) else {
                        throw StoreError.badData("an input of transaction \(ins.int64(0)) has n = \(vin), beyond its input count", at: nil)
                    }
                    if !ins.isNull(2) {
                        let a = ins.int64(2)
                        inAddress[slot] = UInt32(truncatingIfNeeded: a)
                        inKind[slot] = a >= 0 && a < Int64(kinds.count) ? kinds[Int(a)] : 0
                    }
                    inValue[slot] = ins.int64(3)
                    let seq = UInt32(truncatingIfNeeded: ins.int64(4))
                    inSequence[slot] = seq
                    if seq < 0xFFFF_FFFE { rbf[t] = true }
                    if spenders {
                        let k = ins.int64(5) - inputIdBase
                        if k >= 0 && k < Int64(txOfInput.count) { txOfInput[Int(k)] = Int32(t) }  // Cast ok: t < 2^31 (see rank).
                    }
                }
            }}}}}}
            ins.reset()
        }

        var outAddress = [UInt32](repeating: none, count: outputs), outValue = [Int64](repeating: 0, count: outputs)
        var outKind = [UInt8](repeating: 0, count: outputs), outSpender = [UInt64](repeating: 0, count: outputs)
        if n > 0 {
            let outs = try RawStatement(db, spenders
                ? "SELECT txId, n, value, scriptKind, addressId, spentByInputId FROM output WHERE id >= ? ORDER BY id"
                : "SELECT txId, n, value, scriptKind, addressId FROM output WHERE id >= ? ORDER BY id")
            outs.bind(1, try firstRowID(db, table: "output", fromTx: minTxId, full: after == nil))
            let rbf = rbf, txOfInput = txOfInput, inputIdBase = inputIdBase
            @inline(__always) func spendingTx(_ inputId: Int64) -> Int? { denseLookup(txOfInput, base: inputIdBase, inputId) }
            try outAddress.withUnsafeMutableBufferPointer { outAddress in
            try outValue.withUnsafeMutableBufferPointer { outValue in
            try outKind.withUnsafeMutableBufferPointer { outKind in
            try outSpender.withUnsafeMutableBufferPointer { outSpender in
                while try outs.step() {
                    guard let t = rankOf(outs.int64(0)) else { continue }
                    let vout = outs.int64(1)
                    let slot = outputStarts[t] + Int(truncatingIfNeeded: vout)
                    guard vout >= 0, slot < outputEnd(t) else {
                        throw StoreError.badData("an output of transaction \(outs.int64(0)) has n = \(vout), beyond its output count", at: nil)
                    }
                    outValue[slot] = outs.int64(2)
                    outKind[slot] = UInt8(truncatingIfNeeded: outs.int64(3))
                    if !outs.isNull(4) { outAddress[slot] = UInt32(truncatingIfNeeded: outs.int64(4)) }
                    if spenders, let by = outs.optionalInt64(5), let s = spendingTx(by) {
                        // Same height: the same block (heights are of best-chain blocks), or both loose (Int64.max).
                        outSpender[slot] = SpenderShape(version: versions[s], lockTimeIsSet: lockTimes[s] != 0, signalsRBF: rbf[s],
                                                        inputCount: inputCounts[s], outputCount: outputCounts[s],
                                                        inSameBlock: keys[s].height == keys[t].height).packedValue
                    }
                }
            }}}}
            outs.reset()
        }
        let batch = try TransactionBatch(
            txIDs: ids.map { UInt32(truncatingIfNeeded: $0) }, versions: versions,
            lockTimes: lockTimes, coinbase: coinbase, inputStart: inputStart, outputStart: outputStart,
            inputAddress: inAddress, inputValue: inValue, inputKind: inKind, inputSequence: inSequence,
            outputAddress: outAddress, outputValue: outValue, outputKind: outKind, outputSpender: outSpender)
        return LoadedChain(batch: batch, addressBound: Int(maxAddress + 1), positions: keys)
    }

    /// `table[id - base]` for a dense table indexed by row id from `base`, nil outside it or where it holds -1.
    @inline(__always) static func denseLookup(_ table: [Int32], base: Int64, _ id: Int64) -> Int? {
        let k = id - base
        guard k >= 0 && k < Int64(table.count) else { return nil }
        let v = table[Int(k)]
        return v < 0 ? nil : Int(v)
    }

    /// The first row id of `table` that can belong to transaction `fromTx` or later. Scans then run over the
    /// rowid (the table's own order, no sort, no index): the ingest gives inputs and outputs ids in
    /// transaction order. Rows of earlier transactions that still come after are skipped by rank.
    static func firstRowID(_ db: Database, table: String, fromTx: Int64, full: Bool) throws -> Int64 {
        if full { return Int64.min }
        return try Int64.fetchOne(db, sql: "SELECT MIN(id) FROM \(table) WHERE txId >= ?", arguments: [fromTx]) ?? Int64.max
    }
}
