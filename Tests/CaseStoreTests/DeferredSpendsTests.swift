import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// A bulk load leaves an old output's spent-by link to one sorted pass at its end (`DeferredSpends`). What is
/// stored must be exactly what linking every spend in place stores, however the bulk load ends: at the end of the
/// source, at a loose transaction, at a reorg, after a failure, or killed (then a read-only open refuses and a
/// writable one finishes the pass; the real kill is in `KillResumeTests`).
@Suite struct DeferredSpendsTests {
    static func sampleItems(_ chain: String = "small-seed1") throws -> [SourceItem] {
        let reader = try BlockDirectorySource(
            directory: Fixtures.sampleChains.appendingPathComponent(chain).appendingPathComponent("blocks"), network: nil)
        var items: [SourceItem] = []
        while let item = try reader.next() { items.append(item) }
        return items
    }

    static func blocks(_ items: [SourceItem]) -> [Block] {
        items.compactMap { if case .block(let sb) = $0 { sb.block } else { nil } }
    }

    /// Inputs linked to an output that does not name them back (a missing or wrong spent-by link).
    static func brokenLinks(_ path: String) throws -> Int {
        try CaseDatabase(path: path, mode: .readOnly).read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM input i JOIN output o ON o.id = i.spentOutputId WHERE o.spentByInputId IS NOT i.id
                """) ?? -1
        }
    }

    /// The outputs of earlier batches that a batch's inputs spend: what the bulk load defers.
    static func crossBatchSpends(_ path: String) throws -> Int {
        try CaseDatabase(path: path, mode: .readOnly).read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM input i JOIN tx ti ON ti.id = i.txId JOIN output o ON o.id = i.spentOutputId
                JOIN tx t ON t.id = o.txId JOIN block bi ON bi.id = ti.blockId JOIN block b ON b.id = t.blockId
                WHERE bi.height / 3 <> b.height / 3
                """) ?? -1
        }
    }

    /// A new case database and an ingestor for it in batches of 3 blocks, with the sample's items: a bulk load
    /// that has spends to defer.
    static func bulkLoader() throws -> (items: [SourceItem], path: String, db: CaseDatabase, ingestor: Ingestor) {
        let path = try temporaryDatabasePath()
        let db = try CaseDatabase(path: path)
        var options = IngestOptions()
        options.batchBlocks = 3
        options.network = .regtest
        return (try sampleItems(), path, db, Ingestor(database: db, options: options))
    }

    /// The first block alone is a bulk load with nothing to defer; the rest, a second ingest into a database that
    /// holds data, is no bulk load and links every spend in place. Row for row the same as one bulk load.
    @Test func bulkLoadStoresWhatInPlaceLinksStore() throws {
        let items = try Self.sampleItems()
        let bulk = try temporaryDatabasePath()
        let summary = try ingest(items, into: bulk, batchBlocks: 3, classify: nil)
        #expect(summary.timing.spentBySeconds > 0)
        let inPlace = try temporaryDatabasePath()
        try ingest(Array(items.prefix(1)), into: inPlace, batchBlocks: 3, classify: nil)
        try ingest(Array(items.dropFirst()), into: inPlace, batchBlocks: 3, classify: nil)
        #expect(try Self.crossBatchSpends(bulk) > 1000, "the pass has links to set")
        #expect(try Self.brokenLinks(bulk) == 0)
        #expect(try fullDump(bulk) == fullDump(inPlace))
    }

    /// A loose transaction ends the bulk load in the middle of a batch: the blocks staged before it in that batch
    /// (whose spends were deferred) are written first, so the pass links them too.
    @Test func looseTransactionInTheMiddleOfABatchEndsTheBulkLoad() throws {
        let items = try Self.sampleItems()
        let chain = Self.blocks(items)
        // An output no block spends, spent by a loose transaction that arrives after block k, the first block of
        // a batch (batches of 3), so the batch stages a block before it.
        let k = items.count * 2 / 9 * 3 + 1
        let spent = Set(chain.flatMap { $0.transactions.flatMap { $0.inputs.map(\.prevout) } })
        let (funding, vout) = try #require(chain[..<k].lazy.flatMap { b in
            b.transactions.dropFirst().lazy.flatMap { tx in
                tx.outputs.indices.lazy.map { (tx, $0) }
            }
        }.first { !spent.contains(OutPoint(txid: $0.0.txid, vout: UInt32($0.1))) })
        let loose = BlockFactory.spend([OutPoint(txid: funding.txid, vout: UInt32(vout))],
                                       outputs: [(funding.outputs[vout].value.satoshis - 300, [0x55])])
        let looseItem = SourceItem.transaction(loose, SourceLocation(file: "loose"))

        let oneSession = try temporaryDatabasePath()
        try ingest(Array(items[..<k]) + [looseItem] + Array(items[k...]), into: oneSession, batchBlocks: 3,
                   classify: nil)
        let twoSessions = try temporaryDatabasePath()
        try ingest(items, into: twoSessions, batchBlocks: 3, classify: nil)
        try ingest([looseItem], into: twoSessions, classify: nil)
        #expect(try Self.brokenLinks(oneSession) == 0)
        #expect(try canonicalDump(oneSession) == canonicalDump(twoSessions))
    }

    /// A reorg in the same session as the bulk load: the links of the blocks it keeps are set before it
    /// disconnects the others (whose spends are undone).
    @Test func reorgDuringTheBulkLoad() throws {
        let items = try Self.sampleItems()
        let chain = Self.blocks(items)
        let n = chain.count
        let fork = ReorgTests.branch(on: chain[n - 4], height: n - 3, count: 4, tag: 7)
        let path = try temporaryDatabasePath()
        let summary = try ingest(items + RegtestFixture.items(fork), into: path, batchBlocks: 3, classify: nil)
        #expect(summary.reorgs.map(\.blocksDisconnected) == [3])
        #expect(try Self.brokenLinks(path) == 0)
        let clean = try temporaryDatabasePath()
        try ingest(Array(items[..<(n - 3)]) + RegtestFixture.items(fork), into: clean, batchBlocks: 3, classify: nil)
        #expect(try canonicalDump(path) == canonicalDump(clean))
    }

    /// The state a kill leaves (inputs linked, their outputs not yet, the key in `meta`): a read-only open refuses
    /// with a message naming what to do; a writable open finishes the pass, and so does an ingest through a
    /// database opened before that state arose.
    @Test func unfinishedPassIsRefusedReadOnlyAndFinishedByAWriter() throws {
        let items = try Self.sampleItems()
        let path = try temporaryDatabasePath()
        try ingest(items, into: path, batchBlocks: 3, classify: nil)
        let clean = try fullDump(path)
        let unlink = """
            INSERT INTO meta(key, value) VALUES ('spent_by_deferred_from_input', '1');
            UPDATE output SET spentByInputId = NULL WHERE spentByInputId > 0;
            """
        try CaseDatabase(path: path, mode: .readWrite).write { db in try db.execute(sql: unlink) }

        let refused = try #require(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
        guard case .unfinishedIngest = refused else {
            Issue.record("expected unfinishedIngest, got \(refused)")
            return
        }
        #expect(refused.description.contains("run the ingest again"))
        _ = try CaseDatabase(path: path, mode: .readWrite)
        #expect(try fullDump(path) == clean)

        // An ingest through a database object that was open before: it finishes the pass before anything else.
        let db = try CaseDatabase(path: path, mode: .readWrite)
        try db.write { db in try db.execute(sql: unlink) }
        var options = IngestOptions()
        options.network = .regtest
        let again = try Ingestor(database: db, options: options).ingest(ItemSource(items, network: .regtest))
        #expect(again.transactionsAdded == 0)
        #expect(try fullDump(path) == clean)
    }

    /// What the deferral relies on: while a bulk load runs, no other writer can open the database (and run the
    /// pass, clearing the key, before the later batches are written), and a reader is told the links are unset.
    /// Both opens happen between batches; the load then ends exactly as one left alone does.
    @Test func otherOpensDuringTheBulkLoadAreRefused() throws {
        let (items, path, db, ingestor) = try Self.bulkLoader()
        var keyDuringLoad: String?
        var writerError: StoreError?
        var readerError: StoreError?
        let source = HookSource(items, at: items.count / 3) {
            keyDuringLoad = try Self.pendingKey(db)
            writerError = #expect(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readWrite) }
            readerError = #expect(throws: StoreError.self) { try CaseDatabase(path: path, mode: .readOnly) }
        }
        try ingestor.ingest(source)
        #expect(source.hookRan)
        #expect(keyDuringLoad == "1", "the opens happened during the bulk load")
        guard case .locked = writerError else {
            Issue.record("a writable open during the bulk load: expected locked, got \(String(describing: writerError))")
            return
        }
        guard case .unfinishedIngest = readerError else {
            Issue.record("a read-only open during the bulk load: expected unfinishedIngest, got \(String(describing: readerError))")
            return
        }
        #expect(try Self.pendingKey(db) == nil)
        #expect(try Self.brokenLinks(path) == 0)
        let uninterrupted = try temporaryDatabasePath()
        try ingest(items, into: uninterrupted, batchBlocks: 3, classify: nil)
        #expect(try fullDump(path) == fullDump(uninterrupted))
    }

    /// The first input id of a bulk load whose spent-by pass is pending; nil when none is.
    static func pendingKey(_ db: CaseDatabase) throws -> String? {
        try db.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'spent_by_deferred_from_input'")
        }
    }

    /// A source that fails part-way during a bulk load: the batches it committed keep their links.
    @Test func failureDuringTheBulkLoadLeavesCompleteLinks() throws {
        let (items, path, db, ingestor) = try Self.bulkLoader()
        _ = try #require(throws: SourceError.self) {
            try ingestor.ingest(HookSource.failing(items, failAfter: items.count * 3 / 4))
        }
        #expect(try Self.pendingKey(db) == nil)
        #expect(try Self.crossBatchSpends(path) > 100)
        #expect(try Self.brokenLinks(path) == 0)
    }
}
