import BitcoinPrimitives
import ChainIndex
import Foundation
import GRDB

/// The whole best chain as tracing reads it (`ChainIndexLoader` with the tracing columns and the address
/// index), and the address lookups analyses make. Analyses load only what they read (`TraceSubgraph`); this is
/// their reference (`--whole-chain`) and the test oracle.
public enum TraceGraphLoader {
    public static func load(_ database: CaseDatabase) throws -> ChainIndex {
        let index = try database.read { try ChainIndexLoader.load($0, columns: .tracing).index }
        index.indexAddresses()
        return index
    }

    /// Address ids of address strings (absent ones are left out).
    public static func addressIDs(_ addresses: [String], in database: CaseDatabase) throws -> [String: Int] {
        try database.read { try StoreQueries.addressIDs(addresses, $0) }
    }

    /// Address strings of ids.
    public static func addressStrings(_ ids: [Int], in database: CaseDatabase) throws -> [Int: String] {
        try database.read { try StoreQueries.addressStrings(ids, $0) }
    }
}

/// Cluster ids as the clustering step persisted them (`addressCluster`: one row per address not alone in its
/// cluster), and the profile that made them.
public enum TraceClusterLoader {
    public struct Persisted: Sendable {
        public var clusterOf: [Int]
        public var profileID: String?
        public var profileHash: String?
        /// False when no clustering has run on this database: every address is its own cluster.
        public var clustered: Bool
        /// The clustering joined payers of one exchange deposit address (`link.deposit-address` found a service).
        public var linkedByDeposits = false
    }

    /// `persisted` with what the stored clustering run says: its profile, and whether it linked deposit payers.
    /// A stored run means clustering ran even when it joined nothing.
    static func withRun(_ db: Database, _ persisted: Persisted) throws -> Persisted {
        var p = persisted
        if try db.tableExists("clusterState"), let state = try ClusterRunStore.state(db) {
            p.profileID = state.profile
            p.profileHash = state.profileHash
            p.linkedByDeposits = (state.statistics.depositServices ?? 0) > 0
            p.clustered = true
        }
        return p
    }

    /// The profile and whether clustering ran, without the assignment itself (`clusterOf` empty): for analyses
    /// that look clusters up one by one (`TraceSubgraph`).
    public static func state(_ database: CaseDatabase) throws -> Persisted {
        try database.read { db in
            guard try db.tableExists("addressCluster") else {
                return Persisted(clusterOf: [], profileID: nil, profileHash: nil, clustered: false)
            }
            let rows = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM addressCluster)") ?? false
            return try withRun(db, Persisted(clusterOf: [], profileID: nil, profileHash: nil, clustered: rows))
        }
    }

    /// The cluster of each address, looked up one by one through the primary key (an address without a row
    /// is its own cluster): for a few addresses (tags) without reading the whole assignment.
    public static func clusters(of addresses: [Int], in database: CaseDatabase) throws -> [Int: Int] {
        try database.read { db in
            var result: [Int: Int] = [:]
            let statement = try db.tableExists("addressCluster")
                ? db.makeStatement(sql: "SELECT clusterId FROM addressCluster WHERE addressId = ?") : nil
            for a in Set(addresses) where a >= 0 {
                result[a] = try statement.flatMap { try Int.fetchOne($0, arguments: [a]) } ?? a
            }
            return result
        }
    }

    /// Size and first `limit` members (ascending) of each cluster, from the `addressCluster_cluster` index: what
    /// a report lists of a payer cluster without holding the cluster (an exchange's may be millions). The
    /// cluster id is its smallest member and has no row of its own.
    public static func summaries(of clusters: [Int], limit: Int, in database: CaseDatabase) throws -> [Int: (size: Int, first: [Int])] {
        try database.read { db in
            var result: [Int: (size: Int, first: [Int])] = [:]
            let hasTable = try db.tableExists("addressCluster")
            let count = hasTable ? try db.makeStatement(sql: "SELECT COUNT(*) FROM addressCluster WHERE clusterId = ?") : nil
            let first = hasTable
                ? try db.makeStatement(sql: "SELECT addressId FROM addressCluster WHERE clusterId = ? ORDER BY addressId LIMIT ?") : nil
            for c in Set(clusters) where c >= 0 {
                let n = try count.map { try Int.fetchOne($0, arguments: [c]) ?? 0 } ?? 0
                let rest = limit > 1 ? try first.map { try Int.fetchAll($0, arguments: [c, limit - 1]) } ?? [] : []
                result[c] = (n + 1, Array(([c] + rest).prefix(max(limit, 0))))
            }
            return result
        }
    }

    public static func load(_ database: CaseDatabase, addressCapacity: Int) throws -> Persisted {
        try database.read { db in
            var clusterOf = Array(0 ..< addressCapacity)
            guard try db.tableExists("addressCluster") else {
                return Persisted(clusterOf: clusterOf, profileID: nil, profileHash: nil, clustered: false)
            }
            let cursor = try Row.fetchCursor(db, sql: "SELECT addressId, clusterId FROM addressCluster")
            var rows = 0
            while let r = try cursor.next() {
                let a: Int = r[0], c: Int = r[1]
                if a >= 0 && a < addressCapacity { clusterOf[a] = c }
                rows += 1
            }
            return try withRun(db, Persisted(clusterOf: clusterOf, profileID: nil, profileHash: nil, clustered: rows > 0))
        }
    }
}

/// The clustering's own evidence for an address: the stored merge that linked it to its cluster.
public struct MembershipEvidence: Sendable, Equatable {
    public var address: Int
    /// The address it was merged with.
    public var linkedTo: Int
    public var txid: Txid
    /// The merge's heuristics, as the bit mask the evidence stores (`HeuristicRegistry.ids(inMask:)` names them).
    public var heuristics: UInt32
}

public enum TraceEvidenceLoader {
    /// For each address, one stored merge (kind 0) that names it, preferring the earliest; addresses never
    /// merged (alone in their cluster, or the cluster's first member seen only as `a`) come back via `a`.
    public static func membership(of addresses: [Int], in database: CaseDatabase) throws -> [Int: MembershipEvidence] {
        try database.read { db in
            guard try db.tableExists("clusterEvidence") else { return [:] }
            let statement = try db.makeStatement(sql: """
                SELECT e.a, e.b, t.txid, e.heuristics FROM clusterEvidence e JOIN tx t ON t.id = e.txId
                WHERE e.kind = 0 AND (e.b = ?1 OR e.a = ?1) ORDER BY e.id LIMIT 1
                """)
            var result: [Int: MembershipEvidence] = [:]
            for address in Set(addresses) {
                guard let r = try Row.fetchOne(statement, arguments: [address]) else { continue }
                let a: Int = r[0], b: Int = r[1]
                let mask = UInt32(truncatingIfNeeded: r[3] as Int64)
                result[address] = MembershipEvidence(
                    address: address, linkedTo: a == address ? b : a,
                    txid: Txid(digest: r.digest("txid") ?? .zero), heuristics: mask)
            }
            return result
        }
    }
}
