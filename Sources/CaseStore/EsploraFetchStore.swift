import BitcoinAddresses
import BitcoinPrimitives
import ChainSources
import Foundation
import GRDB

/// The tables a fetch adds: its frontier (so an interrupted `spoor fetch` resumes) and the partial blocks it
/// stores (blocks of which only the fetched transactions are held).
enum FetchSchema {
    static func register(in m: inout DatabaseMigrator) {
        m.registerMigration("v4-fetch") { db in
            try db.execute(sql: """
                CREATE TABLE fetch_frontier (
                    id INTEGER PRIMARY KEY,
                    address TEXT UNIQUE,
                    txid BLOB UNIQUE,
                    hop INTEGER NOT NULL,
                    visited INTEGER NOT NULL DEFAULT 0,
                    expanded INTEGER NOT NULL DEFAULT 0,
                    cursor BLOB,
                    info BLOB,
                    CHECK ((address IS NULL) <> (txid IS NULL))
                );
                CREATE INDEX fetch_frontier_open ON fetch_frontier(hop, id) WHERE visited = 0 OR expanded = 0;
                CREATE TABLE partial_block (
                    blockId INTEGER PRIMARY KEY,
                    fullTxCount INTEGER NOT NULL
                );
                """)
        }
    }
}

/// The case database as the frontier of an Esplora crawl. The crawl's transactions are not written here: the
/// crawler is a chain source, and `spoor fetch` ingests it (`Ingestor`), so fetched transactions go through the
/// same staging, prevout resolution and fees as every other source's. Their blocks are partial blocks: listed in
/// `partial_block` with the whole block's transaction count while `block.txCount` counts the stored ones, until
/// an ingest brings the whole block (IngestState+PartialBlocks.swift).
public final class CaseEsploraFetchStore: EsploraFetchStore {
    public let database: CaseDatabase
    public let network: Network

    public init(database: CaseDatabase, network: Network) throws {
        if let stored = try database.network(), stored != network {
            throw StoreError.networkMismatch(database: stored.rawValue, source: network.rawValue)
        }
        self.database = database
        self.network = network
    }

    // MARK: frontier

    public func enqueue(_ item: FetchItem, hop: Int, info: [UInt8]?) throws {
        try database.write { db in
            let (column, value) = Self.key(item)
            let infoData = info.map { Data($0) }
            if let row = try Row.fetchOne(db, sql: "SELECT id, hop FROM fetch_frontier WHERE \(column) = ?",
                                          arguments: [value]) {
                let known: Int = row["hop"]
                if let infoData {
                    try db.execute(sql: "UPDATE fetch_frontier SET info = ? WHERE id = ? AND visited = 0 AND info IS NULL",
                                   arguments: [infoData, row["id"] as Int64])
                }
                if hop < known {
                    try db.execute(sql: "UPDATE fetch_frontier SET hop = ?, visited = 0, expanded = 0 WHERE id = ?",
                                   arguments: [hop, row["id"] as Int64])
                }
                return
            }
            try db.execute(sql: "INSERT INTO fetch_frontier(\(column), hop, info) VALUES (?, ?, ?)",
                           arguments: [value, hop, infoData])
        }
    }

    private static func key(_ item: FetchItem) -> (String, DatabaseValueConvertible) {
        switch item {
        case .address(let a): return ("address", a)
        case .transaction(let t): return ("txid", t.digest.data)
        }
    }

    public func nextTask(maxHops: Int) throws -> FetchTask? {
        try database.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT address, txid, hop, cursor, info FROM fetch_frontier
                WHERE hop <= ?1 AND (visited = 0 OR (expanded = 0 AND hop < ?1))
                ORDER BY hop, id LIMIT 1
                """, arguments: [maxHops]) else { return nil }
            let cursor = row.digest("cursor").map { Txid(digest: $0) }
            if let address = row["address"] as String? {
                return FetchTask(item: .address(address), hop: row["hop"], cursor: cursor)
            }
            guard let digest = row.digest("txid") else {
                throw StoreError.badData("fetch_frontier holds a row with neither an address nor a txid", at: nil)
            }
            let info = (row["info"] as Data?).map { [UInt8]($0) }
            return FetchTask(item: .transaction(Txid(digest: digest)), hop: row["hop"], cursor: nil, info: info)
        }
    }

    public func reopen(_ address: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE fetch_frontier SET visited = 0, cursor = NULL WHERE address = ?",
                           arguments: [address])
        }
    }

    public func saveCursor(_ address: String, after: Txid) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE fetch_frontier SET cursor = ? WHERE address = ?",
                           arguments: [after.digest.data, address])
        }
    }

    public func finish(_ item: FetchItem, expanded: Bool) throws {
        try database.write { db in
            let (column, value) = Self.key(item)
            try db.execute(sql: "UPDATE fetch_frontier SET visited = 1, expanded = ?, info = NULL WHERE \(column) = ?",
                           arguments: [expanded ? 1 : 0, value])
        }
    }

    /// Items still to visit (for a progress line and the summary).
    public func openCount(maxHops: Int) throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM fetch_frontier WHERE hop <= ?1 AND (visited = 0 OR (expanded = 0 AND hop < ?1))
                """, arguments: [maxHops]) ?? 0
        }
    }

    public func openCounts(hop: Int, maxHops: Int) throws -> (addresses: Int, transactions: Int) {
        try database.read { db in
            // `visited = 0 OR expanded = 0` as a term of its own, so the partial index `fetch_frontier_open` serves.
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(address) AS addresses, COUNT(txid) AS transactions FROM fetch_frontier
                WHERE hop = ?1 AND (visited = 0 OR expanded = 0) AND (visited = 0 OR ?1 < ?2)
                """, arguments: [hop, maxHops])
            return (row?["addresses"] ?? 0, row?["transactions"] ?? 0)
        }
    }

    // MARK: results

    public func containsTransaction(_ txid: Txid) throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM tx WHERE \(Schema.txidMatches("txid", "?1")))", arguments: [txid.digest.data])
                ?? false
        }
    }

    public func containsBlock(_ hash: BlockHash) throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM block WHERE hash = ?)",
                              arguments: [hash.digest.data]) ?? false
        }
    }
}
