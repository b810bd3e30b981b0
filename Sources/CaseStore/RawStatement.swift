import GRDB
import GRDBSQLite

/// A prepared statement driven through SQLite's C API: binding integers and borrowed blobs without building
/// `StatementArguments`, which is what makes row-per-output inserts affordable. The GRDB `Statement` stays
/// in the connection's statement cache too; this drives its handle inside one transaction.
struct RawStatement {
    /// Held so GRDB cannot finalize the statement (e.g. when a schema change clears its cache) while in use.
    let statement: Statement
    let handle: OpaquePointer
    let connection: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        handle = statement.sqliteStatement
        guard let c = db.sqliteConnection else {
            throw StoreError.sqlite(code: SQLITE_MISUSE, message: "connection closed", path: db.description)
        }
        connection = c
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    @inline(__always) func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    @inline(__always) func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
    @inline(__always) func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }
    @inline(__always) func bindNull(_ index: Int32) { sqlite3_bind_null(handle, index) }

    /// Binds borrowed bytes (SQLITE_STATIC): the caller keeps them alive until `step`.
    @inline(__always) func bind(_ index: Int32, borrowed p: UnsafeRawBufferPointer) {
        sqlite3_bind_blob(handle, index, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(p.count), nil)
    }

    /// Binds a copy of the bytes (SQLITE_TRANSIENT).
    func bind(_ index: Int32, copying bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { p in
            sqlite3_bind_blob(handle, index, p.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(p.count),
                              unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    func bind(_ index: Int32, text: String) {
        sqlite3_bind_text(handle, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    /// Runs a statement that returns no rows.
    @inline(__always) func run() throws {
        let rc = sqlite3_step(handle)
        if rc != SQLITE_DONE && rc != SQLITE_ROW { try fail(rc) }
        sqlite3_reset(handle)
    }

    /// Steps once; true when a row is available (read it with `int64(_:)`, then call `reset()`).
    @inline(__always) func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        try fail(rc)
    }

    @inline(__always) func reset() { sqlite3_reset(handle) }

    @inline(__always) func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    @inline(__always) func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    @inline(__always) func optionalInt64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(handle, column)
    }

    /// The column's bytes in place, valid until the next `step` or `reset` (no copy).
    @inline(__always) func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer {
        let p = sqlite3_column_blob(handle, column)  // Before sqlite3_column_bytes, as SQLite's docs ask.
        let n = Int(sqlite3_column_bytes(handle, column))
        guard let p, n > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: p, count: n)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, column))
        guard n > 0, let p = sqlite3_column_blob(handle, column) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
    }

    private func fail(_ rc: Int32) throws -> Never {
        let message = String(cString: sqlite3_errmsg(connection))
        sqlite3_reset(handle)
        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message)
    }

    /// Rows changed by the last statement on this connection.
    var changes: Int { Int(sqlite3_changes(connection)) }
}
