import Foundation
import GRDB
import GRDBSQLite

/// Migrations "v6-cluster-inputs" and "v7-cluster-input-details" as they shipped, frozen: they create and fill
/// the narrow clustering input (`ClusterInputs.swift` describes the table) with code of their own and call no
/// other code of Spoor's, so what an old migration does never changes when the live rules change (GRDB's rule:
/// a migration uses no application code). The flags, the candidate test and the byte layouts below are the ones
/// of 2026-11; the live write paths (`ClusterInputs.rebuild`, the ingest) follow `CospendIndex`, and a change to
/// those rules comes with a migration of its own that rebuilds the table.
enum ClusterInputMigrations {
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
            try backfillV6(db)
        }
        m.registerMigration("v7-cluster-input-details") { db in
            try db.execute(sql: "ALTER TABLE clusterInput ADD COLUMN details BLOB")
            // Only the candidates carry details: fill theirs from the chain tables.
            let candidates = try Int64.fetchAll(db, sql: """
                SELECT txId FROM clusterInput WHERE flags & 3 = 2 AND length(addresses) >= 8 ORDER BY txId
                """)
            try rewriteV7(db, txIds: candidates)
        }
    }

    /// v6's input address that pays nothing, and its flags: 1 coinbase, 2 two outputs of equal value.
    private static let noAddressV6 = UInt32.max
    private static func flagsV6(isCoinbase: Bool, outputValues: some Sequence<Int64>) -> Int64 {
        var seen = Set<Int64>()
        let equal = outputValues.contains { !seen.insert($0).inserted }
        return (isCoinbase ? 1 : 0) | (equal ? 2 : 0)
    }

    /// Fills the table for every stored transaction in three sequential scans (tx, input, output).
    private static func backfillV6(_ db: Database) throws {
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
        func row(_ txId: Int64, _ n: Int64, counts: [Int], kind: String) throws -> Int? {
            let k = txId - minId
            guard k >= 0, k < Int64(slot.count), slot[Int(k)] >= 0 else { return nil }
            let t = Int(slot[Int(k)])
            guard n >= 0, n < Int64(counts[t]) else {
                throw StoreError.badData("an \(kind) of transaction \(txId) has n = \(n), beyond its \(kind) count", at: nil)
            }
            return t
        }
        var addresses = [UInt32](repeating: noAddressV6, count: inStart[ids.count])
        // No WHERE clause: a filter on addressId could make SQLite walk the input_address index (random reads).
        let ins = try RawStatement(db, "SELECT txId, n, addressId FROM input")
        while try ins.step() {
            guard !ins.isNull(2), let t = try row(ins.int64(0), ins.int64(1), counts: inputCounts, kind: "input") else { continue }
            addresses[inStart[t] + Int(ins.int64(1))] = UInt32(truncatingIfNeeded: ins.int64(2))
        }
        ins.reset()
        var values = [Int64](repeating: 0, count: outStart[ids.count])
        let outs = try RawStatement(db, "SELECT txId, n, value FROM output")
        while try outs.step() {
            guard let t = try row(outs.int64(0), outs.int64(1), counts: outputCounts, kind: "output") else { continue }
            values[outStart[t] + Int(outs.int64(1))] = outs.int64(2)
        }
        outs.reset()
        let insert = try RawStatement(db, "INSERT INTO clusterInput(txId, blockId, position, flags, addresses) VALUES (?, ?, ?, ?, ?)")
        for t in ids.indices {
            insert.bind(1, ids[t]); insert.bind(2, blocks[t]); insert.bind(3, positions[t])
            insert.bind(4, flagsV6(isCoinbase: coinbase[t], outputValues: values[outStart[t]..<outStart[t + 1]]))
            try addresses[inStart[t]..<inStart[t + 1]].map(\.littleEndian).withUnsafeBytes { b in
                insert.bind(5, borrowed: b)
                try insert.run()
            }
        }
    }

    /// Rewrites the rows of these transactions from the chain tables, a CoinJoin candidate's (not a coinbase,
    /// two or more inputs, equal outputs) with its details: version i32, lock time u32, output count u32, per
    /// input value i64, sequence u32, script kind u8, per output value i64, address id u32, script kind u8, all
    /// little endian. A transaction no longer stored loses its row.
    private static func rewriteV7(_ db: Database, txIds: [Int64]) throws {
        let upsert = try RawStatement(db, """
            INSERT OR REPLACE INTO clusterInput(txId, blockId, position, flags, addresses, details) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for id in txIds {
            guard let tx = try Row.fetchOne(db, sql: "SELECT blockId, position, isCoinbase, version, lockTime FROM tx WHERE id = ?",
                                            arguments: [id]) else {
                try db.execute(sql: "DELETE FROM clusterInput WHERE txId = ?", arguments: [id])
                continue
            }
            let inputs = try Row.fetchAll(db, sql: """
                SELECT i.addressId, i.value, i.sequence, a.scriptKind FROM input i LEFT JOIN address a ON a.id = i.addressId
                WHERE i.txId = ? ORDER BY i.n
                """, arguments: [id])
            let outputs = try Row.fetchAll(db, sql: "SELECT value, addressId, scriptKind FROM output WHERE txId = ? ORDER BY n",
                                           arguments: [id])
            var addresses = LittleEndianBytes()
            for i in inputs { addresses.u32((i[0] as Int64?).map { UInt32(truncatingIfNeeded: $0) } ?? noAddressV6) }
            let flags = flagsV6(isCoinbase: (tx[2] as Int64) != 0, outputValues: outputs.map { $0[0] as Int64 })
            var details: LittleEndianBytes?
            if flags & 3 == 2 && inputs.count >= 2 {
                var d = LittleEndianBytes()
                d.u32(UInt32(truncatingIfNeeded: tx[3] as Int64)); d.u32(UInt32(truncatingIfNeeded: tx[4] as Int64))
                d.u32(UInt32(truncatingIfNeeded: outputs.count))
                for i in inputs {
                    d.i64((i[1] as Int64?) ?? 0); d.u32(UInt32(truncatingIfNeeded: i[2] as Int64))
                    d.bytes.append(UInt8(truncatingIfNeeded: (i[3] as Int64?) ?? 0))
                }
                for o in outputs {
                    d.i64(o[0]); d.u32((o[1] as Int64?).map { UInt32(truncatingIfNeeded: $0) } ?? noAddressV6)
                    d.bytes.append(UInt8(truncatingIfNeeded: o[2] as Int64))
                }
                details = d
            }
            upsert.bind(1, id); upsert.bind(2, tx[0] as Int64?); upsert.bind(3, tx[1] as Int64?); upsert.bind(4, flags)
            if let details { upsert.bind(6, copying: details.bytes) } else { upsert.bindNull(6) }
            upsert.bind(5, copying: addresses.bytes)
            try upsert.run()
        }
    }

    /// Bytes written little endian, whatever the machine.
    private struct LittleEndianBytes {
        var bytes: [UInt8] = []
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    }
}
