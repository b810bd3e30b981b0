import BitcoinPrimitives
import Foundation
import GRDB

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
        guard let id = try ClusterRunStore.addressID(db, text: address).map(Int64.init) else {
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

    /// Two addresses the stored clustering links, for a first `spoor explain`: the smallest and the largest
    /// address id of the largest cluster (ties: the smallest cluster id); nil when every cluster is a singleton.
    public static func sampleLinkedPair(_ db: Database) throws -> (Int64, Int64)? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT clusterId, MAX(addressId) FROM addressCluster GROUP BY clusterId ORDER BY COUNT(*) DESC, clusterId LIMIT 1
            """) else { return nil }
        return (row[0], row[1])
    }

    public static func addressString(_ db: Database, _ id: Int64) throws -> String {
        try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [id]) ?? "#\(id)"
    }

    public static func txidHex(_ db: Database, _ id: Int64) throws -> String {
        guard let blob = try Data.fetchOne(db, sql: "SELECT txid FROM tx WHERE id = ?", arguments: [id]),
              let d = Digest32(bytes: [UInt8](blob)) else { return "#\(id)" }
        return d.displayHex
    }

    /// Received and sent satoshis, the number of transactions and the first and last block time of a cluster.
    public static func activity(_ db: Database, cluster: Int64) throws
        -> (received: Int64, sent: Int64, transactions: Int, firstSeen: Int64?, lastSeen: Int64?) {
        let args: StatementArguments = [cluster, cluster]
        let received = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(value), 0) FROM output WHERE addressId IN \(memberSet)", arguments: args) ?? 0
        let sent = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(value), 0) FROM input WHERE addressId IN \(memberSet)", arguments: args) ?? 0
        let activity = try Row.fetchOne(db, sql: """
            SELECT COUNT(DISTINCT t.id), MIN(b.time), MAX(b.time) FROM tx t LEFT JOIN block b ON b.id = t.blockId
            WHERE t.id IN (SELECT txId FROM output WHERE addressId IN \(memberSet)
                           UNION SELECT txId FROM input WHERE addressId IN \(memberSet))
            """, arguments: [cluster, cluster, cluster, cluster])
        return (received, sent, activity?[0] ?? 0, activity?[1], activity?[2])
    }

    /// How many stored merges inside a cluster carry each heuristic mask.
    public static func mergeCountsByMask(_ db: Database, cluster: Int64) throws -> [UInt32: Int] {
        var counts: [UInt32: Int] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT heuristics, COUNT(*) FROM clusterEvidence WHERE kind = 0 AND a IN \(memberSet)
            GROUP BY heuristics
            """, arguments: [cluster, cluster]) {
            let mask: Int64 = row[0], n: Int = row[1]
            counts[UInt32(truncatingIfNeeded: mask), default: 0] += n
        }
        return counts
    }

    /// A stored evidence record: two addresses, the transaction, the heuristics' bit mask.
    public typealias EvidenceRow = (a: UInt32, b: UInt32, tx: UInt32, heuristics: UInt32)

    /// The stored merges whose first address is in the cluster, in the order they were made.
    public static func merges(_ db: Database, inCluster cluster: Int64) throws -> [EvidenceRow] {
        try evidence(db, "SELECT a, b, txId, heuristics FROM clusterEvidence WHERE kind = 0 AND a IN \(memberSet) ORDER BY id",
                     [cluster, cluster])
    }

    /// Every stored link an exclusion or guard stopped, in the order they were met.
    public static func stops(_ db: Database) throws -> [EvidenceRow] {
        try evidence(db, "SELECT a, b, txId, heuristics FROM clusterEvidence WHERE kind = 1 ORDER BY id", [])
    }

    static func evidence(_ db: Database, _ sql: String, _ args: StatementArguments) throws -> [EvidenceRow] {
        try Row.fetchAll(db, sql: sql, arguments: args).map { r in
            (UInt32(truncatingIfNeeded: r[0] as Int64), UInt32(truncatingIfNeeded: r[1] as Int64),
             UInt32(truncatingIfNeeded: r[2] as Int64), UInt32(truncatingIfNeeded: r[3] as Int64))
        }
    }

    /// For a deposit-address link made in transaction `tx`: an address an output of `tx` pays that another
    /// transaction spending from `payer` paid too, and that other transaction (the first by id).
    public static func sharedDepositAddress(_ db: Database, payer: UInt32, tx: UInt32) throws -> (address: Int64, otherTx: Int64)? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT o.addressId, o2.txId FROM output o
            JOIN output o2 ON o2.addressId = o.addressId AND o2.txId != o.txId
            JOIN input i ON i.txId = o2.txId AND i.addressId = ?
            WHERE o.txId = ? ORDER BY o2.txId LIMIT 1
            """, arguments: [Int64(payer), Int64(tx)]) else { return nil }
        return (row[0], row[1])
    }

    /// Calls `row(address, clusterId)` for every address, in address id order.
    public static func forEachAssignment(_ db: Database, _ row: (String, Int64) throws -> Void) throws {
        let s = try db.makeStatement(sql: """
            SELECT a.address, COALESCE(c.clusterId, a.id) FROM address a LEFT JOIN addressCluster c ON c.addressId = a.id ORDER BY a.id
            """)
        let cursor = try Row.fetchCursor(s)
        while let r = try cursor.next() { try row(r[0], r[1]) }
    }

    /// Calls `edge(a, b, txid, heuristics mask)` for every stored merge.
    public static func forEachMerge(_ db: Database, _ edge: (String, String, String, UInt32) throws -> Void) throws {
        let cursor = try Row.fetchCursor(db, sql: """
            SELECT aa.address, ab.address, hex(t.txid), e.heuristics FROM clusterEvidence e
            JOIN address aa ON aa.id = e.a JOIN address ab ON ab.id = e.b JOIN tx t ON t.id = e.txId
            WHERE e.kind = 0 ORDER BY e.id
            """)
        while let r = try cursor.next() {
            let internalHex: String = r[2]
            let display = (try? Hex.decode(internalHex)).map { Hex.encode($0.reversed()) } ?? internalHex
            let mask: Int64 = r[3]
            try edge(r[0], r[1], display.lowercased(), UInt32(truncatingIfNeeded: mask))
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
