import BitcoinPrimitives
import ChainIndex
import Foundation
import GRDB

/// The summary `spoor cluster` prints and stores.
public struct ClusterSummary: Sendable, Codable, Equatable {
    public struct Largest: Sendable, Codable, Equatable {
        public var clusterId: Int64
        public var address: String
        public var size: Int
        enum CodingKeys: String, CodingKey { case address, size; case clusterId = "cluster_id" }
    }
    public var profile: String
    public var profileHash: String
    public var addresses: Int
    public var clusters: Int
    public var singletons: Int
    public var largest: [Largest]
    public var transactions: Int
    public var excludedTransactions: Int
    public var mergesPerHeuristic: [String: Int]
    public var exclusionsPerRule: [String: Int]
    public var guardRefusals: [String: Int]
    public var changeOutputs: Int
    /// Clusters `link.deposit-address` took for services whose deposit addresses link their payers (absent
    /// when the profile has no such link).
    public var depositServices: Int?
    public var evidenceMerges: Int
    public var evidenceStops: Int
    /// True when this run extended a stored clustering instead of starting over.
    public var incremental: Bool
    public var transactionsProcessed: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case profile, addresses, clusters, singletons, largest, transactions, incremental, seconds
        case profileHash = "profile_hash", excludedTransactions = "excluded_transactions"
        case mergesPerHeuristic = "merges_per_heuristic", exclusionsPerRule = "exclusions_per_rule"
        case guardRefusals = "guard_refusals", changeOutputs = "change_outputs", depositServices = "deposit_services"
        case evidenceMerges = "evidence_merges", evidenceStops = "evidence_stops"
        case transactionsProcessed = "transactions_processed"
    }
}

/// The stored run (the `clusterState` row 'run'): what the next run's plan reads, and what reports name.
public struct ClusterRunState: Codable, Sendable {
    public var profile: String
    public var profileHash: String
    public var watermark: ChainPosition?
    public var transactions: Int
    public var statistics: StoredStatistics
    /// Digest of the entity tags the guard used: other tags could change earlier decisions, so a run with
    /// different tags starts over.
    public var tagsDigest: String?
    /// Sum of the ids of the clustered transactions: with the count, tells a reorg that replaced blocks below
    /// the watermark (new transaction rows at old heights) from a chain that only grew.
    public var idSum: Int64?
    /// When the run was stored (ISO 8601, UTC), stamped by `ClusterRunStore.writeState`; nil in runs stored before
    /// that, which read commands then name without a time.
    public var storedAt: String?

    public init(profile: String, profileHash: String, watermark: ChainPosition?, transactions: Int,
                statistics: StoredStatistics, tagsDigest: String?, idSum: Int64?) {
        self.profile = profile; self.profileHash = profileHash; self.watermark = watermark
        self.transactions = transactions; self.statistics = statistics; self.tagsDigest = tagsDigest; self.idSum = idSum
    }
}

/// The walk's counts, added up run after run (keyed by heuristic id).
public struct StoredStatistics: Codable, Sendable {
    public var transactions = 0
    public var excluded = 0
    public var merges: [String: Int] = [:]
    public var exclusions: [String: Int] = [:]
    public var guards: [String: Int] = [:]
    public var changeOutputs = 0
    public var depositServices: Int?
    public init() {}
}

/// The clustering run's side of the case database: its stored state (`clusterState`), its results
/// (`addressCluster`, `clusterEvidence`) and the facts about the chain a plan reads. Plain values and SQL;
/// which run to make is `ClusterPlanner`'s (Clustering), running it `ClusterRunner`'s.
public enum ClusterRunStore {
    public static func state(_ db: Database) throws -> ClusterRunState? {
        guard let data = try Data.fetchOne(db, sql: "SELECT value FROM clusterState WHERE key = 'run'") else { return nil }
        return try? JSONDecoder().decode(ClusterRunState.self, from: data)
    }

    /// The digest a run stores of the entity tags its guard used.
    public static func tagsDigest(_ tags: [String: String]) -> String {
        let text = tags.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        return Array(text.utf8).withUnsafeBytes { Hex.encode(Hashing.sha256($0).bytes) }
    }

    /// Count and id sum of the best-chain (and loose) transactions up to `mark` in chain order.
    public static func countTransactions(_ db: Database, upTo mark: ChainPosition) throws -> (count: Int, idSum: Int64) {
        let row = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), COALESCE(SUM(t.id), 0) FROM tx t JOIN block b ON b.id = t.blockId
            WHERE b.inBestChain = 1 AND (b.height < ? OR (b.height = ? AND t.position <= ?))
            """, arguments: [mark.height, mark.height, mark.position])
        var n: Int = row?[0] ?? 0
        var sum: Int64 = row?[1] ?? 0
        if mark.height == Int64.max {
            let loose = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(SUM(id), 0) FROM tx WHERE blockId IS NULL AND id <= ?",
                                         arguments: [mark.position])
            n += loose?[0] ?? 0
            sum &+= loose?[1] ?? 0
        }
        return (n, sum)
    }

    /// True when nothing can still join the watermark's block: it is a best-chain block (not the loose
    /// transactions, where a new loose one may spend an old one's output) and no transaction of it comes after
    /// the watermark (a partially fetched block completed later would add some).
    public static func watermarkEndsItsBlock(_ db: Database, _ mark: ChainPosition) throws -> Bool {
        guard mark.height != Int64.max else { return false }
        let later = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM tx t JOIN block b ON b.id = t.blockId
            WHERE b.inBestChain = 1 AND b.height = ? AND t.position > ?
            """, arguments: [mark.height, mark.position]) ?? 0
        return later == 0
    }

    /// Rows of the narrow co-spend input (`clusterInput`): what a co-spend-only run streams, for its progress.
    public static func cospendRowCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM clusterInput") ?? 0
    }

    /// One past the largest address id.
    public static func addressBound(_ db: Database) throws -> Int {
        Int(max(0, (try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address") ?? -1) + 1))
    }

    /// Every address's stored cluster id (an address without a row is its own cluster).
    public static func storedRoots(_ db: Database, addressBound: Int) throws -> [UInt32] {
        var roots = (0..<UInt32(addressBound)).map { $0 }
        let stored = try RawStatement(db, "SELECT addressId, clusterId FROM addressCluster")
        while try stored.step() {
            let a = stored.int64(0), c = stored.int64(1)
            if a >= 0 && a < Int64(roots.count) { roots[Int(a)] = UInt32(truncatingIfNeeded: c) }
        }
        stored.reset()
        return roots
    }

    /// Calls `merge(a, b)` for every stored merge none of whose heuristics is in `excluding`.
    /// - Throws: `StoreError` for a merge naming an address beyond `addressBound`.
    public static func forEachMerge(_ db: Database, excluding bits: UInt32, addressBound: Int,
                                    _ merge: (UInt32, UInt32) throws -> Void) throws {
        let merges = try RawStatement(db, "SELECT a, b FROM clusterEvidence WHERE kind = 0 AND (heuristics & ?) = 0")
        defer { merges.reset() }
        merges.bind(1, Int64(bits))
        while try merges.step() {
            let a = merges.int64(0), b = merges.int64(1)
            guard a >= 0, b >= 0, a < Int64(addressBound), b < Int64(addressBound) else {
                throw StoreError.badData("stored evidence names address \(max(a, b)) beyond the \(addressBound) known; run spoor cluster --fresh", at: nil)
            }
            try merge(UInt32(a), UInt32(b))
        }
    }

    /// The seen-address bitmap the last run left.
    public static func seen(_ db: Database) throws -> [UInt64] {
        let seen = try Data.fetchOne(db, sql: "SELECT value FROM clusterState WHERE key = 'seen'") ?? Data()
        var words = [UInt64](repeating: 0, count: seen.count / 8)
        _ = words.withUnsafeMutableBytes { seen.copyBytes(to: $0) }
        return words
    }

    /// The change kinds (`1 << kind` per cluster root) the last run learned.
    public static func changeKinds(_ db: Database) throws -> [UInt32: UInt32] {
        decodeChangeKinds(try Data.fetchOne(db, sql: "SELECT value FROM clusterState WHERE key = 'changeKinds'") ?? Data())
    }

    /// Removes the stored evidence records carrying one of `bits`.
    public static func dropEvidence(_ db: Database, carrying bits: UInt32) throws {
        try db.execute(sql: "DELETE FROM clusterEvidence WHERE (heuristics & ?) != 0", arguments: [Int64(bits)])
    }

    /// A clustering result table that a run can write whole.
    public enum ResultTable: String, Sendable {
        case addressCluster, clusterEvidence
    }

    /// Empties `table` and runs `body`, which writes all of its rows, with the table's secondary indexes dropped;
    /// then creates them again from their stored SQL, sorting in small runs (`CaseDatabase.sortingWholeTables`).
    /// Kept up row by row, those indexes take random keys (cluster ids, address ids in merge order): once they
    /// outgrow the page cache each insert is a page miss, and one sorted build is the cheaper way to the same
    /// index (Tests/Benchmarks/cluster-results.md). The caller's transaction covers all of it: a failure leaves
    /// the table and its indexes as they were.
    public static func rewritingWhole<T>(_ table: ResultTable, _ db: Database, _ body: () throws -> T) throws -> T {
        let indexes = try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name
            """, arguments: [table.rawValue]).map { (name: $0[0] as String, sql: $0[1] as String) }
        for index in indexes { try db.execute(sql: "DROP INDEX \(index.name.quotedDatabaseIdentifier)") }
        try db.execute(sql: "DELETE FROM \(table.rawValue)")
        let result = try body()
        try CaseDatabase.sortingWholeTables(db) {
            for index in indexes { try db.execute(sql: index.sql) }
        }
        return result
    }

    /// Replaces the stored cluster ids: one row per address not alone in its cluster.
    public static func writeClusters(_ db: Database, roots: [UInt32]) throws {
        try rewritingWhole(.addressCluster, db) {
            let insert = try RawStatement(db, "INSERT INTO addressCluster(addressId, clusterId) VALUES (?, ?)")
            for (a, r) in roots.enumerated() where r != UInt32(a) {
                insert.bind(1, Int64(a)); insert.bind(2, Int64(r))
                try insert.run()
            }
        }
    }

    /// Appends evidence records of one kind (0 merge, 1 stopped link): `record(i)` for `i` in `0 ..< count`.
    public static func appendEvidence(_ db: Database, kind: Int64, count: Int,
                                      record: (Int) -> (a: UInt32, b: UInt32, tx: UInt32, heuristics: UInt32)) throws {
        let evidence = try RawStatement(db, "INSERT INTO clusterEvidence(kind, a, b, txId, heuristics) VALUES (?, ?, ?, ?, ?)")
        for i in 0..<count {
            let r = record(i)
            evidence.bind(1, kind); evidence.bind(2, Int64(r.a)); evidence.bind(3, Int64(r.b))
            evidence.bind(4, Int64(r.tx)); evidence.bind(5, Int64(r.heuristics))
            try evidence.run()
        }
    }

    /// Stores the run's state, seen-address bitmap and learned change kinds.
    /// The state is stamped with the time it is stored (`storedAt`), which the read commands print.
    public static func writeState(_ db: Database, _ state: ClusterRunState, seen: [UInt64], changeKinds: [UInt32: UInt32]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var stamped = state
        stamped.storedAt = ISO8601DateFormatter().string(from: Date())
        try db.execute(sql: "INSERT OR REPLACE INTO clusterState(key, value) VALUES ('run', ?)", arguments: [try encoder.encode(stamped)])
        let seenData = seen.withUnsafeBytes { Data($0) }
        try db.execute(sql: "INSERT OR REPLACE INTO clusterState(key, value) VALUES ('seen', ?)", arguments: [seenData])
        try db.execute(sql: "INSERT OR REPLACE INTO clusterState(key, value) VALUES ('changeKinds', ?)",
                       arguments: [encodeChangeKinds(changeKinds)])
    }

    /// `change.wallet-type`'s learned state: (root, kind mask) pairs as little-endian UInt32s, by root.
    static func encodeChangeKinds(_ kinds: [UInt32: UInt32]) -> Data {
        var out = Data(capacity: kinds.count * 8)
        for (root, mask) in kinds.sorted(by: { $0.key < $1.key }) {
            withUnsafeBytes(of: root.littleEndian) { out.append(contentsOf: $0) }
            withUnsafeBytes(of: mask.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    static func decodeChangeKinds(_ data: Data) -> [UInt32: UInt32] {
        let bytes = [UInt8](data)
        var kinds: [UInt32: UInt32] = [:]
        func word(_ i: Int) -> UInt32 {
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        var i = 0
        while i + 8 <= bytes.count { kinds[word(i)] = word(i + 4); i += 8 }
        return kinds
    }

    /// The summary of the stored clustering and run (this run's own fields, `incremental` and the counts and
    /// time, are the caller's).
    public static func summary(_ db: Database, state: ClusterRunState) throws -> ClusterSummary {
        let addresses = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM address") ?? 0
        var sizes: [(Int64, Int)] = []
        for row in try Row.fetchAll(db, sql: """
            SELECT clusterId, COUNT(*) + 1 AS size FROM addressCluster GROUP BY clusterId ORDER BY size DESC, clusterId
            """) {
            sizes.append((row[0], row[1]))
        }
        let inShared = sizes.reduce(0) { $0 + $1.1 }
        var largest: [ClusterSummary.Largest] = []
        for (id, size) in sizes.prefix(10) {
            let a = try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [id]) ?? "#\(id)"
            largest.append(.init(clusterId: id, address: a, size: size))
        }
        let merges = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM clusterEvidence WHERE kind = 0") ?? 0
        let stops = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM clusterEvidence WHERE kind = 1") ?? 0
        let s = state.statistics
        return ClusterSummary(
            profile: state.profile, profileHash: state.profileHash, addresses: addresses,
            clusters: sizes.count + (addresses - inShared), singletons: addresses - inShared, largest: largest,
            transactions: state.transactions, excludedTransactions: s.excluded, mergesPerHeuristic: s.merges,
            exclusionsPerRule: s.exclusions, guardRefusals: s.guards, changeOutputs: s.changeOutputs,
            depositServices: s.depositServices, evidenceMerges: merges, evidenceStops: stops, incremental: false, transactionsProcessed: 0, seconds: 0)
    }
}

extension ClusterRunStore {
    /// The best chain's transactions as an imported clustering covers them: the last chain position, the count
    /// and id sum (what a run's state records), and how many loose transactions there are.
    public struct BestChainTransactions: Sendable {
        public var last: ChainPosition?
        public var count = 0
        public var idSum: Int64 = 0
        public var loose = 0
    }

    public static func bestChainTransactions(_ db: Database) throws -> BestChainTransactions {
        var found = BestChainTransactions()
        let totals = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), COALESCE(SUM(t.id), 0) FROM tx t JOIN block b ON b.id = t.blockId WHERE b.inBestChain = 1
            """)
        found.count = totals?[0] ?? 0
        found.idSum = totals?[1] ?? 0
        if let last = try Row.fetchOne(db, sql: """
            SELECT b.height, t.position FROM tx t JOIN block b ON b.id = t.blockId
            WHERE b.inBestChain = 1 ORDER BY b.height DESC, t.position DESC LIMIT 1
            """) {
            found.last = ChainPosition(height: last[0], position: last[1])
        }
        found.loose = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tx WHERE blockId IS NULL") ?? 0
        return found
    }

    /// Every address with its id, in id order, one row at a time (an imported clustering lists them in this
    /// order, so it is checked against the store without holding every address text in memory).
    public static func addressesInIDOrder(_ db: Database) throws -> MapCursor<RowCursor, (id: UInt32, text: String)> {
        try Row.fetchCursor(db, sql: "SELECT id, address FROM address ORDER BY id").map { row in
            let id: Int64 = row[0]
            return (UInt32(truncatingIfNeeded: id), row[1])
        }
    }

    /// The id of the address with this text (index `address_key`), if the case holds it.
    public static func addressID(_ db: Database, text: String) throws -> UInt32? {
        let statement = try db.cachedStatement(sql: """
            SELECT id FROM address WHERE \(Schema.addressMatches("address", "?1"))
            """)
        return try Int64.fetchOne(statement, arguments: [text]).map { UInt32(truncatingIfNeeded: $0) }
    }

    /// The store id of a best-chain transaction (index `tx_txid_key`), if the case holds it there.
    public static func bestChainTransactionID(_ db: Database, txid: Txid) throws -> UInt32? {
        let statement = try db.cachedStatement(sql: """
            SELECT t.id FROM tx t JOIN block b ON b.id = t.blockId
            WHERE \(Schema.txidMatches("t.txid", "?1")) AND b.inBestChain = 1
            """)
        return try Int64.fetchOne(statement, arguments: [txid.digest.data]).map { UInt32(truncatingIfNeeded: $0) }
    }
}
