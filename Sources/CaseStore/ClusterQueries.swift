import ChainIndex
import BitcoinPrimitives
import Clustering
import Foundation
import GRDB

/// One step of an explanation, with names a reader can check on any explorer.
public struct EvidenceStep: Sendable, Codable, Equatable {
    public var from: String
    public var to: String
    public var txid: String
    public var heuristics: [String]
    /// For a `link.deposit-address` step: the deposit address both payers paid, and the other payment to it
    /// (the step's own transaction is one payment; the other comes from the other payer).
    public var depositAddress: String?
    public var otherTxid: String?
    enum CodingKeys: String, CodingKey {
        case from, to, txid, heuristics
        case depositAddress = "deposit_address", otherTxid = "other_txid"
    }
    public init(from: String, to: String, txid: String, heuristics: [String], depositAddress: String? = nil, otherTxid: String? = nil) {
        self.from = from
        self.to = to
        self.txid = txid
        self.heuristics = heuristics
        self.depositAddress = depositAddress
        self.otherTxid = otherTxid
    }
}

public struct ClusterExplanation: Sendable, Codable, Equatable {
    public var a: String
    public var b: String
    public var linked: Bool
    /// The merges linking a to b, in order (when linked).
    public var chain: [EvidenceStep]
    /// Where an exclusion or guard stopped links that would have joined the two (when not linked).
    public var stoppedBy: [EvidenceStep]
    public var profile: String
    public var profileHash: String
    enum CodingKeys: String, CodingKey {
        case a, b, linked, chain, profile
        case stoppedBy = "stopped_by", profileHash = "profile_hash"
    }
}

public struct ClusterDetail: Sendable, Codable, Equatable {
    public var address: String
    public var clusterId: Int64
    public var size: Int
    public var members: [String]
    public var membersOffset: Int
    public var transactions: Int
    public var receivedSat: Int64
    public var sentSat: Int64
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    public var evidenceCounts: [String: Int]
    public var profile: String
    public var profileHash: String
    enum CodingKeys: String, CodingKey {
        case address, size, members, transactions, profile
        case clusterId = "cluster_id", membersOffset = "members_offset", receivedSat = "received_sat"
        case sentSat = "sent_sat", firstSeen = "first_seen", lastSeen = "last_seen"
        case evidenceCounts = "evidence_counts", profileHash = "profile_hash"
    }
}

/// Reading clustering's inputs and results: the narrow co-spend input (`ClusterInputs.swift`), the stored
/// clusters and evidence, and the lookups `spoor cluster show`, `explain` and `export clusters` print.
public enum ClusterStore {}

extension ClusterStore {
    /// The addresses of cluster `?` (bind the cluster id twice): the root has no row of its own.
    static let memberSet = "(SELECT ? UNION ALL SELECT addressId FROM addressCluster WHERE clusterId = ?)"

    /// The stored run's profile id and hash; throws when no clustering was run yet.
    public static func runProfile(_ db: Database) throws -> (id: String, hash: String) {
        guard let s = try ClusterRunStore.state(db) else {
            throw StoreError.badData("no clustering in this database yet; run spoor cluster first", at: nil)
        }
        return (s.profile, s.profileHash)
    }

    public static func addressID(_ db: Database, _ address: String) throws -> Int64 {
        guard let id = try Int64.fetchOne(db, sql: "SELECT id FROM address WHERE address = ?", arguments: [address]) else {
            throw StoreError.badData("address \(address) does not appear in this database", at: nil)
        }
        return id
    }

    public static func clusterID(_ db: Database, ofAddressID id: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT clusterId FROM addressCluster WHERE addressId = ?", arguments: [id]) ?? id
    }

    /// Address ids of a cluster, smallest first (the root has no row: it is its own cluster id).
    public static func memberIDs(_ db: Database, cluster: Int64) throws -> [Int64] {
        [cluster] + (try Int64.fetchAll(db, sql: "SELECT addressId FROM addressCluster WHERE clusterId = ? ORDER BY addressId",
                                       arguments: [cluster]))
    }

    static func addressString(_ db: Database, _ id: Int64) throws -> String {
        try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [id]) ?? "#\(id)"
    }

    static func txidHex(_ db: Database, _ id: Int64) throws -> String {
        guard let blob = try Data.fetchOne(db, sql: "SELECT txid FROM tx WHERE id = ?", arguments: [id]),
              let d = Digest32(bytes: [UInt8](blob)) else { return "#\(id)" }
        return d.displayHex
    }

    public static func detail(_ db: Database, address: String, offset: Int, limit: Int) throws -> ClusterDetail {
        let run = try runProfile(db)
        let id = try addressID(db, address)
        let cluster = try clusterID(db, ofAddressID: id)
        let members = try memberIDs(db, cluster: cluster)
        let page = members.dropFirst(offset).prefix(limit)
        let args: StatementArguments = [cluster, cluster]
        let received = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(value), 0) FROM output WHERE addressId IN \(memberSet)", arguments: args) ?? 0
        let sent = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(value), 0) FROM input WHERE addressId IN \(memberSet)", arguments: args) ?? 0
        let activity = try Row.fetchOne(db, sql: """
            SELECT COUNT(DISTINCT t.id), MIN(b.time), MAX(b.time) FROM tx t LEFT JOIN block b ON b.id = t.blockId
            WHERE t.id IN (SELECT txId FROM output WHERE addressId IN \(memberSet)
                           UNION SELECT txId FROM input WHERE addressId IN \(memberSet))
            """, arguments: [cluster, cluster, cluster, cluster])
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT heuristics, COUNT(*) FROM clusterEvidence WHERE kind = 0 AND a IN \(memberSet)
            GROUP BY heuristics
            """, arguments: args) {
            let mask: Int64 = row[0], n: Int = row[1]
            for h in HeuristicRegistry.ids(inMask: UInt32(truncatingIfNeeded: mask)) { counts[h.rawValue, default: 0] += n }
        }
        return ClusterDetail(
            address: address, clusterId: cluster, size: members.count,
            members: try page.map { try addressString(db, $0) }, membersOffset: offset,
            transactions: activity?[0] ?? 0, receivedSat: received, sentSat: sent,
            firstSeen: activity?[1], lastSeen: activity?[2], evidenceCounts: counts, profile: run.id, profileHash: run.hash)
    }

    public static func explain(_ db: Database, _ a: String, _ b: String) throws -> ClusterExplanation {
        let run = try runProfile(db)
        let ia = try addressID(db, a), ib = try addressID(db, b)
        let ca = try clusterID(db, ofAddressID: ia), cb = try clusterID(db, ofAddressID: ib)
        var cache: [UInt32: ClusterID] = [:]
        func clusterOf(_ x: AddressID) -> ClusterID {
            if let c = cache[x.raw] { return c }
            let c = ClusterID(UInt32(truncatingIfNeeded: (try? clusterID(db, ofAddressID: Int64(x.raw))) ?? Int64(x.raw)))
            cache[x.raw] = c
            return c
        }
        func records(_ sql: String, _ args: StatementArguments) throws -> [EvidenceRecord] {
            try Row.fetchAll(db, sql: sql, arguments: args).map { r in
                EvidenceRecord(a: AddressID(UInt32(truncatingIfNeeded: r[0] as Int64)), b: AddressID(UInt32(truncatingIfNeeded: r[1] as Int64)),
                               tx: TxID(UInt32(truncatingIfNeeded: r[2] as Int64)), heuristics: UInt32(truncatingIfNeeded: r[3] as Int64))
            }
        }
        var merges: [EvidenceRecord] = []
        var stops: [EvidenceRecord] = []
        if ca == cb {
            let members = try memberIDs(db, cluster: ca)
            _ = members
            merges = try records("SELECT a, b, txId, heuristics FROM clusterEvidence WHERE kind = 0 AND a IN \(memberSet) ORDER BY id",
                                 [ca, ca])
        } else {
            stops = try records("SELECT a, b, txId, heuristics FROM clusterEvidence WHERE kind = 1 ORDER BY id", [])
        }
        let graph = EvidenceGraph(merges: merges, stops: stops)
        func steps(_ rs: [EvidenceRecord]) throws -> [EvidenceStep] {
            try rs.map { r in
                var step = EvidenceStep(from: try addressString(db, Int64(r.a.raw)), to: try addressString(db, Int64(r.b.raw)),
                                        txid: try txidHex(db, Int64(r.tx.raw)), heuristics: r.heuristicIDs.map(\.rawValue))
                if r.heuristicIDs.contains(HeuristicRegistry.depositAddress) {
                    // The record keeps the two payers and one payment; the address they share and the other
                    // payment are found again: an output of this transaction whose address another transaction
                    // spending from the other payer paid too. (`a` and `b` may have been swapped for walking
                    // order, so either may be the other payer.)
                    for earlier in [r.a, r.b] {
                        if let row = try Row.fetchOne(db, sql: """
                            SELECT o.addressId, o2.txId FROM output o
                            JOIN output o2 ON o2.addressId = o.addressId AND o2.txId != o.txId
                            JOIN input i ON i.txId = o2.txId AND i.addressId = ?
                            WHERE o.txId = ? ORDER BY o2.txId LIMIT 1
                            """, arguments: [Int64(earlier.raw), Int64(r.tx.raw)]) {
                            step.depositAddress = try addressString(db, row[0])
                            step.otherTxid = try txidHex(db, row[1])
                            break
                        }
                    }
                }
                return step
            }
        }
        switch graph.explain(AddressID(UInt32(truncatingIfNeeded: ia)), AddressID(UInt32(truncatingIfNeeded: ib)), clusterOf: clusterOf) {
        case let .linked(rs):
            return ClusterExplanation(a: a, b: b, linked: true, chain: try steps(rs), stoppedBy: [], profile: run.id, profileHash: run.hash)
        case let .notLinked(rs):
            return ClusterExplanation(a: a, b: b, linked: false, chain: [], stoppedBy: try steps(rs), profile: run.id, profileHash: run.hash)
        }
    }

    /// Calls `row(address, clusterId)` for every address, in address id order.
    public static func forEachAssignment(_ db: Database, _ row: (String, Int64) throws -> Void) throws {
        let s = try db.makeStatement(sql: """
            SELECT a.address, COALESCE(c.clusterId, a.id) FROM address a LEFT JOIN addressCluster c ON c.addressId = a.id ORDER BY a.id
            """)
        let cursor = try Row.fetchCursor(s)
        while let r = try cursor.next() { try row(r[0], r[1]) }
    }

    /// Calls `edge(a, b, txid, heuristics)` for every stored merge.
    public static func forEachMerge(_ db: Database, _ edge: (String, String, String, [String]) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT aa.address, ab.address, hex(t.txid), e.heuristics FROM clusterEvidence e
            JOIN address aa ON aa.id = e.a JOIN address ab ON ab.id = e.b JOIN tx t ON t.id = e.txId
            WHERE e.kind = 0 ORDER BY e.id
            """)
        while let r = try cursor.next() {
            let internalHex: String = r[2]
            let display = (try? Hex.decode(internalHex)).map { Hex.encode($0.reversed()) } ?? internalHex
            let mask: Int64 = r[3]
            try edge(r[0], r[1], display.lowercased(), HeuristicRegistry.ids(inMask: UInt32(truncatingIfNeeded: mask)).map(\.rawValue))
        }
    }

    /// Display-hex txid of every transaction id (for evaluation against truth files).
    public static func txidsByID(_ db: Database) throws -> [Int64: String] {
        var m: [Int64: String] = [:]
        let s = try RawStatement(db, "SELECT id, txid FROM tx")
        while try s.step() {
            let bytes = s.blob(1)
            m[s.int64(0)] = Digest32(bytes: bytes)?.displayHex ?? ""
        }
        s.reset()
        return m
    }
}
