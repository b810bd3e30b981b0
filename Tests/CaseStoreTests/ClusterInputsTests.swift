import BitcoinPrimitives
import CaseStore
import ChainIndex
import ChainSources
import Clustering
import Foundation
import Investigation
import GRDB
import SpoorTestSupport
import Testing

/// The narrow clustering input (`clusterInput`): derived at ingest, backfilled for older databases, and read by
/// clustering with the same result as the full columns. (Every ingest test's `fullDump`/`canonicalDump` also
/// checks the table against the chain tables: re-ingest, resume, any-order resolution, loose transactions,
/// reorgs, fetches.)
@Suite struct ClusterInputsTests {
    func rows(_ path: String) throws -> [String] {
        try CaseDatabase(path: path, mode: .readOnly).read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM clusterInput ORDER BY txId").map(\.description)
        }
    }

    /// A database made before the table existed gets it filled by the migration, row for row as the ingest writes it.
    @Test func backfillOfAnOlderDatabaseEqualsTheIngestsRows() throws {
        let path = try temporaryDatabasePath("backfill")
        try ingest(try ClusterStoreTests.sampleItems(), into: path, classify: nil)
        let written = try rows(path)
        #expect(written.count == 2470)
        #expect(written.contains { $0.contains("flags:2") }, "some transactions have equal outputs")
        #expect(written.contains { $0.contains("flags:1") }, "coinbases are flagged")
        #expect(written.contains { $0.contains("details:NULL") } && written.contains { $0.contains("details:Data") },
                "only CoinJoin candidates carry details")
        // Roll the file back to the schema before v6: no table, migrations not recorded.
        try CaseDatabase(path: path).write { db in
            try db.execute(sql: """
                DROP TABLE clusterInput;
                DELETE FROM grdb_migrations WHERE identifier IN ('v6-cluster-inputs', 'v7-cluster-input-details')
                """)
        }
        #expect(throws: (any Error).self) { try CaseDatabase(path: path, mode: .readOnly).read { _ in } }
        let upgraded = try CaseDatabase(path: path)
        #expect(try upgraded.read { try ClusterInputs.mismatches($0) }.isEmpty)
        #expect(try rows(path) == written)
    }

    /// The default profile from the narrow table gives the full columns' clusters, evidence and counts, and a
    /// table that disagrees with the addresses is refused with an error, not a crash.
    @Test func narrowLoadClustersLikeTheFullColumns() throws {
        let path = try temporaryDatabasePath("cospend")
        try ingest(try ClusterStoreTests.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        for name in ["default", "conservative"] {
            let profile = try ClusterStoreTests.profile(name)
            let (full, lean) = try db.read { db in (try ChainIndexLoader.load(db), try ClusterStore.loadCospends(db)) }
            #expect(lean.cospends.count == full.index.txCount && lean.addressBound == full.addressBound)
            #expect(lean.lastPosition == full.positions.last)
            #expect(lean.idSum == full.index.txStoreID.reduce(Int64(0)) { $0 + Int64($1) })
            var a = Clusterer(profile: profile, addressCount: full.addressBound)
            a.process(full.index)
            var b = Clusterer(profile: profile, addressCount: lean.addressBound)
            try b.process(lean.cospends)
            #expect(a.merges == b.merges && a.stops == b.stops && a.statistics == b.statistics)
            #expect(a.flagged.map(\.tx) == b.flagged.map(\.tx))
            #expect(a.clusterIDs() == b.clusterIDs())
        }
        let profile = try ClusterStoreTests.profile("default")
        let fresh = try ClusterRunner.run(db, profile: profile, allowIncremental: false)
        #expect(fresh.exclusionsPerRule["exclude.coinjoin.generic-funded"] == 3 && fresh.evidenceMerges > 0)

        // A table that disagrees with the chain is refused with an error naming the problem, never a crash.
        try db.write { db in try db.execute(sql: "CREATE TABLE saved AS SELECT * FROM clusterInput") }
        let corruptions = [
            "UPDATE clusterInput SET addresses = x'ffffff7fffffff7f' WHERE txId = (SELECT MAX(txId) FROM clusterInput)",
            "UPDATE clusterInput SET addresses = x'010203' WHERE txId = 5",
            "UPDATE clusterInput SET details = x'00' WHERE details IS NOT NULL",
        ]
        for sql in corruptions {
            try db.write { db in try db.execute(sql: sql) }
            #expect(throws: StoreError.self, "\(sql)") { try ClusterRunner.run(db, profile: profile, allowIncremental: false) }
            try db.write { db in try db.execute(sql: "DELETE FROM clusterInput; INSERT INTO clusterInput SELECT * FROM saved") }
        }
        let again = try ClusterRunner.run(db, profile: profile, allowIncremental: false)
        #expect(again.evidenceMerges == fresh.evidenceMerges && again.clusters == fresh.clusters)
    }

    /// Row by row in id order when ids follow the chain; a transaction stored loose before its block puts ids
    /// out of chain order, and the run falls back to sorting first. Both equal the full columns' clustering.
    @Test func streamingAndItsFallbackEqualTheFullColumns() throws {
        let items = try ClusterStoreTests.sampleItems()
        // A late multi-input transaction, stored loose before every block.
        var loose: Transaction?
        for case let .block(b) in items.reversed() {
            if let t = b.block.transactions.dropFirst().first(where: { $0.inputs.count >= 2 }) { loose = t; break }
        }
        let tx = try #require(loose)
        for (label, source) in [("in order", items), ("loose first", [.transaction(tx, SourceLocation(file: "tx.hex"))] + items)] {
            let path = try temporaryDatabasePath("stream")
            try ingest(source, into: path, classify: nil)
            let db = try CaseDatabase(path: path)
            let profile = try ClusterStoreTests.profile("default")
            let full = try db.read { try ChainIndexLoader.load($0) }
            var a = Clusterer(profile: profile, addressCount: full.addressBound)
            a.process(full.index)
            var (b, run) = try db.read { db in try ClusterRunner.clusterCospends(db) { Clusterer(profile: profile) } }
            #expect(run.streamed == (label == "in order"), "\(label)")
            #expect(run.transactions == full.index.txCount && run.lastPosition == full.positions.last, "\(label)")
            #expect(a.merges == b.merges && a.stops == b.stops && a.statistics == b.statistics, "\(label)")
            #expect(a.clusterIDs() == b.clusterIDs(), "\(label)")
            #expect(run.candidates > 0 && b.flagged.count == 3, "\(label)")
        }
    }
}
