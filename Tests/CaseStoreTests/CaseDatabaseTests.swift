import BitcoinPrimitives
@testable import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// Opening refuses what is not a writable Spoor database, with errors that say so; a full disk rolls back.
@Suite struct CaseDatabaseTests {
    /// A writable connection sorts more records than fit one run through temporary files instead of keeping every
    /// record in memory: a bulk load's end sorts whole tables (its deferred indexes, the spent-by pass), which near
    /// the full chain outgrow the machine's memory. The run is the page cache's size, lowered here to SQLite's floor
    /// (250 pages, 4 MiB) so that 120,000 keys of 64 bytes outgrow it; while the sorted rows are read, the runs are
    /// open temporary files.
    @Test func sortsLargerThanARunSpillToTemporaryFiles() throws {
        let db = try CaseDatabase(path: try temporaryDatabasePath())
        let (before, during) = try db.write { db in
            try db.execute(sql: """
                PRAGMA cache_size = 16;
                CREATE TABLE sorted(k BLOB);
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
                INSERT INTO sorted SELECT randomblob(64) FROM n;
                """)
            let before = Self.openSQLiteTemporaryFiles()
            let rows = try Row.fetchCursor(db, sql: "SELECT k FROM sorted ORDER BY k")
            _ = try rows.next()
            return (before, Self.openSQLiteTemporaryFiles())
        }
        #expect(during > before, "the sort's runs are files (\(before) open before, \(during) during)")
    }

    /// Sorts over whole tables run with the page cache — the sorter's run size — at a few MiB, and the writer's
    /// cache comes back afterwards, also when the sort fails; the ingest's end leaves the connection as it was.
    @Test func wholeTableSortsRunInSmallRunsAndRestoreTheCache() throws {
        let db = try CaseDatabase(path: try temporaryDatabasePath())
        func cacheKiB(_ db: Database) throws -> Int { -(try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? 0) }
        try db.write { db in
            #expect(try cacheKiB(db) == CaseDatabase.writerCacheKiB)
            let inside = try CaseDatabase.sortingWholeTables(db) { try cacheKiB(db) }
            #expect(inside == CaseDatabase.wholeTableSortRunKiB && inside < CaseDatabase.writerCacheKiB / 64)
            #expect(try cacheKiB(db) == CaseDatabase.writerCacheKiB)
            #expect(throws: DatabaseError.self) {
                try CaseDatabase.sortingWholeTables(db) { try db.execute(sql: "SELECT * FROM no_such_table") }
            }
            #expect(try cacheKiB(db) == CaseDatabase.writerCacheKiB)
        }
        try db.ensureIndexes()
        try db.finishDeferredSpends()
        #expect(try db.write { try cacheKiB($0) } == CaseDatabase.writerCacheKiB)
    }

    /// SQLite's temporary files open in this process (its unix VFS names them etilqs_…, unlinked once open).
    static func openSQLiteTemporaryFiles() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { fd in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"))?.contains("etilqs_") == true
        }.count
    }

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
            // Every completed creation ends with this row; an older Spoor wrote it too.
            try queue.write { db in try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('application', 'spoor')") }
        }
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
        guard case let .olderSchema(_, pending) = error else { Issue.record("\(error)"); return }
        #expect(pending == ["v6-cluster-inputs", "v7-cluster-input-details", "v8-chain-inputs", "v9-short-lookup-keys"])
        #expect(error.description.contains("older version of Spoor") && error.description.contains("spoor cluster --db"))
        _ = try CaseDatabase(path: path)
        #expect(try StoreQueries.stats(CaseDatabase(path: path, mode: .readOnly)).blocks == 0)
    }

    /// Only `create` makes a database: a reader or a writer of an existing one (cluster, tags import) facing a
    /// missing or 0-byte file says what to run first and leaves the file as it was. Before, `cluster` and
    /// `report` initialised an empty file and went on to write an empty report with exit 0.
    @Test(arguments: [CaseDatabase.Mode.readOnly, .readWrite])
    func onlyCreateMakesADatabase(mode: CaseDatabase.Mode) throws {
        let path = try temporaryDatabasePath()
        let missing = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: mode) }
        #expect(missing.description.contains("does not exist") && missing.description.contains("spoor ingest"))
        #expect(!FileManager.default.fileExists(atPath: path))
        FileManager.default.createFile(atPath: path, contents: Data())
        let empty = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: mode) }
        #expect(empty.description.contains("empty file (0 bytes)"))
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue == 0)
        #expect(try CaseDatabase(path: path, mode: .create).network() == nil, "create initialises it")
        let created = try CaseDatabase(path: path, mode: mode)
        #expect(throws: StoreError.self) { try created.requireChainData() }
    }

    /// A creation cut short (a full disk after the first schema step): a reader says so instead of calling the
    /// file "written by an older version of Spoor".
    @Test func anInterruptedCreationIsNamedAsSuch() throws {
        let path = try temporaryDatabasePath()
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA application_id = \(CaseDatabase.applicationID)") }
            try Schema.migrator().migrate(queue, upTo: "v1")
        }
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
        #expect(error.description.contains("never completely created") && !error.description.contains("older version"))
    }

    /// Evidence on write-protected media: the reader opens the file immutable — nothing written beside it (no
    /// -shm, no -wal), where SQLite would otherwise need to create the -shm of a WAL database and fail. A -wal
    /// file still holding changes would be invisible to an immutable open: refused, with what to do.
    @Test func readOnlyMediaIsReadWithoutWritingBesideIt() throws {
        let dir = try Fixtures.temporaryDirectory("ro-media")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("case.sqlite").path
        try ingest(RegtestFixture.items(try RegtestFixture.blocks()), into: path)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "a writer that closes leaves no WAL")
        let reader = try CaseDatabase(path: path, mode: .readOnly, readOnlyMedia: true)
        #expect(try StoreQueries.stats(reader).blocks == 104)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["case.sqlite"])
        try Data(repeating: 1, count: 100).write(to: URL(fileURLWithPath: path + "-wal"))
        let error = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly, readOnlyMedia: true) }
        #expect(error.description.contains("-wal"))
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
