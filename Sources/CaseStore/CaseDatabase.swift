import BitcoinAddresses
import ChainSources
import Foundation
import GRDB
import GRDBSQLite

/// A case database: one SQLite file (WAL mode) holding the chain data of one investigation.
///
/// Opening checks, in order, that the file is SQLite, that it is Spoor's (its `application_id`), that no other
/// Spoor process is writing it, and that this build knows its schema; each failure is a `StoreError` that says
/// what to do. Writers take an advisory lock on the file for their whole life, so two ingests never interleave
/// their batches.
///
/// Only `create` makes a database: the other modes refuse a missing, empty (0-byte) or half-created file with
/// an error naming what to run first, so a command that reads never leaves an empty case behind. `readOnly`
/// never writes: on write-protected media (the file or its folder not writable) it opens the file as immutable,
/// since SQLite cannot create the `-shm` file a WAL database otherwise needs; it refuses instead when a `-wal`
/// file still holds changes that an immutable open would not see.
public final class CaseDatabase: @unchecked Sendable {
    public enum Mode: Sendable {
        /// Create the file and its schema when absent (ingest, fetch, investigate).
        case create
        /// An existing case database, written and brought up to date (cluster, tags import).
        case readWrite
        /// An existing case database, read only (every command that only reads).
        case readOnly
    }

    /// Where commands look when no `--db` is given.
    public static let defaultPath = "spoor.sqlite"
    /// `PRAGMA application_id` of every Spoor database: "Spor" in ASCII.
    public static let applicationID: Int32 = 0x5370_6F72

    public let path: String
    public let mode: Mode
    public let queue: DatabaseQueue
    private var lockDescriptor: Int32 = -1

    /// Opens the case database at `path` (creating it only in `create` mode).
    /// - Parameters:
    ///   - maxPageCount: caps the file size in pages; a test uses it to simulate a full disk.
    ///   - readOnlyMedia: in `readOnly` mode, whether to open as on write-protected media (immutable); nil
    ///     decides from the file's and its folder's permissions. Tests set it: they run as root, whom no
    ///     permission stops.
    public init(path: String = CaseDatabase.defaultPath, mode: Mode = .create, maxPageCount: Int? = nil,
                readOnlyMedia: Bool? = nil) throws {
        self.path = path
        self.mode = mode
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: path)
        if exists {
            let empty = try Self.checkSQLiteHeader(path: path)
            if empty && mode != .create { throw StoreError.notCreated(path: path, reason: "is an empty file (0 bytes)") }
        } else if mode != .create {
            throw StoreError.notCreated(path: path, reason: "does not exist")
        }
        var immutable = false
        if mode == .readOnly {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            immutable = readOnlyMedia ?? (!fm.isWritableFile(atPath: path)
                                          || !fm.isWritableFile(atPath: directory.isEmpty ? "." : directory))
            if immutable, let wal = (try? fm.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber, wal.intValue > 0 {
                throw StoreError.readOnly(path: path, reason: "it is on write-protected media and its -wal file still "
                    + "holds \(wal.intValue) bytes of changes that only a writer can fold in; copy the database with its "
                    + "-wal file to writable storage and open the copy")
            }
        }
        if mode != .readOnly {
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
        config.journalMode = mode == .readOnly ? .default : .wal
        config.busyMode = .timeout(2)
        config.label = "spoor"
        config.prepareDatabase { db in try Self.configureConnection(db, pageLimit: maxPageCount) }
        do {
            queue = try DatabaseQueue(path: immutable ? Self.immutableURI(path) : path, configuration: config)
        } catch {
            throw Self.mapError(error, path: path)
        }
        if mode != .readOnly { try takeWriterLock() }
        do {
            try prepareSchema()
        } catch {
            releaseWriterLock()
            throw Self.mapError(error, path: path)
        }
    }

    deinit { releaseWriterLock() }

    /// Each connection's settings, applied by GRDB whenever it opens one.
    private static func configureConnection(_ db: Database, pageLimit: Int?) throws {
        // Memory-mapped reads: analysis scans whole tables (clustering reads tx, address, input and output
        // end to end), and through mmap SQLite reads pages in place instead of copying each one into its
        // page cache (measured: a third of SQLite's CPU time for those scans). Capped at SQLite's default
        // maximum; larger files are mapped up to it and read normally beyond.
        try db.execute(sql: "PRAGMA mmap_size = 2147418112")
        if !db.configuration.readonly {
            // 16 KiB pages for new files: a quarter of the page headers, WAL frames and syscalls of 4 KiB
            // pages for tables that are mostly appended. No effect on an existing database.
            try db.execute(sql: "PRAGMA page_size = 16384")
            // temp_store FILE: a sort larger than the page cache is sorted in runs of that size (512 MiB; 4 MiB
            // for the whole-table sorts, `sortingWholeTables`), each written to a temporary file (in
            // SQLITE_TMPDIR, else /var/tmp, /usr/tmp or /tmp) and merged; under MEMORY SQLite's sorter keeps
            // every record in memory. The sorts that matter are a bulk
            // load's end — every deferred index and the spent-by pass, each over a whole table, ≈ 1.1 B inputs
            // near the full chain — and a sort that fits one run is never written. Set once, here:
            // changing it fails inside a transaction once the connection has opened its temporary database.
            // threads: those runs are sorted and merged on a second core.
            try db.execute(sql: """
                PRAGMA synchronous = NORMAL;
                PRAGMA temp_store = FILE;
                PRAGMA cache_size = -\(writerCacheKiB);
                PRAGMA wal_autocheckpoint = 20000;
                PRAGMA threads = 2;
                """)
            if let pageLimit { try db.execute(sql: "PRAGMA max_page_count = \(pageLimit)") }
        } else {
            try db.execute(sql: "PRAGMA cache_size = -131072")
        }
    }

    /// A writable connection's page cache (KiB), which is also the run size of SQLite's sorter.
    static let writerCacheKiB = 524_288

    /// The sorter's run size (KiB) for sorts over whole tables. SQLite sorts each run in memory as a linked list
    /// before writing it out: at 512 MiB that sort is bound by cache misses and runs on one core, while runs of a
    /// few MiB sort within the CPU's caches and the second sorter thread merges beside it: a 10M case's index
    /// builds take about half the wall and three quarters of the CPU (`Tests/Benchmarks/ingest-results.md`).
    static let wholeTableSortRunKiB = 4_096

    /// Runs `body` — sorts over whole tables on a writable connection — with the page cache, and so the sorter's
    /// runs, at `wholeTableSortRunKiB`, then restores the cache. The table pages those sorts read come through
    /// mmap, not the cache; pages they modify beyond it go to the WAL early instead of at commit.
    static func sortingWholeTables<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA cache_size = -\(wholeTableSortRunKiB)")
        let result: T
        do {
            result = try body()
        } catch {
            try? db.execute(sql: "PRAGMA cache_size = -\(writerCacheKiB)")
            throw error
        }
        try db.execute(sql: "PRAGMA cache_size = -\(writerCacheKiB)")
        return result
    }

    // MARK: Opening checks

    /// Checks the file starts as SQLite; returns true for an empty file (which only `create` may initialise).
    private static func checkSQLiteHeader(path: String) throws -> Bool {
        let head: [UInt8]
        do {
            let (fd, _) = try InputFile.openRegular(path)
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 16)
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 16) }
            head = Array(buffer.prefix(max(n, 0)))
        } catch {
            throw StoreError.readOnly(path: path, reason: error.message)
        }
        if head.isEmpty { return true }
        if head != Array("SQLite format 3\0".utf8) {
            throw StoreError.notASpoorDatabase(path: path, reason: "not an SQLite file")
        }
        return false
    }

    /// An SQLite URI opening `path` immutable: no locks, no `-shm`, nothing written (Debian's SQLite reads URI
    /// file names).
    private static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
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
                    // A Spoor file always has the first migration; without it, its creation stopped short.
                    guard let first = migrator.migrations.first, applied.contains(first) else {
                        throw StoreError.notCreated(path: path, reason: "was never completely created (its creation "
                                                    + "was interrupted, by a full disk or a kill)")
                    }
                    // Every creation ends by writing meta 'application' (since the first version): without it,
                    // the steps are missing because the creation stopped, not because the file is old.
                    if try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM meta WHERE key = 'application')") == true {
                        throw StoreError.notCreated(path: path, reason: "was never completely created (its creation "
                                                    + "was interrupted, by a full disk or a kill)")
                    }
                    throw StoreError.olderSchema(path: path, pending: pending)
                }
                // Spent-by links a bulk load has not set yet: answers would call spent outputs unspent.
                if try DeferredSpends.isPending(db) { throw StoreError.unfinishedIngest(path: path) }
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
            // A bulk load killed before its end: its spent-by links are set before anything reads or extends it.
            try DeferredSpends.finish(db)
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

    /// Throws unless the database holds at least one transaction: analysis of an empty case would write an
    /// empty report that reads like a finding.
    public func requireChainData() throws {
        let any = try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tx)") ?? false }
        if !any { throw StoreError.notCreated(path: path, reason: "holds no transactions") }
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

    /// Sets the spent-by links a bulk load deferred (`DeferredSpends`), if one is pending: an ingest calls this
    /// when it ends, and every writable open does, so a killed bulk load is finished before anything reads it.
    public func finishDeferredSpends() throws {
        try write { db in _ = try DeferredSpends.finish(db) }
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
