import GRDB

/// Spent-by links a bulk load sets in one sorted pass at its end, instead of one in-place update per input.
///
/// `output.spentByInputId` of an output spent in a later batch than its own would be an in-place update of an old
/// row: once the `output` table outgrows SQLite's page cache, each one dirties a 16 KiB page of its own, written
/// twice (WAL frame, checkpoint) — the part of a bulk load's cost that grows with the chain
/// (Tests/Benchmarks/ingest-results.md, the scale run). The link is already stored once: the spending input's
/// `spentOutputId`, written with the input in the same batch. So a bulk load writes only that side for such spends
/// and sets the outputs' side here, in output-id order (each page read and written once).
///
/// Crash safety: the bulk load records `meta.spent_by_deferred_from_input` (the first input id whose spend it may
/// defer) before its first batch, and the pass deletes it in the transaction that sets the links. While the key
/// exists the database does not claim its spent-by links: a writable open finishes the pass first
/// (`CaseDatabase`), a read-only open refuses with `StoreError.unfinishedIngest`, and a later ingest starts by
/// finishing it. At rest, the column is complete, as if every link had been set in place. No other writer can run
/// the pass (and clear the key) while the bulk load still has batches to write: a writable open takes
/// `CaseDatabase`'s writer lock for its whole life, and another is refused while the ingest holds it.
enum DeferredSpends {
    static let metaKey = "spent_by_deferred_from_input"

    /// Records that spends by inputs from `firstInputId` on may leave their output's side unset.
    static func begin(_ db: Database, fromInput firstInputId: Int64) throws {
        try db.execute(sql: """
            INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value
            """, arguments: [metaKey, String(firstInputId)])
    }

    /// Whether a bulk load's links are still to be set (an ingest running, or killed, or failed before its end).
    static func isPending(_ db: Database) throws -> Bool {
        try firstDeferredInput(db) != nil
    }

    private static func firstDeferredInput(_ db: Database) throws -> Int64? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [metaKey]).flatMap { Int64($0) }
    }

    /// Sets `spentByInputId` from the inputs the pending bulk load wrote, in output-id order, and clears the key;
    /// nothing when no bulk load is pending. An output whose link is set already keeps it: a spend made after the
    /// bulk load ended in the same transaction (a loose transaction) was set in place and wins, as it would have.
    /// Runs inside the caller's write transaction; returns the number of links set.
    @discardableResult
    static func finish(_ db: Database) throws -> Int {
        guard let first = try firstDeferredInput(db) else { return 0 }
        return try CaseDatabase.sortingWholeTables(db) { try setLinks(from: first, db) }
    }

    private static func setLinks(from first: Int64, _ db: Database) throws -> Int {
        // SQLite's sorter orders the pairs; the updates then walk the output table once, front to back.
        let spends = try RawStatement(db, """
            SELECT spentOutputId, id FROM input WHERE id >= ? AND spentOutputId IS NOT NULL ORDER BY spentOutputId
            """)
        let link = try RawStatement(db, "UPDATE output SET spentByInputId = ? WHERE id = ? AND spentByInputId IS NULL")
        spends.bind(1, first)
        var linked = 0
        while try spends.step() {
            link.bind(1, spends.int64(1))
            link.bind(2, spends.int64(0))
            try link.run()
            linked += link.changes
        }
        spends.reset()
        try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [metaKey])
        return linked
    }
}
