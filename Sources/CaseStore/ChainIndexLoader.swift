import BitcoinPrimitives
import ChainIndex
import Foundation
import GRDB

/// What the loader read: the transactions in chain order, and where each one stands.
public struct LoadedChain {
    public var index: ChainIndex
    /// One past the largest address id.
    public var addressBound: Int
    /// Chain position of each transaction of the index.
    public var positions: [ChainPosition]
}

/// The one loader of the chain index: every best-chain (and loose) transaction in chain order from the case
/// database's tables, with the columns asked for. Clustering, tracing's whole-chain reference, evaluation and
/// the benchmarks read the chain through it; an analysis that needs only part of the chain loads that part
/// through `TraceSubgraph`, which fills the same index.
///
/// Rows are read in id order (sequential scans over the rowid, no sort, no index) and scattered into chain
/// order in memory, so this is linear in the table sizes whatever order the ingest assigned ids in. The scans
/// write through buffer pointers: one pass over each table, no per-row allocation, uniqueness or exclusivity
/// check (they were a third of the load's own time).
public enum ChainIndexLoader {
    /// Loads every best-chain (and loose) transaction in chain order, optionally only those after `after`.
    /// - Parameter columns: the optional columns to fill (`ChainIndex.Columns`). With `.spenderShapes`, each
    ///   output records how its spending transaction looks and whether it is in the same block (what
    ///   `change.fingerprint`, `change.peel-chain`, `change.same-block-spend` read); only spenders among the
    ///   loaded transactions are recorded: with `after`, those after it. An ingest commits whole blocks and a
    ///   clustering watermark is a block's last transaction, so every same-block spender of a loaded output is
    ///   loaded too. With `.links`, an input whose spent output was not loaded (off the best chain, or before
    ///   `after`) links to nothing.
    public static func load(_ db: Database, after: ChainPosition? = nil, columns: ChainIndex.Columns = []) throws -> LoadedChain {
        let blocks = try BestChainBlocks(db, times: columns.contains(.blockTimes))
        let txs = try TransactionRows(db, blocks: blocks, after: after, columns: columns)
        let maxAddress = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address") ?? -1
        var inputs = InputColumns(count: txs.inputTotal, transactions: txs.count)
        var outputs = OutputColumns(count: txs.outputTotal)
        if txs.count > 0 {
            let firstInput = try firstRowID(db, table: "input", fromTx: txs.minTxId, full: after == nil)
            try inputs.scan(db, txs, from: firstInput, kinds: try addressKinds(db, maxAddress: maxAddress), columns: columns)
            let firstOutput = try firstRowID(db, table: "output", fromTx: txs.minTxId, full: after == nil)
            try outputs.scan(db, txs, from: firstOutput, inputs: inputs, columns: columns)
        }
        let spends = columns.contains(.links) ? outputs.inputSpends(inputs) : []
        let index: ChainIndex
        do {
            index = try ChainIndex(
                txStoreID: txs.ids.map { UInt32(truncatingIfNeeded: $0) }, txVersion: txs.versions, txLockTime: txs.lockTimes,
                txIsCoinbase: txs.coinbase, inputStart: txs.inputStart, outputStart: txs.outputStart,
                inputAddress: inputs.address, inputValue: inputs.value, inputKind: inputs.kind, inputSequence: inputs.sequence,
                outputAddress: outputs.address, outputValue: outputs.value, outputKind: outputs.kind,
                txids: txs.txids, txHeight: txs.heights, txTime: txs.times,
                inputSpends: spends, outputSpentBy: columns.contains(.links) ? OutputColumns.spentBy(spends, outputs: txs.outputTotal) : [],
                outputSpender: outputs.spender, addressBound: Int(maxAddress + 1))
        } catch {
            throw StoreError.badData("the chain tables disagree with themselves: \(error)", at: nil)
        }
        return LoadedChain(index: index, addressBound: Int(maxAddress + 1), positions: txs.keys)
    }

    /// Script kind of every address by id (an input's kind is its address's).
    static func addressKinds(_ db: Database, maxAddress: Int64) throws -> [UInt8] {
        var kindOfAddress = [UInt8](repeating: 0, count: Int(max(0, maxAddress + 1)))
        let addrs = try RawStatement(db, "SELECT id, scriptKind FROM address")
        try kindOfAddress.withUnsafeMutableBufferPointer { kinds in
            while try addrs.step() {
                let id = addrs.int64(0)
                if id >= 0 && id < Int64(kinds.count) { kinds[Int(id)] = UInt8(truncatingIfNeeded: addrs.int64(1)) }
            }
        }
        addrs.reset()
        return kindOfAddress
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

/// Height (and time) of every best-chain block by block id, height -1 for blocks off the best chain (ids are
/// dense: arrays, not dictionaries). What every reader needs to put transactions in chain order.
struct BestChainBlocks {
    var height: [Int64]
    /// Empty unless asked for.
    var time: [Int64]

    init(_ db: Database, times: Bool = false) throws {
        let maxBlock = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM block") ?? 0
        height = [Int64](repeating: -1, count: Int(max(0, maxBlock)) + 1)
        time = times ? [Int64](repeating: 0, count: height.count) : []
        let blocks = try RawStatement(db, "SELECT id, height, time FROM block WHERE inBestChain = 1")
        while try blocks.step() {
            let id = blocks.int64(0)
            guard id >= 0 && id < Int64(height.count) else { continue }
            height[Int(id)] = blocks.int64(1)
            if times { time[Int(id)] = blocks.int64(2) }
        }
        blocks.reset()
    }
}

/// The `tx` rows a load keeps, in chain order, with the prefix sums that place their inputs and outputs.
struct TransactionRows {
    var ids: [Int64] = [], keys: [ChainPosition] = [], versions: [Int32] = [], lockTimes: [UInt32] = []
    var coinbase: [Bool] = [], inputCounts: [Int] = [], outputCounts: [Int] = []
    var txids: [Txid] = [], heights: [Int32] = [], times: [Int64] = []
    /// rank[id - minTxId] = position in chain order, -1 for transactions not loaded.
    var rank: [Int32] = []
    var minTxId: Int64 = 0
    var inputStart: [Int] = [0], outputStart: [Int] = [0]

    var count: Int { ids.count }
    var inputTotal: Int { inputStart[count] }
    var outputTotal: Int { outputStart[count] }

    /// Transactions, in id order; chain order is checked as they come and sorted only if needed.
    init(_ db: Database, blocks: BestChainBlocks, after: ChainPosition?, columns: ChainIndex.Columns) throws {
        let withTxids = columns.contains(.txids), withTimes = columns.contains(.blockTimes)
        let txs = try RawStatement(db, """
            SELECT id, blockId, position, version, lockTime, isCoinbase, inputCount, outputCount\(withTxids ? ", txid" : "")
            FROM tx ORDER BY id
            """)
        var sorted = true
        while try txs.step() {
            let key: ChainPosition
            var block = -1
            if txs.isNull(1) {
                key = ChainPosition(height: Int64.max, position: txs.int64(0))
            } else {
                let b = txs.int64(1)
                guard b >= 0 && b < Int64(blocks.height.count), blocks.height[Int(b)] >= 0 else { continue }  // stale block
                block = Int(b)
                key = ChainPosition(height: blocks.height[block], position: txs.int64(2))
            }
            if let after, key <= after { continue }
            if let last = keys.last, key < last { sorted = false }
            ids.append(txs.int64(0)); keys.append(key)
            versions.append(Int32(truncatingIfNeeded: txs.int64(3))); lockTimes.append(UInt32(truncatingIfNeeded: txs.int64(4)))
            coinbase.append(txs.int64(5) != 0); inputCounts.append(Int(txs.int64(6))); outputCounts.append(Int(txs.int64(7)))
            if withTxids { txids.append(Txid(digest: Digest32(bytes: txs.blob(8)) ?? .zero)) }
            if withTimes {
                heights.append(block < 0 ? -1 : Int32(truncatingIfNeeded: key.height))
                times.append(block < 0 ? 0 : blocks.time[block])
            }
        }
        txs.reset()
        if !sorted { sortIntoChainOrder() }
        placeRows()
    }

    /// Only after a reorg or a confirmed loose transaction: ids no longer follow chain order.
    private mutating func sortIntoChainOrder() {
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        ids = order.map { ids[$0] }; keys = order.map { keys[$0] }; versions = order.map { versions[$0] }
        lockTimes = order.map { lockTimes[$0] }; coinbase = order.map { coinbase[$0] }
        inputCounts = order.map { inputCounts[$0] }; outputCounts = order.map { outputCounts[$0] }
        if !txids.isEmpty { txids = order.map { txids[$0] } }
        if !heights.isEmpty { heights = order.map { heights[$0] }; times = order.map { times[$0] } }
    }

    /// The rank of every loaded transaction id and the prefix sums of input and output counts.
    private mutating func placeRows() {
        let n = ids.count
        minTxId = ids.min() ?? 0
        let maxTxId = ids.max() ?? -1
        rank = [Int32](repeating: -1, count: Int(max(0, maxTxId - minTxId + 1)))
        inputStart = [Int](repeating: 0, count: n + 1)
        outputStart = [Int](repeating: 0, count: n + 1)
        for i in 0..<n {
            rank[Int(ids[i] - minTxId)] = Int32(i)  // Cast ok: fewer than 2^31 transactions per load.
            inputStart[i + 1] = inputStart[i] + inputCounts[i]
            outputStart[i + 1] = outputStart[i] + outputCounts[i]
        }
    }

    @inline(__always) func rankOf(_ id: Int64) -> Int? { ChainIndexLoader.denseLookup(rank, base: minTxId, id) }

    /// Where row `n` of transaction `t` goes (`starts`: `inputStart` or `outputStart`); throws when the stored
    /// `n` is beyond the transaction's count.
    @inline(__always) func slot(in starts: [Int], of t: Int, n: Int64, tx: Int64, row: String) throws -> Int {
        let slot = starts[t] + Int(truncatingIfNeeded: n)
        guard n >= 0, slot < starts[t + 1] else {
            throw StoreError.badData("an \(row) of transaction \(tx) has n = \(n), beyond its \(row) count", at: nil)
        }
        return slot
    }
}

/// Row id → position for one table's rows of a load, as a dense array from the smallest id (the ingest assigns
/// ids in transaction order): no dictionary entry per row. -1 (nil) for rows not loaded.
struct DenseRowMap {
    var base: Int64 = 0
    var positions: [Int32] = []

    init() {}

    /// Room for every row of `table` from id `first` on.
    init(_ db: Database, table: String, from first: Int64) throws {
        guard let range = try Row.fetchOne(db, sql: "SELECT MIN(id), MAX(id) FROM \(table) WHERE id >= ?", arguments: [first]),
              let low = range[0] as Int64?, let high = range[1] as Int64?, high >= low else { return }
        base = low
        positions = [Int32](repeating: -1, count: Int(high - low + 1))
    }

    @inline(__always) func position(of id: Int64) -> Int? { ChainIndexLoader.denseLookup(positions, base: base, id) }
}

/// The input columns of a load, and what the output scan needs from them.
struct InputColumns {
    var address: [UInt32], value: [Int64], kind: [UInt8], sequence: [UInt32]
    /// Any input of the transaction signals replaceability (for spender shapes).
    var rbf: [Bool]
    /// Chain position of the transaction of each loaded input by input row id, for spender shapes only.
    var txOfRow = DenseRowMap()
    /// The store id of the output each input spends (-1: none), for links only.
    var spentOutputRow: [Int64] = []

    init(count: Int, transactions: Int) {
        address = [UInt32](repeating: ChainIndex.noAddress, count: count)
        value = [Int64](repeating: 0, count: count)
        kind = [UInt8](repeating: 0, count: count)
        sequence = [UInt32](repeating: SequenceNumber.final.rawValue, count: count)
        rbf = [Bool](repeating: false, count: transactions)
    }

    mutating func scan(_ db: Database, _ txs: TransactionRows, from firstInput: Int64, kinds: [UInt8],
                       columns: ChainIndex.Columns) throws {
        let spenders = columns.contains(.spenderShapes), links = columns.contains(.links)
        // Only the columns asked for: every further column parsed costs on a large chain.
        let ins = try RawStatement(db, "SELECT txId, n, addressId, value, sequence\(spenders || links ? ", id, spentOutputId" : "") "
                                       + "FROM input WHERE id >= ? ORDER BY id")
        ins.bind(1, firstInput)
        defer { ins.reset() }
        if spenders { txOfRow = try DenseRowMap(db, table: "input", from: firstInput) }
        if links { spentOutputRow = [Int64](repeating: -1, count: address.count) }
        let idBase = txOfRow.base
        try address.withUnsafeMutableBufferPointer { address in
        try value.withUnsafeMutableBufferPointer { value in
        try kind.withUnsafeMutableBufferPointer { kind in
        try sequence.withUnsafeMutableBufferPointer { sequence in
        try rbf.withUnsafeMutableBufferPointer { rbf in
        try txOfRow.positions.withUnsafeMutableBufferPointer { txOfRow in
        try spentOutputRow.withUnsafeMutableBufferPointer { spentOutputRow in
            while try ins.step() {
                guard let t = txs.rankOf(ins.int64(0)) else { continue }
                let slot = try txs.slot(in: txs.inputStart, of: t, n: ins.int64(1), tx: ins.int64(0), row: "input")
                if !ins.isNull(2) {
                    let a = ins.int64(2)
                    address[slot] = UInt32(truncatingIfNeeded: a)
                    kind[slot] = a >= 0 && a < Int64(kinds.count) ? kinds[Int(a)] : 0
                }
                value[slot] = ins.int64(3)
                let seq = UInt32(truncatingIfNeeded: ins.int64(4))
                sequence[slot] = seq
                if SequenceNumber.signalsReplaceability(seq) { rbf[t] = true }
                if spenders {
                    let k = ins.int64(5) - idBase
                    if k >= 0 && k < Int64(txOfRow.count) { txOfRow[Int(k)] = Int32(t) }  // Cast ok: t < 2^31 (see rank).
                }
                if links && !ins.isNull(6) { spentOutputRow[slot] = ins.int64(6) }
            }
        }}}}}}}
    }

    @inline(__always) func spendingTx(_ inputRow: Int64) -> Int? { txOfRow.position(of: inputRow) }
}

/// The output columns of a load.
struct OutputColumns {
    var address: [UInt32], value: [Int64], kind: [UInt8], spender: [UInt64]
    /// Position of each loaded output by output row id, for links only.
    var slotOfRow = DenseRowMap()

    init(count: Int) {
        address = [UInt32](repeating: ChainIndex.noAddress, count: count)
        value = [Int64](repeating: 0, count: count)
        kind = [UInt8](repeating: 0, count: count)
        spender = [UInt64](repeating: 0, count: count)
    }

    mutating func scan(_ db: Database, _ txs: TransactionRows, from firstOutput: Int64, inputs: InputColumns,
                       columns: ChainIndex.Columns) throws {
        let spenders = columns.contains(.spenderShapes), links = columns.contains(.links)
        let outs = try RawStatement(db, "SELECT txId, n, value, scriptKind, addressId\(spenders || links ? ", spentByInputId, id" : "") "
                                        + "FROM output WHERE id >= ? ORDER BY id")
        outs.bind(1, firstOutput)
        defer { outs.reset() }
        if links { slotOfRow = try DenseRowMap(db, table: "output", from: firstOutput) }
        let idBase = slotOfRow.base
        try address.withUnsafeMutableBufferPointer { address in
        try value.withUnsafeMutableBufferPointer { value in
        try kind.withUnsafeMutableBufferPointer { kind in
        try spender.withUnsafeMutableBufferPointer { spender in
        try slotOfRow.positions.withUnsafeMutableBufferPointer { slotOfRow in
            while try outs.step() {
                guard let t = txs.rankOf(outs.int64(0)) else { continue }
                let slot = try txs.slot(in: txs.outputStart, of: t, n: outs.int64(1), tx: outs.int64(0), row: "output")
                value[slot] = outs.int64(2)
                kind[slot] = UInt8(truncatingIfNeeded: outs.int64(3))
                if !outs.isNull(4) { address[slot] = UInt32(truncatingIfNeeded: outs.int64(4)) }
                if spenders, let by = outs.optionalInt64(5), let s = inputs.spendingTx(by) {
                    spender[slot] = Self.shape(of: s, spending: t, txs, inputs).packedValue
                }
                if links {
                    let k = outs.int64(6) - idBase
                    if k >= 0 && k < Int64(slotOfRow.count) { slotOfRow[Int(k)] = Int32(slot) }  // Cast ok: < 2^31 outputs per load.
                }
            }
        }}}}}
    }

    /// How transaction `s` looks as the spender of an output of transaction `t`. Same height: the same block
    /// (heights are of best-chain blocks), or both loose (`Int64.max`).
    @inline(__always) static func shape(of s: Int, spending t: Int, _ txs: TransactionRows, _ inputs: InputColumns) -> SpenderShape {
        SpenderShape(version: txs.versions[s], lockTimeIsSet: txs.lockTimes[s] != 0, signalsRBF: inputs.rbf[s],
                     inputCount: txs.inputCounts[s], outputCount: txs.outputCounts[s],
                     inSameBlock: txs.keys[s].height == txs.keys[t].height)
    }

    /// Each input's spent output as an index position (`ChainIndex.noLink` when it spends none that was loaded).
    func inputSpends(_ inputs: InputColumns) -> [Int] {
        inputs.spentOutputRow.map { row in
            row < 0 ? ChainIndex.noLink : slotOfRow.position(of: row) ?? ChainIndex.noLink
        }
    }

    /// Each output's spending input, from the inputs' links (`ChainIndex.noLink` while unspent among those loaded).
    static func spentBy(_ inputSpends: [Int], outputs: Int) -> [Int] {
        var spentBy = [Int](repeating: ChainIndex.noLink, count: outputs)
        for (i, o) in inputSpends.enumerated() where o >= 0 { spentBy[o] = i }
        return spentBy
    }
}
