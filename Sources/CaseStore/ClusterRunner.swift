import ChainIndex
import BitcoinAddresses
import BitcoinPrimitives
import Clustering
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

/// Stored run state (clusterState rows).
struct ClusterRunState: Codable {
    var profile: String
    var profileHash: String
    var watermark: ChainPosition?
    var transactions: Int
    var statistics: StoredStatistics
    /// Digest of the entity tags the guard used: other tags could change earlier decisions, so a run with
    /// different tags starts over.
    var tagsDigest: String?
    /// Sum of the ids of the clustered transactions: with the count, tells a reorg that replaced blocks below
    /// the watermark (new transaction rows at old heights) from a chain that only grew.
    var idSum: Int64?
}

struct StoredStatistics: Codable {
    var transactions = 0
    var excluded = 0
    var merges: [String: Int] = [:]
    var exclusions: [String: Int] = [:]
    var guards: [String: Int] = [:]
    var changeOutputs = 0
    var depositServices: Int?

    mutating func add(_ s: ClusterStatistics) {
        transactions += s.transactions
        excluded += s.excludedTransactions
        for (k, v) in s.merges { merges[k.rawValue, default: 0] += v }
        for (k, v) in s.exclusions { exclusions[k.rawValue, default: 0] += v }
        for (k, v) in s.guardRefusals { guards[k.rawValue, default: 0] += v }
        changeOutputs += s.changeOutputs
    }
}

/// Runs a clustering over the case database and stores its results and evidence.
public enum ClusterRunner {
    /// Heuristics that look at later transactions (spenders): a stored clustering that used them cannot be
    /// extended, because earlier decisions would change once the spenders arrive; such profiles rerun fully.
    static let lookAhead: Set<HeuristicID> = ["change.fingerprint", "change.peel-chain"]

    /// Profiles without a change rule read only input addresses (and the CoinJoin candidates' columns).
    public static func usesCospendsOnly(_ profile: HeuristicProfile) -> Bool { profile.change == nil && profile.links.isEmpty }

    /// Heuristics that read only spenders in the same block as the output (or loose spenders of loose outputs).
    /// An ingest commits whole blocks, so these are known when the output's transaction is first clustered:
    /// they need spender shapes loaded but do not stop incremental runs (see `watermarkEndsItsBlock`).
    static let sameBlockSpenders: Set<HeuristicID> = [HeuristicRegistry.sameBlockSpend]

    /// Whether the loader must record spender shapes (`ChainIndexLoader.load(columns: [.spenderShapes])`).
    public static func needsSpenders(_ profile: HeuristicProfile) -> Bool {
        (profile.change?.leaves ?? []).contains { lookAhead.contains($0.0) || sameBlockSpenders.contains($0.0) }
    }

    /// Whether the profile reads spenders in later blocks: then a stored clustering cannot be extended.
    public static func looksAhead(_ profile: HeuristicProfile) -> Bool {
        (profile.change?.leaves ?? []).contains { lookAhead.contains($0.0) }
    }

    static func readsSameBlockSpenders(_ profile: HeuristicProfile) -> Bool {
        (profile.change?.leaves ?? []).contains { sameBlockSpenders.contains($0.0) }
    }

    /// True when nothing can still join the watermark's block: it is a best-chain block (not the loose
    /// transactions, where a new loose one may spend an old one's output) and no transaction of it comes after
    /// the watermark (a partially fetched block completed later would add some).
    static func watermarkEndsItsBlock(_ db: Database, _ mark: ChainPosition) throws -> Bool {
        guard mark.height != Int64.max else { return false }
        let later = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM tx t JOIN block b ON b.id = t.blockId
            WHERE b.inBestChain = 1 AND b.height = ? AND t.position > ?
            """, arguments: [mark.height, mark.position]) ?? 0
        return later == 0
    }

    /// Clusters the database with `profile`. Extends the stored clustering when it was made with the same
    /// profile file, no look-ahead heuristic is used, and the chain only grew after what it covered (by whole
    /// blocks, when the profile reads same-block spenders);
    /// otherwise starts over. The result is the same either way.
    /// - Parameter entityTags: entity label per address string (tags, watchlists) for the entity guard.
    @discardableResult
    public static func run(_ database: CaseDatabase, profile: HeuristicProfile, entityTags: [String: String] = [:],
                           allowIncremental: Bool = true) throws -> ClusterSummary {
        let started = Date()
        return try database.write { db in
            let state = try loadState(db)
            var resume: ClusterRunState?
            let tagsDigest = digest(entityTags)
            if allowIncremental, let state, state.profileHash == profile.hash, !looksAhead(profile),
               state.tagsDigest == tagsDigest,
               let mark = state.watermark, let idSum = state.idSum,
               try countTransactions(db, upTo: mark) == (state.transactions, idSum),
               try !readsSameBlockSpenders(profile) || watermarkEndsItsBlock(db, mark) {
                resume = state
            }
            // Without a change rule only input addresses matter: read the narrow clustering input (ClusterInputs.swift).
            let lean = usesCospendsOnly(profile)
            // Links (`link.deposit-address`) read the whole chain: a resumed run of a profile with links loads all
            // of it, walks only the transactions after the watermark, then redoes the links from the walk's state.
            let hasLinks = !profile.links.isEmpty
            let chain = lean ? nil : try ChainIndexLoader.load(db, after: hasLinks ? nil : resume?.watermark,
                                                               columns: needsSpenders(profile) ? [.spenderShapes] : [])
            var walkFrom = 0
            if hasLinks, let chain, let mark = resume?.watermark {
                walkFrom = chain.positions.firstIndex { $0 > mark } ?? chain.positions.count
            }
            let addressBound = try chain?.addressBound ?? Int(max(0, (Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address") ?? -1) + 1))
            var tags: [AddressID: String] = [:]
            if !entityTags.isEmpty {
                for (address, tag) in entityTags {
                    if let id = try Int64.fetchOne(db, sql: "SELECT id FROM address WHERE address = ?", arguments: [address]) {
                        tags[AddressID(UInt32(truncatingIfNeeded: id))] = tag
                    }
                }
            }
            var stats = StoredStatistics()
            if let resume {
                stats = resume.statistics
                // The links are redone in full: their evidence (merges and refused links) goes first.
                if hasLinks {
                    try db.execute(sql: "DELETE FROM clusterEvidence WHERE (heuristics & ?) != 0", arguments: [Int64(Clusterer.linkBit)])
                }
            } else {
                try db.execute(sql: "DELETE FROM clusterEvidence")
            }
            func make() throws -> Clusterer {
                let clusterer: Clusterer
                if resume != nil && hasLinks {
                    // The stored cluster ids include the links; the walk resumes from its own merges, replayed
                    // (union by minimum gives the same ids whatever the order).
                    var uf = UnionFind(count: addressBound)
                    let merges = try RawStatement(db, "SELECT a, b FROM clusterEvidence WHERE kind = 0 AND (heuristics & ?) = 0")
                    merges.bind(1, Int64(Clusterer.linkBit))
                    while try merges.step() {
                        let a = merges.int64(0), b = merges.int64(1)
                        guard a >= 0, b >= 0, a < Int64(addressBound), b < Int64(addressBound) else {
                            throw StoreError.badData("stored evidence names address \(max(a, b)) beyond the \(addressBound) known; run spoor cluster --fresh", at: nil)
                        }
                        _ = uf.union(UInt32(a), UInt32(b))
                    }
                    merges.reset()
                    clusterer = Clusterer(profile: profile, unionFind: uf, seen: try storedSeen(db),
                                          changeKinds: Self.decodeChangeKinds(try storedChangeKinds(db)), entityTags: tags)
                } else if resume != nil {
                    var roots = (0..<UInt32(addressBound)).map { $0 }
                    let stored = try RawStatement(db, "SELECT addressId, clusterId FROM addressCluster")
                    while try stored.step() {
                        let a = stored.int64(0), c = stored.int64(1)
                        if a >= 0 && a < Int64(roots.count) { roots[Int(a)] = UInt32(truncatingIfNeeded: c) }
                    }
                    stored.reset()
                    let uf: UnionFind
                    do { uf = try UnionFind(roots: roots) } catch {
                        throw StoreError.badData("stored clusters are inconsistent: \(error); run spoor cluster --fresh", at: nil)
                    }
                    clusterer = Clusterer(profile: profile, unionFind: uf, seen: try storedSeen(db),
                                          changeKinds: Self.decodeChangeKinds(try storedChangeKinds(db)), entityTags: tags)
                } else {
                    clusterer = Clusterer(profile: profile, addressCount: addressBound, entityTags: tags)
                }
                return clusterer
            }
            var clusterer: Clusterer
            var cospends: CospendRun?
            if let chain {
                clusterer = try make()
                clusterer.process(chain.index, walkingFrom: walkFrom)
            } else {
                (clusterer, cospends) = try ClusterStore.clusterCospends(db, after: resume?.watermark, make: make)
            }
            let roots = clusterer.clusterIDs()
            // Stored counts are the walk's (they add up run after run); the links' are this run's, over everything.
            stats.add(clusterer.statisticsBeforeLinks ?? clusterer.statistics)
            // A profile with links always runs from scratch, so this run's count is the whole chain's.
            stats.depositServices = profile.links.isEmpty ? nil : clusterer.statistics.depositServices

            try db.execute(sql: "DELETE FROM addressCluster")
            let insert = try RawStatement(db, "INSERT INTO addressCluster(addressId, clusterId) VALUES (?, ?)")
            for (a, r) in roots.enumerated() where r != UInt32(a) {
                insert.bind(1, Int64(a)); insert.bind(2, Int64(r))
                try insert.run()
            }
            let evidence = try RawStatement(db, "INSERT INTO clusterEvidence(kind, a, b, txId, heuristics) VALUES (?, ?, ?, ?, ?)")
            for (kind, log) in [(Int64(0), clusterer.merges), (Int64(1), clusterer.stops)] {
                for i in 0..<log.count {
                    let r = log[i]
                    evidence.bind(1, kind); evidence.bind(2, Int64(r.a.raw)); evidence.bind(3, Int64(r.b.raw))
                    evidence.bind(4, Int64(r.tx.raw)); evidence.bind(5, Int64(r.heuristics))
                    try evidence.run()
                }
            }
            let watermark = chain?.positions.last ?? cospends?.lastPosition ?? resume?.watermark
            let processed = chain.map { $0.index.txCount - walkFrom } ?? cospends?.transactions ?? 0
            let total = (resume?.transactions ?? 0) + processed
            let idSum = (resume?.idSum ?? 0) &+ (chain?.index.txStoreID[walkFrom...].reduce(Int64(0)) { $0 &+ Int64($1) } ?? cospends?.idSum ?? 0)
            let newState = ClusterRunState(profile: profile.id, profileHash: profile.hash, watermark: watermark,
                                           transactions: total, statistics: stats, tagsDigest: tagsDigest, idSum: idSum)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try db.execute(sql: "INSERT OR REPLACE INTO clusterState(key, value) VALUES ('run', ?)",
                           arguments: [try encoder.encode(newState)])
            let seenData = clusterer.seen.withUnsafeBytes { Data($0) }
            try db.execute(sql: "INSERT OR REPLACE INTO clusterState(key, value) VALUES ('seen', ?)", arguments: [seenData])
            try db.execute(sql: "INSERT OR REPLACE INTO clusterState(key, value) VALUES ('changeKinds', ?)",
                           arguments: [Self.encodeChangeKinds(clusterer.changeKindsBeforeLinks ?? clusterer.changeKinds)])
            var summary = try summarize(db, state: newState, unionFind: clusterer.unionFind)
            if let walk = clusterer.statisticsBeforeLinks {
                let all = clusterer.statistics
                for (id, n) in all.merges where n != walk.merges[id] { summary.mergesPerHeuristic[id.rawValue, default: 0] += n - (walk.merges[id] ?? 0) }
                for (id, n) in all.guardRefusals where n != walk.guardRefusals[id] {
                    summary.guardRefusals[id.rawValue, default: 0] += n - (walk.guardRefusals[id] ?? 0)
                }
            }
            summary.incremental = resume != nil
            summary.transactionsProcessed = processed
            summary.seconds = Date().timeIntervalSince(started)
            return summary
        }
    }

    static func storedSeen(_ db: Database) throws -> [UInt64] {
        let seen = try Data.fetchOne(db, sql: "SELECT value FROM clusterState WHERE key = 'seen'") ?? Data()
        var words = [UInt64](repeating: 0, count: seen.count / 8)
        _ = words.withUnsafeMutableBytes { seen.copyBytes(to: $0) }
        return words
    }

    static func storedChangeKinds(_ db: Database) throws -> Data {
        try Data.fetchOne(db, sql: "SELECT value FROM clusterState WHERE key = 'changeKinds'") ?? Data()
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

    static func digest(_ tags: [String: String]) -> String {
        let text = tags.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        return Array(text.utf8).withUnsafeBytes { Hex.encode(Hashing.sha256($0).bytes) }
    }

    static func loadState(_ db: Database) throws -> ClusterRunState? {
        guard let data = try Data.fetchOne(db, sql: "SELECT value FROM clusterState WHERE key = 'run'") else { return nil }
        return try? JSONDecoder().decode(ClusterRunState.self, from: data)
    }

    /// Count and id sum of the best-chain (and loose) transactions up to `mark` in chain order.
    static func countTransactions(_ db: Database, upTo mark: ChainPosition) throws -> (Int, Int64) {
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

    static func summarize(_ db: Database, state: ClusterRunState, unionFind: UnionFind) throws -> ClusterSummary {
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
