import BitcoinAddresses
import Foundation
import GRDB
import GRDBSQLite

/// A case database: one SQLite file (WAL mode) holding the chain data of one investigation.
///
/// Opening checks, in order, that the file is SQLite, that it is Spoor's (its `application_id`), that no other
/// Spoor process is writing it, and that this build knows its schema; each failure is a `StoreError` that says
/// what to do. Writers take an advisory lock on the file for their whole life, so two ingests never interleave
/// their batches.
public final class CaseDatabase: @unchecked Sendable {
    public enum Mode: Sendable { case readWrite, readOnly }

    /// Where commands look when no `--db` is given.
    public static let defaultPath = "spoor.sqlite"
    /// `PRAGMA application_id` of every Spoor database: "Spor" in ASCII.
    public static let applicationID: Int32 = 0x5370_6F72

    public let path: String
    public let mode: Mode
    public let queue: DatabaseQueue
    private var lockDescriptor: Int32 = -1

    /// Opens (creating when absent and writable) the case database at `path`.
    /// - Parameter maxPageCount: caps the file size in pages; a test uses it to simulate a full disk.
    public init(path: String = CaseDatabase.defaultPath, mode: Mode = .readWrite, maxPageCount: Int? = nil) throws {
        self.path = path
        self.mode = mode
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: path)
        if exists {
            try Self.checkSQLiteHeader(path: path)
        } else if mode == .readOnly {
            throw StoreError.notASpoorDatabase(path: path, reason: "no such file; run spoor ingest first")
        }
        if mode == .readWrite {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if exists, !fm.isWritableFile(atPath: path) {
                throw StoreError.readOnly(path: path, reason: "the file is read-only")
            }
            if !fm.isWritableFile(atPath: directory.isEmpty ? "." : directory) {
                throw StoreError.readOnly(path: path, reason: "its folder \(directory) is not writable, and SQLite needs "
                                          + "to create its journal there")
            }
        }

        var config = Configuration()
        config.readonly = mode == .readOnly
        config.journalMode = mode == .readWrite ? .wal : .default
        config.busyMode = .timeout(2)
        config.label = "spoor"
        let pageLimit = maxPageCount
        config.prepareDatabase { db in
            // Memory-mapped reads: analysis scans whole tables (clustering reads tx, address, input and output
            // end to end), and through mmap SQLite reads pages in place instead of copying each one into its
            // page cache (measured: a third of SQLite's CPU time for those scans). Capped at SQLite's default
            // maximum; larger files are mapped up to it and read normally beyond.
            try db.execute(sql: "PRAGMA mmap_size = 2147418112")
            if !db.configuration.readonly {
                // 16 KiB pages for new files: a quarter of the page headers, WAL frames and syscalls of 4 KiB
                // pages for tables that are mostly appended. No effect on an existing database.
                try db.execute(sql: "PRAGMA page_size = 16384")
                try db.execute(sql: """
                    PRAGMA synchronous = NORMAL;
                    PRAGMA temp_store = MEMORY;
                    PRAGMA cache_size = -524288;
                    PRAGMA wal_autocheckpoint = 20000;
                    """)
                if let pageLimit { try db.execute(sql: "PRAGMA max_page_count = \(pageLimit)") }
            } else {
                try db.execute(sql: "PRAGMA cache_size = -131072")
            }
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw Self.mapError(error, path: path)
        }
        if mode == .readWrite { try takeWriterLock() }
        do {
            try prepareSchema()
        } catch {
            releaseWriterLock()
            throw Self.mapError(error, path: path)
        }
    }

    deinit { releaseWriterLock() }

    // MARK: Opening checks

    private static func checkSQLiteHeader(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError.readOnly(path: path, reason: "the file cannot be opened for reading")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head.isEmpty { return }  // An empty file becomes a new database.
        if head != Data("SQLite format 3\0".utf8) {
            throw StoreError.notASpoorDatabase(path: path, reason: "not an SQLite file")
        }
    }

    private func takeWriterLock() throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.readOnly(path: path, reason: "cannot open it: errno \(errno)") }
        // flock is independent of SQLite's POSIX record locks on Linux and macOS.
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            close(fd)
            throw StoreError.locked(path: path)
        }
        lockDescriptor = fd
    }

    private func releaseWriterLock() {
        if lockDescriptor >= 0 {
            flock(lockDescriptor, LOCK_UN)
            close(lockDescriptor)
            lockDescriptor = -1
        }
    }

    private func prepareSchema() throws {
        let migrator = Schema.migrator()
        if mode == .readOnly {
            try queue.read { db in
                try Self.checkIdentity(db, path: path)
                if try migrator.hasBeenSuperseded(db) { throw StoreError.newerSchema(path: path) }
                if try !migrator.hasCompletedMigrations(db) {
                    let applied = try migrator.appliedIdentifiers(db)
                    let pending = migrator.migrations.filter { !applied.contains($0) }
                    // A Spoor file always has the first migration; without it, it is something else.
                    guard let first = migrator.migrations.first, applied.contains(first) else {
                        throw StoreError.notASpoorDatabase(path: path, reason: "it has no Spoor schema")
                    }
                    throw StoreError.olderSchema(path: path, pending: pending)
                }
            }
            return
        }
        try queue.writeWithoutTransaction { db in
            let isNew = try Self.checkIdentity(db, path: path)
            if isNew { try db.execute(sql: "PRAGMA application_id = \(Self.applicationID)") }
            if try migrator.hasBeenSuperseded(db) { throw StoreError.newerSchema(path: path) }
        }
        try migrator.migrate(queue)
        try queue.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO meta(key, value) VALUES ('application', 'spoor')")
        }
    }

    /// Returns true for an empty database (new file); throws when the file belongs to another program.
    @discardableResult
    private static func checkIdentity(_ db: Database, path: String) throws -> Bool {
        let appID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        let objects = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") ?? 0
        if appID == applicationID { return false }
        if objects == 0 && appID == 0 { return true }
        throw StoreError.notASpoorDatabase(path: path, reason: appID == 0
            ? "an SQLite database of another program" : "SQLite application_id \(appID), not Spoor's")
    }

    /// Turns GRDB/SQLite errors into `StoreError`s naming this database; other errors pass through.
    public static func mapError(_ error: any Error, path: String) -> any Error {
        guard let e = error as? DatabaseError else { return error }
        switch e.resultCode {
        case .SQLITE_FULL: return StoreError.diskFull(path: path)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return StoreError.locked(path: path)
        case .SQLITE_READONLY: return StoreError.readOnly(path: path, reason: e.message ?? "read-only")
        case .SQLITE_NOTADB: return StoreError.notASpoorDatabase(path: path, reason: "not an SQLite file")
        case .SQLITE_CANTOPEN: return StoreError.readOnly(path: path, reason: "SQLite cannot open it")
        default: return StoreError.sqlite(code: e.extendedResultCode.rawValue, message: e.message ?? "\(e)", path: path)
        }
    }

    public func mapError(_ error: any Error) -> any Error { Self.mapError(error, path: path) }

    // MARK: Access

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw mapError(error) }
    }

    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch { throw mapError(error) }
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// The network the stored data belongs to, once an ingest has fixed it.
    public func network() throws -> Network? {
        try meta(MetaKey.network).flatMap(Network.init(rawValue:))
    }

    /// Size of the database file plus its WAL, in bytes.
    public var fileBytes: Int64 {
        let fm = FileManager.default
        var total: Int64 = 0
        for suffix in ["", "-wal"] {
            if let n = (try? fm.attributesOfItem(atPath: path + suffix))?[.size] as? NSNumber { total += n.int64Value }
        }
        return total
    }

    /// Copies the WAL into the main file and empties it (the file then holds everything on its own).
    public func checkpointWAL() throws {
        do { try queue.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } } catch { throw mapError(error) }
    }

    /// Creates the indexes a bulk load defers (txid and address lookups); an ingest calls this when it
    /// finishes, and readers may call it after an ingest was killed part-way.
    public func ensureIndexes() throws {
        try write { db in try Schema.createDeferredIndexes(db) }
    }

    /// The same as `ensureIndexes` (older name).
    public func ensureAnalysisIndexes() throws { try ensureIndexes() }
}

/// Keys of the `meta` table.
public enum MetaKey {
    public static let network = "network"
    public static let toolVersion = "tool_version"
    public static let schema = "schema"
    /// Hash and height of the last block of the last committed batch.
    public static let checkpointBlock = "checkpoint_block"
    public static let checkpointHeight = "checkpoint_height"
    public static let checkpointTransactions = "checkpoint_transactions"
}
