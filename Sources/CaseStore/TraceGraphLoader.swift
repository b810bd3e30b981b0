import BitcoinPrimitives
import Foundation
import Clustering
import GRDB
import Tracing

/// Reads the whole best chain out of the case database into the tracing core's `ChainGraph`: four sequential
/// scans (transactions, outputs, inputs, address kinds), no per-address queries. Analyses load only what they
/// read (`TraceSubgraph`); this is their reference (`--whole-chain`) and the test oracle.
public enum TraceGraphLoader {
    public static func load(_ database: CaseDatabase) throws -> ChainGraph {
        try database.read { db in
            // Transactions of the best chain in chain order; loose transactions after all blocks.
            var storeToIndex: [Int64: Int] = [:]
            var txids: [Txid] = []
            var heights: [Int32] = []
            var times: [Int64] = []
            var coinbase: [Bool] = []
            let txRows = try Row.fetchCursor(db, sql: """
                SELECT t.id, t.txid, b.height, b.time, t.isCoinbase FROM tx t LEFT JOIN block b ON b.id = t.blockId
                WHERE t.blockId IS NULL OR b.inBestChain = 1
                ORDER BY t.blockId IS NULL, b.height, t.position, t.id
                """)
            while let r = try txRows.next() {
                let id: Int64 = r[0]
                storeToIndex[id] = txids.count
                txids.append(Txid(digest: r.digest("txid") ?? .zero))
                heights.append(Int32(truncatingIfNeeded: (r[2] as Int64?) ?? -1))
                times.append((r[3] as Int64?) ?? 0)
                coinbase.append((r[4] as Int64) != 0)
            }
            let n = txids.count

            // Outputs: grouped by transaction index with a counting sort, vout order kept.
            var outRows: [(tx: Int, n: Int, id: Int64, value: Int64, address: Int, kind: UInt8)] = []
            let oc = try Row.fetchCursor(db, sql: "SELECT txId, n, id, value, addressId, scriptKind FROM output ORDER BY txId, n")
            var addressCapacity = 0
            while let r = try oc.next() {
                guard let t = storeToIndex[r[0]] else { continue }
                let a = Int((r[4] as Int64?) ?? -1)
                addressCapacity = max(addressCapacity, a + 1)
                outRows.append((t, r[1], r[2], r[3], a, UInt8(truncatingIfNeeded: r[5] as Int64)))
            }
            outRows.sort { ($0.tx, $0.n) < ($1.tx, $1.n) }
            var outputStart = Array(repeating: 0, count: n + 1)
            for o in outRows { outputStart[o.tx + 1] += 1 }
            for t in 0 ..< n { outputStart[t + 1] += outputStart[t] }
            var outputIndexOfStoreID: [Int64: Int] = [:]
            outputIndexOfStoreID.reserveCapacity(outRows.count)
            for (i, o) in outRows.enumerated() { outputIndexOfStoreID[o.id] = i }

            var inRows: [(tx: Int, n: Int, spends: Int64?, address: Int, value: Int64)] = []
            let ic = try Row.fetchCursor(db, sql: "SELECT txId, n, spentOutputId, addressId, value FROM input ORDER BY txId, n")
            while let r = try ic.next() {
                guard let t = storeToIndex[r[0]] else { continue }
                let a = Int((r[3] as Int64?) ?? -1)
                addressCapacity = max(addressCapacity, a + 1)
                inRows.append((t, r[1], r[2], a, (r[4] as Int64?) ?? 0))
            }
            inRows.sort { ($0.tx, $0.n) < ($1.tx, $1.n) }
            var inputStart = Array(repeating: 0, count: n + 1)
            for i in inRows { inputStart[i.tx + 1] += 1 }
            for t in 0 ..< n { inputStart[t + 1] += inputStart[t] }

            let maxAddress = try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(id), -1) FROM address") ?? -1
            addressCapacity = max(addressCapacity, maxAddress + 1)
            var kinds = Array(repeating: UInt8(0), count: addressCapacity)
            for o in outRows where o.address >= 0 { kinds[o.address] = o.kind }

            return ChainGraph.Builder.columns(
                txids: txids, txHeight: heights, txTime: times, txIsCoinbase: coinbase, inputStart: inputStart,
                outputStart: outputStart,
                outputValue: outRows.map(\.value), outputAddress: outRows.map(\.address),
                inputValue: inRows.map(\.value), inputAddress: inRows.map(\.address),
                inputSpends: inRows.map { $0.spends.flatMap { outputIndexOfStoreID[$0] } ?? -1 },
                addressKind: kinds)
        }
    }

    /// Address ids of address strings (absent ones are left out).
    public static func addressIDs(_ addresses: [String], in database: CaseDatabase) throws -> [String: Int] {
        try database.read { db in
            var result: [String: Int] = [:]
            let statement = try db.makeStatement(sql: "SELECT id FROM address WHERE address = ?")
            for a in Set(addresses) {
                if let id = try Int.fetchOne(statement, arguments: [a]) { result[a] = id }
            }
            return result
        }
    }

    /// Address strings of ids.
    public static func addressStrings(_ ids: [Int], in database: CaseDatabase) throws -> [Int: String] {
        try database.read { db in
            var result: [Int: String] = [:]
            let statement = try db.makeStatement(sql: "SELECT address FROM address WHERE id = ?")
            for id in Set(ids) where id >= 0 {
                if let s = try String.fetchOne(statement, arguments: [id]) { result[id] = s }
            }
            return result
        }
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
        if try db.tableExists("clusterState"), let state = try ClusterRunner.loadState(db) {
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
    public var heuristics: [String]
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
                    txid: Txid(digest: r.digest("txid") ?? .zero),
                    heuristics: HeuristicRegistry.ids(inMask: mask).map(\.rawValue))
            }
            return result
        }
    }
}
