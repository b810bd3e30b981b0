import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Clustering
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// The product path: ingest the bundled sample chain, cluster from the store, read results back.
@Suite struct ClusterStoreTests {
    static func sampleItems() throws -> [SourceItem] {
        let source = try BlockDirectorySource(directory: Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks"),
                                              network: .regtest)
        var items: [SourceItem] = []
        while let item = try source.next() { items.append(item) }
        return items
    }

    static func profile(_ name: String) throws -> HeuristicProfile {
        let url = Fixtures.repositoryRoot.appendingPathComponent("Heuristics/profiles/\(name).json")
        return try HeuristicProfile.load([UInt8](try Data(contentsOf: url)), file: url.path)
    }

    static func truth() throws -> GroundTruth {
        try GroundTruth(transactionsJSON: try Data(contentsOf: Fixtures.sampleChains.appendingPathComponent("small-seed1/truth/transactions.json")))
    }

    func assignments(_ db: CaseDatabase) throws -> [String] {
        try db.read { db in
            var rows: [String] = []
            try ClusterStore.forEachAssignment(db) { rows.append("\($0),\($1)") }
            return rows
        }
    }

    @Test func defaultProfileFromTheStoreMeetsTheReferenceFigures() throws {
        let path = try temporaryDatabasePath("cluster")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let profile = try Self.profile("default")
        let summary = try ClusterRunner.run(db, profile: profile)
        #expect(summary.profile == "default" && summary.profileHash == profile.hash)
        #expect(summary.transactions == 2470)
        #expect(summary.exclusionsPerRule["exclude.coinjoin.generic-funded"] == 3)
        #expect(summary.clusters == summary.singletons + Set(try assignments(db).map { $0.split(separator: ",")[1] }).count - summary.singletons)

        let (chain, txids) = try db.read { db in (try ClusterStore.load(db, spenders: true), try ClusterStore.txidsByID(db)) }
        var c = Clusterer(profile: profile, addressCount: chain.addressBound)
        c.process(chain.batch)
        let report = EvaluationReport(batch: chain.batch, txid: { txids[Int64($0.raw)] ?? "" }, truth: try Self.truth(), clusterer: &c)
        #expect(report.clustering.clusters == 1857)
        #expect(abs(report.clustering.precision - 0.99957) < 0.000005)
        #expect(abs(report.clustering.recall - 0.0284) < 0.00005)
        #expect(report.coinjoins.missed.isEmpty && report.coinjoins.flaggedOther.isEmpty)
        // The stored clustering agrees with the in-memory one.
        let stored = try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM addressCluster") ?? 0 }
        let roots = c.clusterIDs()
        #expect(stored == roots.enumerated().filter { $0.offset != Int($0.element) }.count)
    }

    /// Both paths: the full columns (change profile) and the narrow clustering input (default profile).
    @Test(arguments: ["change", "default"])
    func clusteringAfterAFurtherIngestExtendsAndEqualsAFreshRun(profileName: String) throws {
        let items = try Self.sampleItems()
        let half = items.count / 2
        let profile = try Self.profile(profileName)

        let incrementalPath = try temporaryDatabasePath("cluster-inc")
        try ingest(Array(items.prefix(half)), into: incrementalPath, classify: nil)
        let first = try ClusterRunner.run(try CaseDatabase(path: incrementalPath), profile: profile)
        #expect(!first.incremental)
        try ingest(Array(items.suffix(from: half)), into: incrementalPath, classify: nil)
        let incDB = try CaseDatabase(path: incrementalPath)
        let second = try ClusterRunner.run(incDB, profile: profile)
        #expect(second.incremental)
        #expect(second.transactionsProcessed < second.transactions)

        let freshPath = try temporaryDatabasePath("cluster-fresh")
        try ingest(items, into: freshPath, classify: nil)
        let freshDB = try CaseDatabase(path: freshPath)
        let fresh = try ClusterRunner.run(freshDB, profile: profile)
        #expect(try assignments(incDB) == assignments(freshDB))
        #expect(second.clusters == fresh.clusters)
        #expect(second.mergesPerHeuristic == fresh.mergesPerHeuristic)
        #expect(second.exclusionsPerRule == fresh.exclusionsPerRule)
        #expect(second.evidenceMerges == fresh.evidenceMerges && second.evidenceStops == fresh.evidenceStops)
    }

    @Test func explainWalksTheEvidenceAndNamesStoppedCoinJoins() throws {
        let path = try temporaryDatabasePath("cluster-explain")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        try ClusterRunner.run(db, profile: try Self.profile("default"))
        try db.read { db in
            // The largest cluster: its root and its last member are linked by a chain of co-spends.
            let cluster = try Int64.fetchOne(db, sql: "SELECT clusterId FROM addressCluster GROUP BY clusterId ORDER BY COUNT(*) DESC LIMIT 1")!
            let members = try ClusterStore.memberIDs(db, cluster: cluster)
            let a = try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.first!])!
            let b = try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.last!])!
            let e = try ClusterStore.explain(db, a, b)
            #expect(e.linked)
            #expect(e.chain.first?.from == a && e.chain.last?.to == b)
            for (x, y) in zip(e.chain, e.chain.dropFirst()) { #expect(x.to == y.from) }
            #expect(e.chain.allSatisfy { $0.heuristics == ["cospend.multi-input"] })

            // Two inputs of a CoinJoin: not linked, and the CoinJoin is named with its rule.
            let stop = try Row.fetchOne(db, sql: """
                SELECT aa.address, ab.address FROM clusterEvidence e JOIN address aa ON aa.id = e.a JOIN address ab ON ab.id = e.b
                WHERE e.kind = 1 ORDER BY e.id LIMIT 1
                """)!
            let n = try ClusterStore.explain(db, stop[0], stop[1])
            #expect(!n.linked)
            #expect(n.stoppedBy.count >= 1)
            #expect(n.stoppedBy.contains { $0.heuristics.contains("exclude.coinjoin.generic-funded") })
            let truth = try Self.truth()
            #expect(n.stoppedBy.allSatisfy { truth.transactions[$0.txid]?.kind == "coinjoin" })

            let d = try ClusterStore.detail(db, address: a, offset: 0, limit: 5)
            #expect(d.size == members.count && d.members.count == min(5, members.count))
            #expect(d.evidenceCounts["cospend.multi-input"] == members.count - 1)
        }
    }

    @Test func entityGuardRefusesJoiningDifferentlyTaggedAddressesAndTagsForceARerun() throws {
        let path = try temporaryDatabasePath("cluster-guard")
        try ingest(try Self.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let profile = try Self.profile("default")
        try ClusterRunner.run(db, profile: profile)
        let (a, b) = try db.read { db -> (String, String) in
            let cluster = try Int64.fetchOne(db, sql: "SELECT clusterId FROM addressCluster GROUP BY clusterId ORDER BY COUNT(*) DESC LIMIT 1")!
            let members = try ClusterStore.memberIDs(db, cluster: cluster)
            return (try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.first!])!,
                    try String.fetchOne(db, sql: "SELECT address FROM address WHERE id = ?", arguments: [members.last!])!)
        }
        let guarded = try ClusterRunner.run(db, profile: profile, entityTags: [a: "Exchange A", b: "Exchange B"])
        #expect(!guarded.incremental, "new tags must recluster from scratch")
        #expect((guarded.guardRefusals["guard.entity-tags"] ?? 0) >= 1)
        let e = try db.read { try ClusterStore.explain($0, a, b) }
        #expect(!e.linked)
        #expect(e.stoppedBy.contains { $0.heuristics.contains("guard.entity-tags") })
    }
}
