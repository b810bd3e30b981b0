import CaseStore
import ChainSources
import Clustering
import Foundation
import GRDB
import Investigation
import SpoorTestSupport
import Synchronization
import Testing

/// A run that writes a result table whole writes it without its secondary indexes and builds them afterwards
/// (`ClusterRunStore.rewritingWhole`): the same indexes come back, an incremental run keeps the evidence ones, and
/// a failure leaves the table as it was.
@Suite struct ClusterResultIndexTests {
    static let resultIndexes = "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
        + "AND tbl_name IN ('addressCluster', 'clusterEvidence') AND sql IS NOT NULL ORDER BY name"

    /// Runs `body` with every statement SQLite runs on the writer traced, in order.
    static func tracing(_ db: CaseDatabase, _ body: () throws -> Void) throws -> [String] {
        let traced = Mutex<[String]>([])
        try db.queue.inDatabase { db in
            db.trace(options: .statement) { event in
                if case let .statement(s) = event { traced.withLock { $0.append(s.sql) } }
            }
        }
        defer { try? db.queue.inDatabase { db in db.trace(options: .statement, nil) } }
        try body()
        return traced.withLock { $0 }
    }

    /// Where in `statements` the first and last statements with `prefix` are.
    static func span(_ statements: [String], _ prefix: String) -> ClosedRange<Int>? {
        guard let first = statements.firstIndex(where: { $0.hasPrefix(prefix) }),
              let last = statements.lastIndex(where: { $0.hasPrefix(prefix) }) else { return nil }
        return first...last
    }

    @Test func freshRunsInsertWithoutTheIndexesAndBuildThemAfter() throws {
        let items = try ClusterStoreTests.sampleItems()
        let path = try temporaryDatabasePath("result-indexes")
        try ingest(Array(items.prefix(items.count / 2)), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        let schemaBefore = try db.read { try Row.fetchAll($0, sql: Self.resultIndexes) }
        #expect(schemaBefore.count == 3)
        let profile = try ClusterStoreTests.profile("default")

        let fresh = try Self.tracing(db) { try ClusterRunner.run(db, profile: profile, allowIncremental: false) }
        for (table, indexes) in [("addressCluster", ["addressCluster_cluster"]),
                                 ("clusterEvidence", ["clusterEvidence_a", "clusterEvidence_b"])] {
            let inserts = try #require(Self.span(fresh, "INSERT INTO \(table)"), "no rows written to \(table)")
            for index in indexes {
                let dropped = try #require(fresh.firstIndex(of: "DROP INDEX \"\(index)\""), "\(index) kept up row by row")
                let built = try #require(fresh.lastIndex { $0.hasPrefix("CREATE INDEX \(index) ") })
                #expect(dropped < inserts.lowerBound && inserts.upperBound < built)
            }
        }
        #expect(try db.read { try Row.fetchAll($0, sql: Self.resultIndexes) } == schemaBefore)
        let evidence = try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM clusterEvidence") ?? 0 }
        #expect(evidence > 0)

        // An incremental run appends evidence to the indexed table; the cluster ids are still written whole.
        var options = IngestOptions()
        options.network = .regtest
        try Ingestor(database: db, options: options).ingest(ItemSource(Array(items.dropFirst(items.count / 2)), network: .regtest))
        var summary: ClusterSummary?
        let incremental = try Self.tracing(db) { summary = try ClusterRunner.run(db, profile: profile) }
        #expect(summary?.incremental == true)
        #expect(!incremental.contains { $0.hasPrefix("DROP INDEX \"clusterEvidence") })
        #expect(incremental.contains("DROP INDEX \"addressCluster_cluster\""))
        #expect(try db.read { try Row.fetchAll($0, sql: Self.resultIndexes) } == schemaBefore)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM clusterEvidence") ?? 0 } >= evidence)
    }

    @Test func aFailedRewriteLeavesTheTableAndItsIndexes() throws {
        let path = try temporaryDatabasePath("result-indexes-fail")
        try ingest(try ClusterStoreTests.sampleItems(), into: path, classify: nil)
        let db = try CaseDatabase(path: path)
        try ClusterRunner.run(db, profile: try ClusterStoreTests.profile("default"))
        let count = "SELECT COUNT(*) FROM clusterEvidence"
        let (rows, schema) = try db.read { (try Int.fetchOne($0, sql: count) ?? 0, try Row.fetchAll($0, sql: Self.resultIndexes)) }
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try db.write { db in
                try ClusterRunStore.rewritingWhole(.clusterEvidence, db) { throw Refused() }
            }
        }
        #expect(try db.read { try Int.fetchOne($0, sql: count) ?? 0 } == rows && rows > 0)
        #expect(try db.read { try Row.fetchAll($0, sql: Self.resultIndexes) } == schema)
    }
}
