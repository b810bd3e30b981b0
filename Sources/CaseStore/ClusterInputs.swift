import Clustering
import Foundation
import GRDB
import GRDBSQLite

/// The narrow clustering input the ingest keeps next to the chain tables (migration "v6-cluster-inputs"):
/// one row per stored transaction,
///
///     clusterInput(txId INTEGER PRIMARY KEY, blockId, position, flags, addresses BLOB)
///
/// `blockId`/`position` mirror `tx`; `flags` holds `CospendBatch.coinbaseFlag` and `equalOutputsFlag`;
/// `addresses` is the input address ids in input order, 4 bytes little endian each, `0xFFFFFFFF` for an
/// input without one (a coinbase, bare multisig, or a spent output not stored yet).
///
/// Why: a profile without change rules needs, for nearly every transaction, only its input addresses; reading
/// them from here is one sequential scan of a table of ~13 bytes per transaction plus 4 per input, instead of
/// four wide tables (`tx`, `input`, `output`, `address`). The rows are derived data: every write path that
/// changes what they mirror (new transactions, inputs resolved later, loose transactions confirmed, reorgs,
/// fetched transactions) updates them, and `mismatches` recomputes them from the wide tables so tests can
/// prove they agree.
public enum ClusterInputs {
    public static let noAddress = TransactionBatch.noAddress

    static func register(_ m: inout DatabaseMigrator) {
        m.registerMigration("v6-cluster-inputs") { db in
            try db.execute(sql: """
                CREATE TABLE clusterInput (
                    txId INTEGER PRIMARY KEY,
                    blockId INTEGER,
                    position INTEGER,
                    flags INTEGER NOT NULL,
                    addresses BLOB NOT NULL
                );
                """)
            // Databases made before this table: derive it once from the chain tables.
            try backfill(db)
        }
    }

    /// The flags of a transaction with these output values.
    static func flags(isCoinbase: Bool, outputValues: some Collection<Int64>) -> UInt8 {
        (isCoinbase ? CospendBatch.coinbaseFlag : 0) | (CospendBatch.hasEqualValues(outputValues) ? CospendBatch.equalOutputsFlag : 0)
    }

    /// Appends one input's address id in the stored form.
    @inline(__always) static func append(_ addressId: Int64?, to blob: inout [UInt8]) {
        let a = addressId.map { UInt32(truncatingIfNeeded: $0) } ?? noAddress
        withUnsafeBytes(of: a.littleEndian) { blob.append(contentsOf: $0) }
    }

    /// One row as the wide tables describe it now (nil when the transaction is not stored).
    struct Row: Equatable, CustomStringConvertible {
        var txId: Int64
        var blockId: Int64?
        var position: Int64?
        var flags: Int64
        var addresses: [UInt8]
        var description: String {
            let ids = stride(from: 0, to: addresses.count - addresses.count % 4, by: 4).map { k -> String in
                let v = UInt32(addresses[k]) | UInt32(addresses[k + 1]) << 8 | UInt32(addresses[k + 2]) << 16 | UInt32(addresses[k + 3]) << 24
                return v == noAddress ? "-" : String(v)
            }
            return "tx \(txId) block \(blockId.map(String.init) ?? "-") position \(position.map(String.init) ?? "-") flags \(flags) inputs [\(ids.joined(separator: ","))]"
        }
    }

    static func derive(_ db: Database, txId: Int64) throws -> Row? {
        let tx = try RawStatement(db, "SELECT blockId, position, isCoinbase FROM tx WHERE id = ?")
        tx.bind(1, txId)
        guard try tx.step() else { tx.reset(); return nil }
        let blockId = tx.optionalInt64(0), position = tx.optionalInt64(1), coinbase = tx.int64(2) != 0
        tx.reset()
        var blob: [UInt8] = []
        let ins = try RawStatement(db, "SELECT addressId FROM input WHERE txId = ? ORDER BY n")
        ins.bind(1, txId)
        while try ins.step() { append(ins.optionalInt64(0), to: &blob) }
        ins.reset()
        var values: [Int64] = []
        let outs = try RawStatement(db, "SELECT value FROM output WHERE txId = ? ORDER BY n")
        outs.bind(1, txId)
        while try outs.step() { values.append(outs.int64(0)) }
        outs.reset()
        return Row(txId: txId, blockId: blockId, position: position,
                   flags: Int64(flags(isCoinbase: coinbase, outputValues: values)), addresses: blob)
    }

    /// Rewrites the rows of these transactions from the wide tables (deleting those of transactions no longer
    /// stored). For the rare paths: inputs resolved after their transaction was written, reorgs, fetches.
    static func rebuild(_ db: Database, txIds: some Sequence<Int64>) throws {
        let upsert = try RawStatement(db, """
            INSERT OR REPLACE INTO clusterInput(txId, blockId, position, flags, addresses) VALUES (?, ?, ?, ?, ?)
            """)
        let delete = try RawStatement(db, "DELETE FROM clusterInput WHERE txId = ?")
        for id in txIds {
            guard let row = try derive(db, txId: id) else {
                delete.bind(1, id)
                try delete.run()
                continue
            }
            upsert.bind(1, row.txId); upsert.bind(2, row.blockId); upsert.bind(3, row.position); upsert.bind(4, row.flags)
            try row.addresses.withUnsafeBytes { b in
                upsert.bind(5, borrowed: b)
                try upsert.run()
            }
        }
    }

    /// Fills the table for every stored transaction in three sequential scans (tx, input, output), for
    /// databases made before it existed.
    static func backfill(_ db: Database) throws {
        var ids: [Int64] = [], blocks: [Int64?] = [], positions: [Int64?] = [], coinbase: [Bool] = []
        var inputCounts: [Int] = [], outputCounts: [Int] = []
        let txs = try RawStatement(db, "SELECT id, blockId, position, isCoinbase, inputCount, outputCount FROM tx ORDER BY id")
        while try txs.step() {
            ids.append(txs.int64(0)); blocks.append(txs.optionalInt64(1)); positions.append(txs.optionalInt64(2))
            coinbase.append(txs.int64(3) != 0); inputCounts.append(Int(max(0, txs.int64(4)))); outputCounts.append(Int(max(0, txs.int64(5))))
        }
        txs.reset()
        guard let minId = ids.first, let maxId = ids.last else { return }
        var slot = [Int32](repeating: -1, count: Int(maxId - minId + 1))
        var inStart = [Int](repeating: 0, count: ids.count + 1), outStart = [Int](repeating: 0, count: ids.count + 1)
        for t in ids.indices {
            slot[Int(ids[t] - minId)] = Int32(t)  // Cast ok: fewer than 2^31 transactions.
            inStart[t + 1] = inStart[t] + inputCounts[t]
            outStart[t + 1] = outStart[t] + outputCounts[t]
        }
        var addresses = [UInt32](repeating: noAddress, count: inStart[ids.count])
        // No WHERE clause: a filter on addressId could make SQLite walk the input_address index (random reads).
        let ins = try RawStatement(db, "SELECT txId, n, addressId FROM input")
        while try ins.step() {
            guard !ins.isNull(2) else { continue }
            let k = ins.int64(0) - minId, n = ins.int64(1)
            guard k >= 0, k < Int64(slot.count), slot[Int(k)] >= 0 else { continue }
            let t = Int(slot[Int(k)])
            guard n >= 0, n < Int64(inputCounts[t]) else {
                throw StoreError.badData("an input of transaction \(ins.int64(0)) has n = \(n), beyond its input count", at: nil)
            }
            addresses[inStart[t] + Int(n)] = UInt32(truncatingIfNeeded: ins.int64(2))
        }
        ins.reset()
        var values = [Int64](repeating: 0, count: outStart[ids.count])
        let outs = try RawStatement(db, "SELECT txId, n, value FROM output")
        while try outs.step() {
            let k = outs.int64(0) - minId, n = outs.int64(1)
            guard k >= 0, k < Int64(slot.count), slot[Int(k)] >= 0 else { continue }
            let t = Int(slot[Int(k)])
            guard n >= 0, n < Int64(outputCounts[t]) else {
                throw StoreError.badData("an output of transaction \(outs.int64(0)) has n = \(n), beyond its output count", at: nil)
            }
            values[outStart[t] + Int(n)] = outs.int64(2)
        }
        outs.reset()
        let insert = try RawStatement(db, "INSERT INTO clusterInput(txId, blockId, position, flags, addresses) VALUES (?, ?, ?, ?, ?)")
        for t in ids.indices {
            insert.bind(1, ids[t]); insert.bind(2, blocks[t]); insert.bind(3, positions[t])
            insert.bind(4, Int64(flags(isCoinbase: coinbase[t], outputValues: values[outStart[t]..<outStart[t + 1]])))
            try addresses[inStart[t]..<inStart[t + 1]].withUnsafeBytes { b in
                insert.bind(5, borrowed: b)
                try insert.run()
            }
        }
    }

    /// Rows that differ from what the wide tables say now (stored row, expected row), plus rows of
    /// transactions that are gone. Empty when the table is consistent. Reads everything: for tests and checks.
    public static func mismatches(_ db: Database) throws -> [String] {
        var problems: [String] = []
        var stored: [Int64: Row] = [:]
        let rows = try RawStatement(db, "SELECT txId, blockId, position, flags, addresses FROM clusterInput")
        while try rows.step() {
            stored[rows.int64(0)] = Row(txId: rows.int64(0), blockId: rows.optionalInt64(1), position: rows.optionalInt64(2),
                                        flags: rows.int64(3), addresses: rows.blob(4))
        }
        rows.reset()
        for id in try Int64.fetchAll(db, sql: "SELECT id FROM tx ORDER BY id") {
            let expected = try derive(db, txId: id)
            let have = stored.removeValue(forKey: id)
            if have != expected {
                problems.append("stored \(have.map(\.description) ?? "nothing"), expected \(expected.map(\.description) ?? "nothing")")
            }
        }
        for (_, row) in stored.sorted(by: { $0.key < $1.key }) { problems.append("stored \(row) for a transaction not stored") }
        return problems
    }
}

/// What the co-spend loader read: the transactions in chain order and what a run records about them.
public struct LoadedCospends {
    public var batch: CospendBatch
    /// One past the largest address id.
    public var addressBound: Int
    /// Chain position of the last transaction loaded (nil when none was).
    public var lastPosition: ChainPosition?
    /// Sum of the loaded transaction ids (the incremental run's check that the chain only grew).
    public var idSum: Int64
}

extension ClusterStore {
    /// Bytes of the database file the named tables and indexes occupy (SQLite's dbstat: whole pages).
    public static func storedBytes(_ db: Database, of names: [String]) throws -> Int64 {
        let list = names.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ",")
        return try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN (\(list))") ?? 0
    }

    /// Loads the co-spend view of every best-chain (and loose) transaction in chain order, optionally only those
    /// after `after`, from the narrow `clusterInput` table: one sequential scan, plus index lookups of the full
    /// columns of the CoinJoin candidates when `candidates` is true (profiles with CoinJoin exclusions).
    public static func loadCospends(_ db: Database, after: ChainPosition? = nil, candidates: Bool = true) throws -> LoadedCospends {
        let maxBlock = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM block") ?? 0
        var heightOfBlock = [Int64](repeating: -1, count: Int(max(0, maxBlock)) + 1)
        let blocks = try RawStatement(db, "SELECT id, height FROM block WHERE inBestChain = 1")
        while try blocks.step() {
            let id = blocks.int64(0)
            if id >= 0 && id < Int64(heightOfBlock.count) { heightOfBlock[Int(id)] = blocks.int64(1) }
        }
        blocks.reset()
        let heights = heightOfBlock
        let maxAddress = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address") ?? -1
        let bound = Int(max(0, maxAddress + 1))
        // Chain order packed in 64 bits: height, position; loose transactions after every block, by id.
        @inline(__always) func key(height: Int64, position: Int64) -> UInt64 { UInt64(height) << 32 | UInt64(truncatingIfNeeded: position) }
        let afterKey = after.map { $0.height == Int64.max ? (0xFFFF_FFFF << 32) | UInt64(truncatingIfNeeded: $0.position)
                                                          : key(height: $0.height, position: $0.position) }

        var txIDs: [UInt32] = [], flags: [UInt8] = [], keys: [UInt64] = [], starts: [Int] = [0], addresses: [UInt32] = []
        let rows = try RawStatement(db, "SELECT txId, blockId, position, flags, addresses FROM clusterInput ORDER BY txId")
        var sorted = true, last: UInt64 = 0
        while try rows.step() {
            let id = rows.int64(0)
            let k: UInt64
            if rows.isNull(1) {
                k = (0xFFFF_FFFF << 32) | UInt64(truncatingIfNeeded: id)
            } else {
                let b = rows.int64(1)
                guard b >= 0 && b < Int64(heights.count), heights[Int(b)] >= 0 else { continue }  // stale block
                k = key(height: heights[Int(b)], position: rows.int64(2))
            }
            if let afterKey, k <= afterKey { continue }
            if !txIDs.isEmpty && k < last { sorted = false }
            last = k
            let bytes = rows.blobBytes(4)
            guard bytes.count % 4 == 0 else {
                throw StoreError.badData("clusterInput row of transaction \(id) holds \(bytes.count) address bytes, not a multiple of 4", at: nil)
            }
            txIDs.append(UInt32(truncatingIfNeeded: id)); flags.append(UInt8(truncatingIfNeeded: rows.int64(3))); keys.append(k)
            let n = bytes.count / 4, at = addresses.count
            addresses.append(contentsOf: repeatElement(ClusterInputs.noAddress, count: n))
            if n > 0 {
                addresses.withUnsafeMutableBytes { $0.baseAddress!.advanced(by: at * 4).copyMemory(from: bytes.baseAddress!, byteCount: n * 4) }
            }
            starts.append(addresses.count)
        }
        rows.reset()
        #if _endian(big)
        for i in addresses.indices { addresses[i] = UInt32(littleEndian: addresses[i]) }
        #endif
        for a in addresses where a != ClusterInputs.noAddress && Int(a) >= bound {
            throw StoreError.badData("clusterInput names address \(a), but the largest address id is \(maxAddress)", at: nil)
        }
        if !sorted {
            // Only after a reorg or a confirmed loose transaction: ids no longer follow chain order.
            let order = keys.indices.sorted { keys[$0] < keys[$1] }
            var newStarts = [0], newAddresses: [UInt32] = []
            newAddresses.reserveCapacity(addresses.count)
            for t in order {
                newAddresses.append(contentsOf: addresses[starts[t]..<starts[t + 1]])
                newStarts.append(newAddresses.count)
            }
            txIDs = order.map { txIDs[$0] }; flags = order.map { flags[$0] }; keys = order.map { keys[$0] }
            starts = newStarts; addresses = newAddresses
        }

        let full = TransactionBatch()
        if candidates {
            let txRow = try RawStatement(db, "SELECT version, lockTime FROM tx WHERE id = ?")
            let ins = try RawStatement(db, """
                SELECT i.addressId, i.value, i.sequence, a.scriptKind FROM input i LEFT JOIN address a ON a.id = i.addressId
                WHERE i.txId = ? ORDER BY i.n
                """)
            let outs = try RawStatement(db, "SELECT addressId, value, scriptKind FROM output WHERE txId = ? ORDER BY n")
            for t in txIDs.indices where CospendBatch.isCandidate(flags: flags[t], inputCount: starts[t + 1] - starts[t]) {
                let id = Int64(txIDs[t])
                txRow.bind(1, id)
                guard try txRow.step() else {
                    txRow.reset()
                    throw StoreError.badData("clusterInput names transaction \(id), which is not stored", at: nil)
                }
                full.beginTransaction(id: TxID(txIDs[t]), version: Int32(truncatingIfNeeded: txRow.int64(0)),
                                      lockTime: UInt32(truncatingIfNeeded: txRow.int64(1)), isCoinbase: false)
                txRow.reset()
                ins.bind(1, id)
                while try ins.step() {
                    full.appendInput(address: ins.optionalInt64(0).map { UInt32(truncatingIfNeeded: $0) } ?? ClusterInputs.noAddress,
                                     value: ins.optionalInt64(1) ?? 0, kind: UInt8(truncatingIfNeeded: ins.optionalInt64(3) ?? 0),
                                     sequence: UInt32(truncatingIfNeeded: ins.int64(2)))
                }
                ins.reset()
                outs.bind(1, id)
                while try outs.step() {
                    full.appendOutput(address: outs.optionalInt64(0).map { UInt32(truncatingIfNeeded: $0) } ?? ClusterInputs.noAddress,
                                      value: outs.int64(1), kind: UInt8(truncatingIfNeeded: outs.int64(2)), spender: 0)
                }
                outs.reset()
            }
        }
        let batch: CospendBatch
        do {
            batch = try CospendBatch(txIDs: txIDs, flags: flags, inputStart: starts, inputAddress: addresses,
                                     candidates: full, addressBound: bound)
        } catch {
            throw StoreError.badData("clusterInput disagrees with the chain tables: \(error); run spoor ingest to rebuild", at: nil)
        }
        let lastPosition = keys.last.map { k -> ChainPosition in
            k >> 32 == 0xFFFF_FFFF ? ChainPosition(height: Int64.max, position: Int64(k & 0xFFFF_FFFF))
                                   : ChainPosition(height: Int64(k >> 32), position: Int64(k & 0xFFFF_FFFF))
        }
        let idSum = txIDs.reduce(Int64(0)) { $0 &+ Int64($1) }
        return LoadedCospends(batch: batch, addressBound: bound, lastPosition: lastPosition, idSum: idSum)
    }
}
