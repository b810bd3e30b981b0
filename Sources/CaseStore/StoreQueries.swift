import BitcoinAddresses
import BitcoinPrimitives
import GRDB

/// Counts and totals of a case database (`spoor stats`).
public struct StoreStats: Sendable, Codable, Equatable {
    public var network: String?
    public var blocks: Int
    public var bestHeight: Int?
    public var tip: BlockHash?
    public var transactions: Int
    public var inputs: Int
    public var outputs: Int
    public var addresses: Int
    public var unresolvedInputs: Int
    public var totalFeesSat: Int64
    public var dbBytes: Int64

    enum CodingKeys: String, CodingKey {
        case network, blocks, bestHeight = "best_height", tip, transactions, inputs, outputs, addresses
        case unresolvedInputs = "unresolved_inputs", totalFeesSat = "total_fees_sat", dbBytes = "db_bytes"
    }
}

/// Where a transaction sits: its block, or nowhere (loose).
public struct TxPlacement: Sendable, Codable, Equatable {
    public var blockHash: BlockHash
    public var height: Int?
    public var time: Int64
    public var position: Int

    enum CodingKeys: String, CodingKey { case blockHash = "block_hash", height, time, position }
}

/// A reference to an input or output of a stored transaction.
public struct TxPointer: Sendable, Codable, Equatable {
    public var txid: Txid
    public var index: Int
}

public struct InputDetail: Sendable, Codable, Equatable {
    public var n: Int
    public var coinbase: Bool
    /// The outpoint the input names.
    public var prevout: TxPointer?
    public var value: Int64?
    public var address: String?
    /// True when the spent output is stored (the input is linked to it).
    public var resolved: Bool
}

public struct OutputDetail: Sendable, Codable, Equatable {
    public var n: Int
    public var value: Int64
    public var scriptKind: String
    public var address: String?
    /// The input that spends it, when stored.
    public var spentBy: TxPointer?
    /// A later coinbase with the same txid overwrote it (BIP30): it no longer exists and cannot be spent.
    public var overwritten: Bool = false

    enum CodingKeys: String, CodingKey {
        case n, value, scriptKind = "script_kind", address, spentBy = "spent_by", overwritten
    }
}

/// Everything `spoor tx` shows about one stored transaction.
public struct TxDetail: Sendable, Codable, Equatable {
    public var txid: Txid
    public var block: TxPlacement?
    public var isCoinbase: Bool
    public var version: Int32
    public var lockTime: UInt32
    public var size: Int
    public var weight: Int
    public var fee: Int64?
    public var inputs: [InputDetail]
    public var outputs: [OutputDetail]

    enum CodingKeys: String, CodingKey {
        case txid, block, isCoinbase = "is_coinbase", version, lockTime = "locktime", size, weight, fee
        case inputs, outputs
    }
}

/// One point of an address's activity.
public struct Sighting: Sendable, Codable, Equatable {
    public var txid: Txid
    public var height: Int?
    public var time: Int64?
}

/// What `spoor address` shows.
public struct AddressSummary: Sendable, Codable, Equatable {
    public var address: String
    public var scriptKind: String
    public var receivedSat: Int64
    public var sentSat: Int64
    public var balanceSat: Int64
    public var outputs: Int
    public var spentOutputs: Int
    public var transactions: Int
    public var firstSeen: Sighting?
    public var lastSeen: Sighting?

    enum CodingKeys: String, CodingKey {
        case address, scriptKind = "script_kind", receivedSat = "received_sat", sentSat = "sent_sat"
        case balanceSat = "balance_sat", outputs, spentOutputs = "spent_outputs", transactions
        case firstSeen = "first_seen", lastSeen = "last_seen"
    }
}

/// Read queries over a case database, shared by the commands and the tests.
public enum StoreQueries {
    /// Address ids of address strings (absent ones are left out).
    public static func addressIDs(_ addresses: [String], _ db: Database) throws -> [String: Int] {
        var result: [String: Int] = [:]
        for a in Set(addresses) {
            if let id = try ClusterRunStore.addressID(db, text: a) { result[a] = Int(id) }
        }
        return result
    }

    /// Address strings of ids.
    public static func addressStrings(_ ids: [Int], _ db: Database) throws -> [Int: String] {
        var result: [Int: String] = [:]
        let statement = try db.makeStatement(sql: "SELECT address FROM address WHERE id = ?")
        for id in Set(ids) where id >= 0 {
            if let s = try String.fetchOne(statement, arguments: [id]) { result[id] = s }
        }
        return result
    }

    public static func unresolvedInputCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM input WHERE \(Schema.unresolvedInput)
            """) ?? 0
    }

    public static func stats(_ database: CaseDatabase) throws -> StoreStats {
        let bytes = database.fileBytes
        return try database.read { db in
            let tipRow = try Row.fetchOne(db, sql: """
                SELECT hash, height FROM block WHERE inBestChain = 1 AND height IS NOT NULL
                ORDER BY height DESC LIMIT 1
                """)
            let tip = tipRow.flatMap { $0.digest("hash") }.map(BlockHash.init(digest:))
            return StoreStats(
                network: try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'network'"),
                blocks: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block WHERE inBestChain = 1") ?? 0,
                bestHeight: tipRow?["height"],
                tip: tip,
                transactions: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tx") ?? 0,
                inputs: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM input") ?? 0,
                outputs: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM output") ?? 0,
                addresses: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM address") ?? 0,
                unresolvedInputs: try unresolvedInputCount(db),
                totalFeesSat: try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(fee), 0) FROM tx") ?? 0,
                dbBytes: bytes)
        }
    }

    /// The unspent outputs of the stored best chain as Bitcoin Core's UTXO set counts them (`gettxoutsetinfo`'s
    /// `txouts` and `total_amount`): outputs of best-chain transactions that no best-chain transaction spends,
    /// without the provably unspendable ones Core never adds (scripts starting with OP_RETURN or longer than
    /// 10,000 bytes), the genesis coinbase Core never adds, and outputs a later BIP30 duplicate coinbase
    /// overwrote (`Schema.overwrittenSpender`). A full scan of the outputs: `spoor stats --utxo` only.
    public static func unspentOutputs(_ database: CaseDatabase) throws -> (count: Int, sat: Int64) {
        try database.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, COALESCE(SUM(o.value), 0) AS sat
                FROM output o JOIN tx t ON t.id = o.txId JOIN block b ON b.id = t.blockId
                WHERE b.inBestChain = 1 AND b.height > 0
                  AND (o.spentByInputId IS NULL OR (o.spentByInputId <> \(Schema.overwrittenSpender) AND NOT EXISTS (
                        SELECT 1 FROM input i JOIN tx st ON st.id = i.txId
                        WHERE i.id = o.spentByInputId AND st.blockId IS NOT NULL)))
                  AND NOT (length(o.script) > 0 AND (substr(o.script, 1, 1) = x'6a' OR length(o.script) > 10000))
                """)
            return (row?["n"] ?? 0, row?["sat"] ?? 0)
        }
    }

    /// The height of the stored best chain's tip; nil when no block with a height is stored.
    public static func bestHeight(_ database: CaseDatabase) throws -> Int? {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT MAX(height) FROM block WHERE inBestChain = 1")
        }
    }

    /// The height of the lowest stored best-chain block (above 0 for a database ingested from a later height).
    public static func lowestHeight(_ database: CaseDatabase) throws -> Int? {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT MIN(height) FROM block WHERE inBestChain = 1")
        }
    }

    /// The stored best-chain block hash at each of these heights that has one (a follow-up ingest from a node
    /// compares them with the node's to find where the two chains part).
    public static func bestChainHashes(_ heights: [Int], in database: CaseDatabase) throws -> [Int: BlockHash] {
        guard let low = heights.min(), let high = heights.max() else { return [:] }
        return try database.read { db in
            var out: [Int: BlockHash] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT height, hash FROM block WHERE inBestChain = 1 AND height BETWEEN ? AND ?
                """, arguments: [low, high])
            let wanted = Set(heights)
            for row in rows {
                let height: Int = row["height"]
                if wanted.contains(height), let d = row.digest("hash") { out[height] = BlockHash(digest: d) }
            }
            return out
        }
    }

    /// Every stored transaction with this txid (two for the BIP30 duplicate coinbases), best chain first.
    public static func transactions(_ txid: Txid, in database: CaseDatabase) throws -> [TxDetail] {
        try database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.*, b.hash AS blockHash, b.height AS height, b.time AS blockTime FROM tx t
                LEFT JOIN block b ON b.id = t.blockId WHERE \(Schema.txidMatches("t.txid", "?1")) ORDER BY t.id DESC
                """, arguments: [txid.digest.data])
            return try rows.map { try detail($0, txid: txid, db) }
        }
    }

    private static func detail(_ row: Row, txid: Txid, _ db: Database) throws -> TxDetail {
        let txId: Int64 = row["id"]
        var placement: TxPlacement?
        if let d = row.digest("blockHash") {
            placement = TxPlacement(blockHash: BlockHash(digest: d), height: row["height"], time: row["blockTime"],
                                    position: row["position"])
        }
        let inputs = try Row.fetchAll(db, sql: """
            SELECT i.n, \(InputPrevTxid.column(input: "i")) AS prevTxid, i.prevVout, i.value, i.spentOutputId,
                   a.address FROM input i \(InputPrevTxid.joins(input: "i"))
            LEFT JOIN address a ON a.id = i.addressId WHERE i.txId = ? ORDER BY i.n
            """, arguments: [txId]).map { r -> InputDetail in
            let vout: Int64 = r["prevVout"]
            let coinbase = vout == Schema.coinbaseVout
            let prev = r.digest("prevTxid").map(Txid.init(digest:))
            return InputDetail(n: r["n"], coinbase: coinbase,
                               prevout: coinbase ? nil : prev.map { TxPointer(txid: $0, index: Int(vout)) },
                               value: r["value"], address: r["address"],
                               resolved: (r["spentOutputId"] as Int64?) != nil)
        }
        let outputs = try Row.fetchAll(db, sql: """
            SELECT o.n, o.value, o.scriptKind, a.address, st.txid AS spenderTxid, si.n AS spenderN,
                   o.spentByInputId = \(Schema.overwrittenSpender) AS overwritten FROM output o
            LEFT JOIN address a ON a.id = o.addressId
            LEFT JOIN input si ON si.id = o.spentByInputId
            LEFT JOIN tx st ON st.id = si.txId
            WHERE o.txId = ? ORDER BY o.n
            """, arguments: [txId]).map { r -> OutputDetail in
            var spender: TxPointer?
            if let d = r.digest("spenderTxid") {
                spender = TxPointer(txid: Txid(digest: d), index: r["spenderN"])
            }
            let kind = ScriptKind(code: UInt8(truncatingIfNeeded: r["scriptKind"] as Int64)) ?? .nonstandard
            return OutputDetail(n: r["n"], value: r["value"], scriptKind: kind.rawValue, address: r["address"],
                                spentBy: spender, overwritten: (r["overwritten"] as Bool?) ?? false)
        }
        return TxDetail(txid: txid, block: placement, isCoinbase: (row["isCoinbase"] as Int64) != 0,
                        version: Int32(truncatingIfNeeded: row["version"] as Int64),
                        lockTime: UInt32(truncatingIfNeeded: row["lockTime"] as Int64),
                        size: row["size"], weight: row["weight"], fee: row["fee"], inputs: inputs, outputs: outputs)
    }

    /// Activity of one address; nil when the database never saw it.
    public static func address(_ text: String, in database: CaseDatabase) throws -> AddressSummary? {
        try database.read { db in
            guard let a = try Row.fetchOne(db, sql: """
                SELECT id, scriptKind FROM address WHERE \(Schema.addressMatches("address", "?1"))
                """, arguments: [text]) else { return nil }
            let id: Int64 = a["id"]
            let totals = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS n, COALESCE(SUM(value), 0) AS received,
                       COALESCE(SUM(CASE WHEN spentByInputId IS NOT NULL THEN value END), 0) AS sent,
                       COUNT(spentByInputId) AS spent
                FROM output WHERE addressId = ?
                """, arguments: [id])
            // Transactions that pay the address or spend from it, ordered the analysis way.
            let activity = try Row.fetchAll(db, sql: """
                SELECT t.id, t.txid, b.height, b.time FROM tx t LEFT JOIN block b ON b.id = t.blockId
                WHERE t.id IN (SELECT txId FROM output WHERE addressId = ?1 UNION SELECT txId FROM input WHERE addressId = ?1)
                ORDER BY t.blockId IS NULL, b.height, t.position, t.id
                """, arguments: [id])
            func sighting(_ r: Row?) -> Sighting? {
                guard let r, let d = r.digest("txid") else { return nil }
                return Sighting(txid: Txid(digest: d), height: r["height"], time: r["time"])
            }
            let received: Int64 = totals?["received"] ?? 0
            let sent: Int64 = totals?["sent"] ?? 0
            let kind = ScriptKind(code: UInt8(truncatingIfNeeded: a["scriptKind"] as Int64)) ?? .nonstandard
            return AddressSummary(address: text, scriptKind: kind.rawValue, receivedSat: received, sentSat: sent,
                                  balanceSat: received - sent, outputs: totals?["n"] ?? 0,
                                  spentOutputs: totals?["spent"] ?? 0, transactions: activity.count,
                                  firstSeen: sighting(activity.first), lastSeen: sighting(activity.last))
        }
    }
}
