import CaseStore
import Clustering

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

/// What `spoor cluster show` and `spoor explain` print: the stored clustering and its evidence, named (the
/// store keeps heuristic bit masks; `HeuristicRegistry` names them) and walked (`EvidenceGraph`).
public enum ClusterLookups {
    public static func detail(_ database: CaseDatabase, address: String, offset: Int, limit: Int) throws -> ClusterDetail {
        try database.read { db in
            let run = try ClusterStore.runProfile(db)
            let cluster = try ClusterStore.clusterID(db, ofAddressID: try ClusterStore.addressID(db, address))
            let members = try ClusterStore.memberIDs(db, cluster: cluster)
            let page = members.dropFirst(offset).prefix(limit)
            let activity = try ClusterStore.activity(db, cluster: cluster)
            var counts: [String: Int] = [:]
            for (mask, n) in try ClusterStore.mergeCountsByMask(db, cluster: cluster) {
                for h in HeuristicRegistry.ids(inMask: mask) { counts[h.rawValue, default: 0] += n }
            }
            return ClusterDetail(
                address: address, clusterId: cluster, size: members.count,
                members: try page.map { try ClusterStore.addressString(db, $0) }, membersOffset: offset,
                transactions: activity.transactions, receivedSat: activity.received, sentSat: activity.sent,
                firstSeen: activity.firstSeen, lastSeen: activity.lastSeen, evidenceCounts: counts,
                profile: run.id, profileHash: run.hash)
        }
    }

    /// The shortest chain of stored merges linking two addresses, or the stopped links that would have.
    /// Two addresses the stored clustering links (`ClusterStore.sampleLinkedPair`), as text; nil when no
    /// cluster has two members.
    public static func sampleLinkedPair(_ database: CaseDatabase) throws -> (String, String)? {
        try database.read { db in
            _ = try ClusterStore.runProfile(db)
            guard let (a, b) = try ClusterStore.sampleLinkedPair(db) else { return nil }
            return (try ClusterStore.addressString(db, a), try ClusterStore.addressString(db, b))
        }
    }

    public static func explain(_ database: CaseDatabase, _ a: String, _ b: String) throws -> ClusterExplanation {
        try database.read { db in
            let run = try ClusterStore.runProfile(db)
            let ia = try ClusterStore.addressID(db, a), ib = try ClusterStore.addressID(db, b)
            let ca = try ClusterStore.clusterID(db, ofAddressID: ia), cb = try ClusterStore.clusterID(db, ofAddressID: ib)
            var cache: [UInt32: ClusterID] = [:]
            func clusterOf(_ x: AddressID) -> ClusterID {
                if let c = cache[x.raw] { return c }
                let c = ClusterID(UInt32(truncatingIfNeeded: (try? ClusterStore.clusterID(db, ofAddressID: Int64(x.raw))) ?? Int64(x.raw)))
                cache[x.raw] = c
                return c
            }
            func records(_ rows: [ClusterStore.EvidenceRow]) -> [EvidenceRecord] {
                rows.map { EvidenceRecord(a: AddressID($0.a), b: AddressID($0.b), tx: TxID($0.tx), heuristics: $0.heuristics) }
            }
            let graph = ca == cb ? EvidenceGraph(merges: records(try ClusterStore.merges(db, inCluster: ca)), stops: [])
                                 : EvidenceGraph(merges: [], stops: records(try ClusterStore.stops(db)))
            func steps(_ rs: [EvidenceRecord]) throws -> [EvidenceStep] {
                try rs.map { r in
                    var step = EvidenceStep(from: try ClusterStore.addressString(db, Int64(r.a.raw)),
                                            to: try ClusterStore.addressString(db, Int64(r.b.raw)),
                                            txid: try ClusterStore.txidHex(db, Int64(r.tx.raw)), heuristics: r.heuristicIDs.map(\.rawValue))
                    if r.heuristicIDs.contains(HeuristicRegistry.depositAddress) {
                        // The record keeps the two payers and one payment; the address they share and the other
                        // payment are found again. (`a` and `b` may have been swapped for walking order, so either
                        // may be the other payer.)
                        for earlier in [r.a, r.b] {
                            if let shared = try ClusterStore.sharedDepositAddress(db, payer: earlier.raw, tx: r.tx.raw) {
                                step.depositAddress = try ClusterStore.addressString(db, shared.address)
                                step.otherTxid = try ClusterStore.txidHex(db, shared.otherTx)
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
    }
}
