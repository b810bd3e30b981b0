import BitcoinPrimitives
import ChainIndex
import Foundation
import GRDB

/// The part of the best chain an analysis reads, loaded through the store's indexes instead of the whole chain
/// (`TraceGraphLoader.load`), so the cost of a report follows the case (the site, its payers, the traced hops)
/// and not the size of the chain.
///
/// Loading is staged by the caller (Investigation's `CaseSubgraph` decides what a case needs): ask for the
/// transactions around some addresses (`loadNeighborhoods`: every transaction paying or spending them, via
/// `output_address` / `input_address`), the members of some clusters (`loadMembers`, via
/// `addressCluster_cluster`), an address's receipts in chain order (`receiptTransactions`), or the transactions
/// at the other end of some links of the last index (`loadLinks`: the funding transactions of inputs, the
/// spending transactions of outputs); then `build()` gives a `ChainIndex` of everything loaded, in chain order
/// (height, position), with dense indices local to it, and the cluster of every address in it. A transaction
/// is always loaded whole (all inputs and outputs).
public final class TraceSubgraph {
    struct InputRow {
        var id: Int64; var spentOutputID: Int64?; var address: Int; var value: Int64; var sequence: UInt32
        /// The address's kind in the address table (what the whole-chain loader gives an input).
        var kind: UInt8
    }
    struct OutputRow { var id: Int64; var address: Int; var value: Int64; var kind: UInt8; var spentByInputID: Int64? }
    struct TxRow {
        var id: Int64
        var txid: Txid
        var height: Int64?
        var position: Int64?
        var time: Int64
        var loose: Bool
        var version: Int32
        var lockTime: UInt32
        /// The stored flag (an input spending nothing may be a coinbase's or one whose parent is not stored).
        var isCoinbase: Bool
        var inputs: [InputRow]
        var outputs: [OutputRow]
    }

    private let database: CaseDatabase
    private let hasClusters: Bool
    private var txs: [Int64: TxRow] = [:]
    /// Transactions of blocks a reorg disconnected: not part of the best chain, never loaded.
    private var offChain: Set<Int64> = []
    /// Store output id → (store transaction id, vout) of every loaded output.
    private var txOfOutput: [Int64: (tx: Int64, vout: Int)] = [:]
    private var txOfInput: [Int64: Int64] = [:]
    /// Outputs and inputs found to belong to off-chain transactions: links to them count as absent (-1), as
    /// in the whole-chain graph, not as not loaded.
    private var offChainOutputs: Set<Int64> = []
    private var offChainInputs: Set<Int64> = []
    private var complete: Set<Int> = []
    private var clusterOf: [Int: Int] = [:]
    /// Addresses of loaded transactions whose cluster is not looked up yet (`build()` looks them up).
    private var unresolved: Set<Int> = []
    private var members: [Int: [Int]] = [:]
    private var kinds: [Int: UInt8] = [:]
    private var changed = true

    /// Transactions `loadLinks` may load in all (the traces' cones); the site's own transactions are not capped.
    public let coneTransactionLimit: Int
    /// True once `loadLinks` stopped at `coneTransactionLimit`.
    public private(set) var coneLimitReached = false
    /// Transactions loaded before the first `loadLinks`: the cone budget counts from there.
    private var coneBase: Int?

    public init(_ database: CaseDatabase, coneTransactionLimit: Int = 250_000) throws {
        self.database = database
        self.coneTransactionLimit = coneTransactionLimit
        hasClusters = try database.read { try $0.tableExists("addressCluster") }
    }

    public var transactionCount: Int { txs.count }
    /// True when something was loaded since the last `build()`.
    public var hasChanged: Bool { changed }
    public func isComplete(_ address: Int) -> Bool { address < 0 || complete.contains(address) }
    /// Complete, or its receipts loaded far enough (in chain order) to rule it out as a cold store.
    public func isJudgedAsColdStore(_ address: Int) -> Bool { isComplete(address) || ruledOutColdStores.contains(address) }
    private var ruledOutColdStores: Set<Int> = []
    /// Records that the receipts loaded so far rule the address out as a cold store.
    public func markRuledOutColdStore(_ address: Int) { ruledOutColdStores.insert(address) }
    public func hasMembers(ofCluster c: Int) -> Bool { c < 0 || members[c] != nil }

    /// Every best-chain transaction paying or spending each address.
    public func loadNeighborhoods(of addresses: [Int]) throws {
        let wanted = Set(addresses).filter { $0 >= 0 && !complete.contains($0) }.sorted()
        guard !wanted.isEmpty else { return }
        try database.read { db in
            let paying = try db.cachedStatement(sql: "SELECT txId FROM output WHERE addressId = ?")
            let spending = try db.cachedStatement(sql: "SELECT txId FROM input WHERE addressId = ?")
            var loader = try RowLoader(db)
            for a in wanted {
                var ids = try Int64.fetchAll(paying, arguments: [a])
                ids += try Int64.fetchAll(spending, arguments: [a])
                for id in Set(ids).sorted() { try load(id, with: &loader) }
                complete.insert(a)
            }
        }
    }

    /// The complete member list of each cluster (and the cluster of each member). The cluster id is its
    /// smallest member and has no `addressCluster` row of its own.
    public func loadMembers(ofClusters clusters: [Int]) throws {
        let wanted = Set(clusters).filter { $0 >= 0 && members[$0] == nil }.sorted()
        guard !wanted.isEmpty else { return }
        try database.read { db in
            let statement = hasClusters
                ? try db.cachedStatement(sql: "SELECT addressId FROM addressCluster WHERE clusterId = ? ORDER BY addressId") : nil
            for c in wanted {
                let list = [c] + (try statement.map { try Int.fetchAll($0, arguments: [c]) } ?? [])
                members[c] = list
                for a in list { clusterOf[a] = c }
            }
        }
        changed = true
    }

    /// Looks up the cluster of each address (kept for `build()`).
    public func lookUpClusters(_ addresses: [Int]) throws {
        let wanted = Set(addresses).filter { $0 >= 0 && clusterOf[$0] == nil }
        guard !wanted.isEmpty else { return }
        try database.read { db in try lookUp(wanted, db) }
        changed = true
    }

    private func lookUp(_ addresses: Set<Int>, _ db: Database) throws {
        guard hasClusters else { for a in addresses { clusterOf[a] = a }; return }
        let statement = try db.cachedStatement(sql: "SELECT clusterId FROM addressCluster WHERE addressId = ?")
        for a in addresses.sorted() where clusterOf[a] == nil {
            clusterOf[a] = try Int.fetchOne(statement, arguments: [a]) ?? a
        }
    }

    public func cluster(of address: Int) -> Int? {
        address < 0 ? -1 : clusterOf[address]
    }

    /// What `loadLinks` did.
    public enum LinkLoad: Sendable, Equatable {
        /// Every transaction asked for is loaded now (or found off the best chain, its link then absent).
        case loaded
        /// It stopped at `coneTransactionLimit`.
        case limitReached
        /// Nothing was left to load: every link asked for was already resolved.
        case nothingNew
    }

    /// Loads the funding transaction of each of `inputs` and the spending transaction of each of `outputs`
    /// (positions in `built.index`), in store order, until the cone budget (`coneTransactionLimit` transactions
    /// after the first call) runs out.
    public func loadLinks(fundingOf inputs: some Collection<Int>, spendersOf outputs: some Collection<Int>,
                          in built: Built) throws -> LinkLoad {
        if coneBase == nil { coneBase = txs.count }
        let budget = (coneBase ?? 0) + coneTransactionLimit
        return try database.read { db in
            var loader = try RowLoader(db)
            let outputTx = try db.cachedStatement(sql: "SELECT txId FROM output WHERE id = ?")
            let inputTx = try db.cachedStatement(sql: "SELECT txId FROM input WHERE id = ?")
            var wanted: [(tx: Int64, output: Int64?, input: Int64?)] = []
            for i in inputs {
                guard let prev = built.inputSpentOutputIDs[i], txOfOutput[prev] == nil,
                      let t = try Int64.fetchOne(outputTx, arguments: [prev]) else { continue }
                wanted.append((t, prev, nil))
            }
            for o in outputs {
                guard let spender = built.outputSpentByInputIDs[o], txOfInput[spender] == nil,
                      let t = try Int64.fetchOne(inputTx, arguments: [spender]) else { continue }
                wanted.append((t, nil, spender))
            }
            guard !wanted.isEmpty else { return .nothingNew }
            for w in wanted.sorted(by: { $0.tx < $1.tx }) {
                if txs[w.tx] == nil && !offChain.contains(w.tx) {
                    guard txs.count < budget else { coneLimitReached = true; return .limitReached }
                    try load(w.tx, with: &loader)
                }
                if offChain.contains(w.tx) {
                    if let o = w.output { offChainOutputs.insert(o) }
                    if let i = w.input { offChainInputs.insert(i) }
                    changed = true
                }
            }
            return .loaded
        }
    }

    /// The transactions paying an address, best chain in chain order, then loose ones (store ids).
    public func receiptTransactions(of address: Int) throws -> [Int64] {
        let ordered = try database.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT o.txId FROM output o JOIN tx t ON t.id = o.txId LEFT JOIN block b ON b.id = t.blockId
                WHERE o.addressId = ? AND (t.blockId IS NULL OR b.inBestChain = 1)
                ORDER BY t.blockId IS NULL, b.height, t.position, t.id
                """, arguments: [address])
        }
        var seen = Set<Int64>()
        return ordered.filter { seen.insert($0).inserted }
    }

    /// Loads these transactions whole (those off the best chain are skipped).
    public func load(transactions ids: some Sequence<Int64>) throws {
        try database.read { db in
            var loader = try RowLoader(db)
            for id in ids { try load(id, with: &loader) }
        }
    }

    /// An index of some of the loaded transactions only (the ones not loaded, or off the best chain, left out).
    public func index(ofLoaded ids: some Sequence<Int64>) -> ChainIndex {
        makeIndex(ids.compactMap { txs[$0] }).index
    }

    /// Prepared statements for loading whole transactions (cached by the connection: a staged load's rounds reuse
    /// them).
    struct RowLoader {
        let tx: Statement, outputs: Statement, inputs: Statement
        init(_ db: Database) throws {
            tx = try db.cachedStatement(sql: """
                SELECT t.txid, t.blockId, t.position, b.height, b.time, b.inBestChain, t.isCoinbase, t.version, t.lockTime
                FROM tx t LEFT JOIN block b ON b.id = t.blockId WHERE t.id = ?
                """)
            outputs = try db.cachedStatement(sql: "SELECT id, value, scriptKind, addressId, spentByInputId FROM output WHERE txId = ? ORDER BY n")
            inputs = try db.cachedStatement(sql: """
                SELECT i.id, i.spentOutputId, i.addressId, i.value, i.sequence, a.scriptKind
                FROM input i LEFT JOIN address a ON a.id = i.addressId WHERE i.txId = ? ORDER BY i.n
                """)
        }
    }

    private func load(_ id: Int64, with loader: inout RowLoader) throws {
        guard txs[id] == nil, !offChain.contains(id) else { return }
        guard let r = try Row.fetchOne(loader.tx, arguments: [id]) else { return }
        let blockID: Int64? = r[1]
        if blockID != nil && ((r[5] as Int64?) ?? 0) != 1 { offChain.insert(id); return }
        var row = TxRow(id: id, txid: Txid(digest: r.digest("txid") ?? .zero), height: r[3], position: r[2],
                        time: (r[4] as Int64?) ?? 0, loose: blockID == nil, version: Int32(truncatingIfNeeded: r[7] as Int64),
                        lockTime: UInt32(truncatingIfNeeded: r[8] as Int64), isCoinbase: (r[6] as Int64) != 0,
                        inputs: [], outputs: [])
        let oc = try Row.fetchCursor(loader.outputs, arguments: [id])
        while let o = try oc.next() {
            let out = OutputRow(id: o[0], address: Int((o[3] as Int64?) ?? -1), value: o[1],
                                kind: UInt8(truncatingIfNeeded: o[2] as Int64), spentByInputID: o[4])
            txOfOutput[out.id] = (id, row.outputs.count)
            row.outputs.append(out)
        }
        let ic = try Row.fetchCursor(loader.inputs, arguments: [id])
        while let i = try ic.next() {
            let input = InputRow(id: i[0], spentOutputID: i[1], address: Int((i[2] as Int64?) ?? -1), value: (i[3] as Int64?) ?? 0,
                                 sequence: UInt32(truncatingIfNeeded: i[4] as Int64),
                                 kind: UInt8(truncatingIfNeeded: (i[5] as Int64?) ?? 0))
            row.inputs.append(input)
            txOfInput[input.id] = id
        }
        // Script kinds as the whole-chain loader sees them: the kind of the outputs paying the address.
        for out in row.outputs where out.address >= 0 { kinds[out.address] = out.kind }
        for input in row.inputs where input.address >= 0 && kinds[input.address] == nil { kinds[input.address] = input.kind }
        for a in row.outputs.map(\.address) + row.inputs.map(\.address) where a >= 0 && clusterOf[a] == nil { unresolved.insert(a) }
        txs[id] = row
        changed = true
    }

    /// Rows as a chain-ordered index (height, position; loose transactions last), with each output's store id.
    private func makeIndex(_ rows: [TxRow]) -> (index: ChainIndex, outputIDs: [Int64], spentOutputIDs: [Int64?], spentByInputIDs: [Int64?]) {
        // Sorted by key, not by moving the rows (each holds two arrays).
        let keys = rows.map { ($0.loose ? 1 : 0, $0.height ?? Int64.min, $0.position ?? Int64.min, $0.id) }
        let order = rows.indices.sorted { keys[$0] < keys[$1] }.map { rows[$0] }
        let nOut = rows.reduce(0) { $0 + $1.outputs.count }, nIn = rows.reduce(0) { $0 + $1.inputs.count }
        var outputIndex: [Int64: Int] = .init(minimumCapacity: nOut), inputIndex: [Int64: Int] = .init(minimumCapacity: nIn)
        for row in order {
            for o in row.outputs { outputIndex[o.id] = outputIndex.count }
            for i in row.inputs { inputIndex[i.id] = inputIndex.count }
        }
        let index = ChainIndex()
        index.reserve(transactions: order.count, inputs: nIn, outputs: nOut)
        var txids: [Txid] = [], heights: [Int32] = [], times: [Int64] = []
        var outputSpentBy: [Int] = [], inputSpends: [Int] = [], outputIDs: [Int64] = []
        var spentOutputIDs: [Int64?] = [], spentByInputIDs: [Int64?] = []
        txids.reserveCapacity(order.count); heights.reserveCapacity(order.count); times.reserveCapacity(order.count)
        inputSpends.reserveCapacity(nIn); spentOutputIDs.reserveCapacity(nIn)
        outputSpentBy.reserveCapacity(nOut); outputIDs.reserveCapacity(nOut); spentByInputIDs.reserveCapacity(nOut)
        func address(_ a: Int) -> UInt32 { a < 0 ? ChainIndex.noAddress : UInt32(truncatingIfNeeded: a) }
        for row in order {
            index.beginTransaction(storeID: UInt32(truncatingIfNeeded: row.id), version: row.version, lockTime: row.lockTime,
                                   isCoinbase: row.isCoinbase)
            txids.append(row.txid)
            heights.append(Int32(truncatingIfNeeded: row.height ?? -1))
            times.append(row.time)
            for i in row.inputs {
                index.appendInput(address: address(i.address), value: i.value, kind: i.kind, sequence: i.sequence)
                spentOutputIDs.append(i.spentOutputID)
                inputSpends.append(i.spentOutputID.map { outputIndex[$0] ?? (offChainOutputs.contains($0) ? ChainIndex.noLink : ChainIndex.notLoaded) } ?? ChainIndex.noLink)
            }
            for o in row.outputs {
                index.appendOutput(address: address(o.address), value: o.value, kind: o.kind, spender: 0)
                outputIDs.append(o.id)
                spentByInputIDs.append(o.spentByInputID)
                outputSpentBy.append(o.spentByInputID.map { inputIndex[$0] ?? (offChainInputs.contains($0) ? ChainIndex.noLink : ChainIndex.notLoaded) } ?? ChainIndex.noLink)
            }
        }
        index.setTracingColumns(txids: txids, txHeight: heights, txTime: times, inputSpends: inputSpends,
                                outputSpentBy: outputSpentBy)
        index.indexAddresses(sparseKinds: kinds)
        return (index, outputIDs, spentOutputIDs, spentByInputIDs)
    }

    public struct Built: Sendable {
        public var index: ChainIndex
        /// The cluster of every address in `index` (and of every address looked up), and the complete member
        /// lists of the clusters loaded with `loadMembers`.
        public var clusterOf: [Int: Int]
        public var members: [Int: [Int]]
        /// The store's output id of each output of `index`.
        public var outputStoreIDs: [Int64]
        /// The store ids at the other end of each input's and output's link (nil: none), for `loadLinks`.
        public var inputSpentOutputIDs: [Int64?]
        public var outputSpentByInputIDs: [Int64?]
    }

    /// Everything loaded so far as a chain-ordered graph, with the cluster of every address in it.
    public func build() throws -> Built {
        let addresses = unresolved.filter { clusterOf[$0] == nil }
        if !addresses.isEmpty { try database.read { db in try lookUp(addresses, db) } }
        unresolved.removeAll()

        let made = makeIndex(Array(txs.values))
        changed = false
        return Built(index: made.index, clusterOf: clusterOf, members: members, outputStoreIDs: made.outputIDs,
                     inputSpentOutputIDs: made.spentOutputIDs, outputSpentByInputIDs: made.spentByInputIDs)
    }
}
