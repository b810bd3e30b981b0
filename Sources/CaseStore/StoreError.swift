import ChainSources

/// A failure of the case database or of an ingest, phrased so the analyst knows what to do next.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// The file exists but is not an SQLite database, or is one written by some other program.
    case notASpoorDatabase(path: String, reason: String)
    /// There is no case database to read yet (missing, empty, half created, or without chain data).
    case notCreated(path: String, reason: String)
    /// Written by a newer Spoor whose schema this build does not know.
    case newerSchema(path: String)
    /// Written by an older Spoor: migrations are pending, and a read-only command cannot apply them.
    case olderSchema(path: String, pending: [String])
    /// A bulk load has not set its spent-by links yet (`DeferredSpends`): an ingest is writing the database, or
    /// one was killed; a read-only command cannot finish it.
    case unfinishedIngest(path: String)
    /// Another process holds the write lock.
    case locked(path: String)
    /// The file or its folder cannot be written.
    case readOnly(path: String, reason: String)
    /// The disk (or the configured page limit) is full; the failing batch was rolled back.
    case diskFull(path: String)
    /// The database already holds data of another network.
    case networkMismatch(database: String, source: String)
    /// Two sources (or a source and the database) state different things about the same block or output.
    case sourcesDisagree(String, at: SourceLocation?)
    /// The source's chain cannot be joined to what is stored.
    case chainMismatch(String, at: SourceLocation?)
    /// A source item is malformed in a way the reader let through.
    case badData(String, at: SourceLocation?)
    /// SQLite failed for another reason.
    case sqlite(code: Int32, message: String, path: String)

    public var description: String {
        switch self {
        case let .notASpoorDatabase(path, reason):
            return "\(path) is not a Spoor case database (\(reason)); give another --db path"
        case let .notCreated(path, reason):
            return "\(path) \(reason): there is no case database to read yet; create it with "
                + "`spoor ingest SOURCE --db \(path)` (or `spoor fetch`, `spoor investigate`) first"
        case let .newerSchema(path):
            return "\(path) was written by a newer version of Spoor; upgrade Spoor to read it"
        case let .olderSchema(path, pending):
            return "\(path) was written by an older version of Spoor (schema steps not yet applied: "
                + pending.joined(separator: ", ") + "); run `spoor cluster --db \(path)` or `spoor ingest` once with this "
                + "version to upgrade it (nothing stored is lost)"
        case let .unfinishedIngest(path):
            return "\(path) is being written by an ingest, or one was stopped before it linked spent outputs to their "
                + "spenders; wait for it to end, or run the ingest again (or `spoor cluster --db \(path)`, which finishes "
                + "the links) before reading it"
        case let .locked(path):
            return "\(path) is locked by another process (another spoor ingest?); wait for it to finish"
        case let .readOnly(path, reason):
            return "\(path) cannot be written (\(reason))"
        case let .diskFull(path):
            return "disk full while writing \(path); the failing batch was rolled back, free space and run the same command again to resume"
        case let .networkMismatch(database, source):
            return "the database holds \(database) data but the source is \(source); use another --db"
        case let .sourcesDisagree(message, location):
            return (location.map { "\($0): " } ?? "") + "sources disagree: " + message
        case let .chainMismatch(message, location):
            return (location.map { "\($0): " } ?? "") + message
        case let .badData(message, location):
            return (location.map { "\($0): " } ?? "") + message
        case let .sqlite(code, message, path):
            return "SQLite error \(code) on \(path): \(message)"
        }
    }
}
