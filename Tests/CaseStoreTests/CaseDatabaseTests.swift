import BitcoinPrimitives
@testable import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// Opening refuses what is not a writable Spoor database, with errors that say so; a full disk rolls back.
@Suite struct CaseDatabaseTests {
    @Test func refusesAFileThatIsNotSQLite() throws {
        let path = try temporaryDatabasePath()
        try Data("address,label\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path) }
        #expect(error.description.contains("not a Spoor case database"))
        #expect(error.description.contains("not an SQLite file"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("address,label\n".utf8))
    }

    @Test func refusesAnotherProgramsDatabase() throws {
        let path = try temporaryDatabasePath()
        let other = try DatabaseQueue(path: path)
        try other.write { db in try db.execute(sql: "CREATE TABLE contacts(name TEXT)") }
        try other.close()
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path) }
        #expect(error.description.contains("another program"))
        let reader = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
        #expect(reader.description.contains("not a Spoor case database"))
    }

    @Test func refusesASecondWriter() throws {
        let path = try temporaryDatabasePath()
        let first = try CaseDatabase(path: path)
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path) }
        #expect(error.description.contains("locked by another process"))
        // Readers are not blocked by a writer (WAL).
        #expect(try StoreQueries.stats(CaseDatabase(path: path, mode: .readOnly)).blocks == 0)
        _ = first
    }

    @Test func refusesADatabaseFromANewerSpoor() throws {
        let path = try temporaryDatabasePath()
        do {
            let db = try CaseDatabase(path: path)
            try db.write { db in try db.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v99')") }
        }
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path) }
        #expect(error.description.contains("newer version of Spoor"))
    }

    /// A case file from an older Spoor: a reader says which schema steps are pending and how to apply them;
    /// a writer applies them, after which the reader opens it.
    @Test func olderSchemaIsNamedAndUpgradedByAWriter() throws {
        let path = try temporaryDatabasePath()
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA application_id = \(CaseDatabase.applicationID)") }
            try Schema.migrator().migrate(queue, upTo: "v5-store-deferred-indexes")
        }
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
        guard case let .olderSchema(_, pending) = error else { Issue.record("\(error)"); return }
        #expect(pending == ["v6-cluster-inputs", "v7-cluster-input-details"])
        #expect(error.description.contains("older version of Spoor") && error.description.contains("spoor cluster --db"))
        _ = try CaseDatabase(path: path)
        #expect(try StoreQueries.stats(CaseDatabase(path: path, mode: .readOnly)).blocks == 0)
    }

    @Test func readerNeedsAnExistingDatabase() throws {
        let path = try temporaryDatabasePath()
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
        #expect(error.description.contains("run spoor ingest first"))
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    /// Root writes read-only files anyway, so this runs only for ordinary users.
    @Test(.enabled(if: getuid() != 0, "root ignores file permissions"))
    func refusesAReadOnlyFile() throws {
        let path = try temporaryDatabasePath()
        _ = try CaseDatabase(path: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path) }
        #expect(error.description.contains("cannot be written"))
    }

    /// A full disk (SQLite's page limit stands in for it): the failing batch rolls back, earlier batches stay
    /// intact, and the same ingest run again on a roomier disk ends like a clean run.
    @Test func fullDiskRollsBackTheBatchAndResumes() throws {
        let reader = try BlockDirectorySource(
            directory: Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks"), network: nil)
        var items: [SourceItem] = []
        while let item = try reader.next() { items.append(item) }
        let clean = try temporaryDatabasePath()
        try ingest(items, into: clean, batchBlocks: 10)

        let cleanPages = try CaseDatabase(path: clean, mode: .readOnly).read { db in
            try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        }
        let path = try temporaryDatabasePath()
        let emptyPages = try CaseDatabase(path: path).read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        #expect(cleanPages > emptyPages + 4)
        do {
            // Room for the schema and about half of the data.
            let db = try CaseDatabase(path: path, maxPageCount: emptyPages + (cleanPages - emptyPages) / 2)
            var options = IngestOptions()
            options.batchBlocks = 10
            let ingestor = Ingestor(database: db, options: options, classify: hexScriptClassifier)
            let error = try #require(throws: StoreError.self) {
                try ingestor.ingest(ItemSource(items, network: .regtest))
            }
            #expect(error.description.contains("disk full"))
            let (blocks, check) = try db.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block") ?? -1,
                 try String.fetchOne(db, sql: "PRAGMA integrity_check"))
            }
            #expect(check == "ok")
            #expect(blocks % 10 == 0 && blocks < items.count, "whole batches only, \(blocks) blocks")
        }
        try ingest(items, into: path, batchBlocks: 10)
        #expect(try fullDump(path) == fullDump(clean))
    }
}
