import CaseStore
import Clustering
import Foundation
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
        // Roll the file back to the schema before v6: no table, migration not recorded.
        try CaseDatabase(path: path).write { db in
            try db.execute(sql: "DROP TABLE clusterInput; DELETE FROM grdb_migrations WHERE identifier = 'v6-cluster-inputs'")
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
            let (full, lean) = try db.read { db in (try ClusterStore.load(db), try ClusterStore.loadCospends(db)) }
            #expect(lean.batch.count == full.batch.count && lean.addressBound == full.addressBound)
            #expect(lean.lastPosition == full.positions.last)
            #expect(lean.idSum == full.batch.txIDs.reduce(Int64(0)) { $0 + Int64($1) })
            var a = Clusterer(profile: profile, addressCount: full.addressBound)
            a.process(full.batch)
            var b = Clusterer(profile: profile, addressCount: lean.addressBound)
            try b.process(lean.batch)
            #expect(a.merges == b.merges && a.stops == b.stops && a.statistics == b.statistics)
            #expect(a.flagged.map(\.tx) == b.flagged.map(\.tx))
            #expect(a.clusterIDs() == b.clusterIDs())
        }
        let profile = try ClusterStoreTests.profile("default")
        let fresh = try ClusterRunner.run(db, profile: profile, allowIncremental: false)
        #expect(fresh.exclusionsPerRule["exclude.coinjoin.generic-funded"] == 3 && fresh.evidenceMerges > 0)

        try db.write { db in
            let bogus = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM address")! + 10
            var blob: [UInt8] = []
            withUnsafeBytes(of: UInt32(bogus).littleEndian) { blob.append(contentsOf: $0) }
            blob += blob
            try db.execute(sql: "UPDATE clusterInput SET addresses = ? WHERE txId = (SELECT MAX(txId) FROM clusterInput)", arguments: [Data(blob)])
        }
        #expect(throws: StoreError.self) { try ClusterRunner.run(db, profile: profile, allowIncremental: false) }
        try db.write { db in try db.execute(sql: "UPDATE clusterInput SET addresses = x'010203' WHERE txId = 5") }
        #expect(throws: StoreError.self) { try ClusterRunner.run(db, profile: profile, allowIncremental: false) }
    }
}
