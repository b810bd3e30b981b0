import CaseStore
import ChainIndex
import Clustering
import Foundation
// The store hands its transaction (`Database`) through: the run is one write transaction.
import GRDB
import Tracing

/// Runs a clustering over the case database: reads the stored run, lets `ClusterPlanner` decide whether to
/// extend it, loads the chain index (or streams the narrow co-spend input), walks it with a `Clusterer`, and
/// stores the result through `ClusterRunStore`. The result is the same whether it extends or starts over.
public enum ClusterRunner {
    /// Clusters the database with `profile` (see `ClusterPlanner.plan` for when a stored clustering is extended).
    /// - Parameters:
    ///   - entityTags: entity label per address string (tags, watchlists) for the entity guard.
    ///   - site: the watchlist's addresses, for `guard.roles` (unused when the profile does not turn it on). The
    ///     roles are read from the whole chain before the walk (`siteRoles`), so such a run always starts over.
    ///   - progress: told of each step as it starts and, while the walk goes, of the transactions done every
    ///     65,536 (`ClusterProgress`); nil (the default) adds no work to the walk.
    @discardableResult
    public static func run(_ database: CaseDatabase, profile: HeuristicProfile, entityTags: [String: String] = [:],
                           site: [String] = [], allowIncremental: Bool = true,
                           progress: ((ClusterProgress) -> Void)? = nil) throws -> ClusterSummary {
        let started = Date()
        var report: ((ClusterProgress.Step, Int?, Int?) -> Void)?
        if let progress {
            var current: ClusterProgress.Step?, stepStarted = started
            report = { step, done, total in
                let now = Date()
                if step != current { current = step; stepStarted = now }
                progress(ClusterProgress(step: step, done: done, total: total, seconds: now.timeIntervalSince(started),
                                         stepSeconds: now.timeIntervalSince(stepStarted)))
            }
        }
        return try database.write { db in
            let roleSite = profile.guards.roles ? site : []
            // The site is part of the guards' input: a run with another site does not extend this one.
            let tagsDigest = guardInputDigest(entityTags: entityTags, site: roleSite)
            let stored = try ClusterRunStore.state(db)
            var plan = try ClusterPlanner.plan(profile: profile, tagsDigest: tagsDigest, stored: stored.map(facts),
                                               chainAtWatermark: stored?.watermark.map { try chain(db, at: $0) },
                                               allowIncremental: allowIncremental && roleSite.isEmpty)
            if !roleSite.isEmpty {
                // Roles are read from the whole chain (its address index and spends), so the walk reads it all.
                plan.readsCospendsOnly = false
                plan.columns.insert(.links)
            }
            switch plan.start {
            case .fresh: break  // `store` rewrites the evidence whole; the walk reads none of it
            case .replayedWalkMerges: try ClusterRunStore.dropEvidence(db, carrying: Clusterer.linkBit)
            case .storedClusters: break
            }
            var walk = try self.walk(db, plan: plan, profile: profile, tags: try entityTagIDs(db, entityTags),
                                     site: try StoreQueries.addressIDs(roleSite, db).values.sorted(), progress: report)
            report?(.writing, nil, nil)
            let state = try store(db, &walk, previous: plan.start == .fresh ? nil : stored, profile: profile,
                                  tagsDigest: tagsDigest)
            var summary = try ClusterRunStore.summary(db, state: state)
            addLinkCounts(walk.clusterer, to: &summary)
            summary.incremental = plan.start != .fresh
            summary.transactionsProcessed = walk.processed
            summary.seconds = Date().timeIntervalSince(started)
            return summary
        }
    }

    /// What one walk did.
    struct Walk {
        var clusterer: Clusterer
        /// The last transaction clustered (the previous watermark when nothing was new).
        var watermark: ChainPosition?
        var processed: Int
        var idSum: Int64
    }

    static func facts(_ s: ClusterRunState) -> StoredRunFacts {
        StoredRunFacts(profileHash: s.profileHash, tagsDigest: s.tagsDigest, watermark: s.watermark,
                       transactions: s.transactions, idSum: s.idSum)
    }

    static func chain(_ db: Database, at mark: ChainPosition) throws -> ChainAtWatermark {
        let (count, idSum) = try ClusterRunStore.countTransactions(db, upTo: mark)
        return ChainAtWatermark(transactions: count, idSum: idSum, endsItsBlock: try ClusterRunStore.watermarkEndsItsBlock(db, mark))
    }

    static func entityTagIDs(_ db: Database, _ entityTags: [String: String]) throws -> [AddressID: String] {
        var tags: [AddressID: String] = [:]
        for (address, id) in try StoreQueries.addressIDs(Array(entityTags.keys), db) {
            tags[AddressID(UInt32(truncatingIfNeeded: id))] = entityTags[address]
        }
        return tags
    }

    /// Walks what the plan says: the narrow co-spend input, streamed, or the chain index.
    static func walk(_ db: Database, plan: ClusterPlan, profile: HeuristicProfile, tags: [AddressID: String],
                     site: [Int] = [], progress: ((ClusterProgress.Step, Int?, Int?) -> Void)? = nil) throws -> Walk {
        if plan.readsCospendsOnly {
            let bound = try ClusterRunStore.addressBound(db)
            let make = { try makeClusterer(db, plan: plan, profile: profile, addressBound: bound, tags: tags) }
            var tick: ((Int) -> Void)?
            if let progress {
                // Rows still to read: all of them less those up to where the stored run stopped (an estimate).
                let rows = try ClusterRunStore.cospendRowCount(db)
                let clustered = try plan.resumeAfter.map { try ClusterRunStore.countTransactions(db, upTo: $0).count } ?? 0
                let total = max(1, rows - clustered)
                progress(.clustering, 0, total)
                tick = { progress(.clustering, $0, total) }
            }
            let (clusterer, run) = try clusterCospends(db, after: plan.resumeAfter, make: make, tick: tick)
            return Walk(clusterer: clusterer, watermark: run.lastPosition ?? plan.resumeAfter, processed: run.transactions,
                        idSum: run.idSum)
        }
        progress?(.reading, nil, nil)
        let chain = try ChainIndexLoader.load(db, after: plan.loadAfter, columns: plan.columns)
        let from = plan.walkStart(in: chain.positions)
        let roles = site.isEmpty ? ObservedRoles() : siteRoles(chain.index, site: site, addressBound: chain.addressBound)
        var clusterer = try makeClusterer(db, plan: plan, profile: profile, addressBound: chain.addressBound, tags: tags,
                                          roles: roles)
        progress?(.clustering, 0, chain.index.txCount - from)
        clusterer.process(chain.index, walkingFrom: from, progress: progress.map { report in
            { walked, toWalk in report(.clustering, walked, toWalk) }
        })
        return Walk(clusterer: clusterer, watermark: chain.positions.last ?? plan.resumeAfter,
                    processed: chain.index.txCount - from,
                    idSum: chain.index.txStoreID[from...].reduce(Int64(0)) { $0 &+ Int64($1) })
    }

    /// Clusters the narrow co-spend input after `after`, streamed (`ClusterStore.streamCospends`); when its rows
    /// are out of chain order, starts over from `make()` and loads and sorts them first (`loadCospends`). Either
    /// way the result is that of `Clusterer.process` over the transactions in chain order.
    /// `tick`, when given, is called with the rows streamed so far every 65,536 rows.
    public static func clusterCospends(_ db: Database, after: ChainPosition? = nil, make: () throws -> Clusterer,
                                       tick: ((Int) -> Void)? = nil) throws -> (Clusterer, CospendRun) {
        var clusterer = try make()
        do { try clusterer.beginCospends(addressBound: try ClusterRunStore.addressBound(db)) } catch {
            throw StoreError.badData("\(error)", at: nil)
        }
        let streamed: CospendRun?
        if let tick {
            // Moved in and out, never copied: a second reference would make the first write copy the union-find.
            var counting = CountingVisitor(inner: consume clusterer, tick: tick)
            streamed = try ClusterStore.streamCospends(db, after: after, into: &counting)
            clusterer = (consume counting).inner
        } else {
            streamed = try ClusterStore.streamCospends(db, after: after, into: &clusterer)
        }
        if let run = streamed {
            clusterer.endCospends()
            return (clusterer, run)
        }
        clusterer = try make()
        let loaded = try ClusterStore.loadCospends(db, after: after, candidates: clusterer.hasCoinJoinRules)
        do { try clusterer.process(loaded.cospends) } catch { throw StoreError.badData("clusterInput: \(error)", at: nil) }
        return (clusterer, CospendRun(transactions: loaded.cospends.count, addressBound: loaded.addressBound,
                                      lastPosition: loaded.lastPosition, idSum: loaded.idSum,
                                      candidates: loaded.cospends.candidates.txCount, streamed: false))
    }

    /// The digest a stored run keeps of its guards' input: the entity tags and, for `guard.roles`, the site (a run
    /// with other tags or another site does not extend it; `evaluate` tells by it which site a run read).
    public static func guardInputDigest(entityTags: [String: String], site: [String]) -> String {
        ClusterRunStore.tagsDigest(entityTags.merging(site.map { ("site:" + $0, "site") }) { a, _ in a })
    }

    /// `guard.roles`' input from the watchlist's addresses, over `chain`: the whole chain, loaded with `.links`.
    public static func observedRoles(_ db: Database, chain: ChainIndex, site: [String], addressBound: Int) throws -> ObservedRoles {
        let seeds = try StoreQueries.addressIDs(site, db).values.sorted()
        return seeds.isEmpty ? ObservedRoles() : siteRoles(chain, site: seeds, addressBound: addressBound)
    }

    /// `guard.roles`' input: the site as the site's own transactions show it (`SiteExpansion` over single
    /// addresses, never the clustering being made), and who pays it (`ObservedRoles`). `chain` is the whole chain.
    static func siteRoles(_ chain: ChainIndex, site seeds: [Int], addressBound: Int) -> ObservedRoles {
        chain.indexAddresses()
        let site = SiteExpansion.expand(seeds: seeds, graph: chain, clusters: .singletons(addressCapacity: addressBound))
        return ObservedRoles.observe(chain, site: Set(site.members.map { UInt32(truncatingIfNeeded: $0) }))
    }

    /// The clusterer the plan starts from.
    static func makeClusterer(_ db: Database, plan: ClusterPlan, profile: HeuristicProfile, addressBound: Int,
                              tags: [AddressID: String], roles: ObservedRoles = ObservedRoles()) throws -> Clusterer {
        switch plan.start {
        case .fresh:
            return Clusterer(profile: profile, addressCount: addressBound, entityTags: tags, roles: roles)
        case .replayedWalkMerges:
            var uf = UnionFind(count: addressBound)
            try ClusterRunStore.forEachMerge(db, excluding: Clusterer.linkBit, addressBound: addressBound) { _ = uf.union($0, $1) }
            return Clusterer(profile: profile, unionFind: uf, seen: try ClusterRunStore.seen(db),
                             changeKinds: try ClusterRunStore.changeKinds(db), entityTags: tags)
        case .storedClusters:
            let roots = try ClusterRunStore.storedRoots(db, addressBound: addressBound)
            let uf: UnionFind
            do { uf = try UnionFind(roots: roots) } catch {
                throw StoreError.badData("stored clusters are inconsistent: \(error); run spoor cluster --fresh", at: nil)
            }
            return Clusterer(profile: profile, unionFind: uf, seen: try ClusterRunStore.seen(db),
                             changeKinds: try ClusterRunStore.changeKinds(db), entityTags: tags)
        }
    }

    /// Writes the walk's cluster ids, evidence and state; returns the state. Stored counts are the walk's (they
    /// add up run after run); the links' are this run's, over everything (a profile with links always reads the
    /// whole chain, so this run's count is the whole chain's).
    static func store(_ db: Database, _ walk: inout Walk, previous: ClusterRunState?, profile: HeuristicProfile,
                      tagsDigest: String) throws -> ClusterRunState {
        try ClusterRunStore.writeClusters(db, roots: walk.clusterer.clusterIDs())
        let clusterer = walk.clusterer
        var stats = previous?.statistics ?? StoredStatistics()
        add(clusterer.statisticsBeforeLinks ?? clusterer.statistics, to: &stats)
        stats.depositServices = profile.links.isEmpty ? nil : clusterer.statistics.depositServices
        func writeEvidence() throws {
            for (kind, log) in [(Int64(0), clusterer.merges), (Int64(1), clusterer.stops)] {
                try ClusterRunStore.appendEvidence(db, kind: kind, count: log.count) { i in
                    let r = log[i]
                    return (r.a.raw, r.b.raw, r.tx.raw, r.heuristics)
                }
            }
        }
        if previous == nil {  // a fresh run: its evidence is all there is
            try ClusterRunStore.rewritingWhole(.clusterEvidence, db, writeEvidence)
        } else {
            try writeEvidence()
        }
        let state = ClusterRunState(profile: profile.id, profileHash: profile.hash, watermark: walk.watermark,
                                    transactions: (previous?.transactions ?? 0) + walk.processed, statistics: stats,
                                    tagsDigest: tagsDigest, idSum: (previous?.idSum ?? 0) &+ walk.idSum)
        try ClusterRunStore.writeState(db, state, seen: clusterer.seen,
                                       changeKinds: clusterer.changeKindsBeforeLinks ?? clusterer.changeKinds)
        return state
    }

    static func add(_ s: ClusterStatistics, to stored: inout StoredStatistics) {
        stored.transactions += s.transactions
        stored.excluded += s.excludedTransactions
        for (k, v) in s.merges { stored.merges[k.rawValue, default: 0] += v }
        for (k, v) in s.exclusions { stored.exclusions[k.rawValue, default: 0] += v }
        for (k, v) in s.guardRefusals { stored.guards[k.rawValue, default: 0] += v }
        stored.changeOutputs += s.changeOutputs
    }

    /// The links' merges and refusals of this run, which the stored (walk) counts leave out.
    static func addLinkCounts(_ clusterer: Clusterer, to summary: inout ClusterSummary) {
        guard let walk = clusterer.statisticsBeforeLinks else { return }
        let all = clusterer.statistics
        for (id, n) in all.merges where n != walk.merges[id] { summary.mergesPerHeuristic[id.rawValue, default: 0] += n - (walk.merges[id] ?? 0) }
        for (id, n) in all.guardRefusals where n != walk.guardRefusals[id] {
            summary.guardRefusals[id.rawValue, default: 0] += n - (walk.guardRefusals[id] ?? 0)
        }
    }
}

/// Where a clustering run is, for a progress line: the step, and while it clusters, the transactions done of the
/// total (an estimate when co-spends stream: rows less those clustered before).
public struct ClusterProgress: Sendable {
    public enum Step: String, Sendable {
        case reading = "reading the chain"
        case clustering
        case writing = "writing the clusters"
    }
    public var step: Step
    public var done: Int?
    public var total: Int?
    /// Since the run began.
    public var seconds: Double
    /// Since this step began: what the estimate of the step's time left is drawn from (the chain's loading
    /// before the walk would otherwise count as clustering time).
    public var stepSeconds: Double

    public init(step: Step, done: Int?, total: Int?, seconds: Double, stepSeconds: Double? = nil) {
        self.step = step; self.done = done; self.total = total; self.seconds = seconds
        self.stepSeconds = stepSeconds ?? seconds
    }

    /// The share done, when the step counts its transactions.
    public var fractionComplete: Double? {
        guard let done, let total, total > 0 else { return nil }
        return min(1, Double(done) / Double(total))
    }
}

/// A co-spend visitor that counts the rows it passes on and calls `tick` every 65,536.
struct CountingVisitor<Inner: CospendVisitor>: CospendVisitor {
    var inner: Inner
    let tick: (Int) -> Void
    var count = 0

    var wantsCandidates: Bool { inner.wantsCandidates }

    func wantsColumns(inputCount: Int, outputCount: Int) -> Bool {
        inner.wantsColumns(inputCount: inputCount, outputCount: outputCount)
    }

    mutating func visit(tx: UInt32, flags: UInt8, addresses: UnsafeRawBufferPointer, candidate: ChainIndex?) throws {
        try inner.visit(tx: tx, flags: flags, addresses: addresses, candidate: candidate)
        count += 1
        if count & 0xFFFF == 0 { tick(count) }
    }
}
