import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import Testing

/// Idempotence, resume after a failure between or inside batches, any-order ingestion, loose transactions.
@Suite struct IngestLifecycleTests {
    @Test func ingestingTheSameDataTwiceChangesNothing() throws {
        let path = try temporaryDatabasePath()
        let items = RegtestFixture.items(try RegtestFixture.blocks())
        try ingest(items, into: path, batchBlocks: 9)
        let before = try fullDump(path)
        let again = try ingest(items, into: path, batchBlocks: 9)
        #expect(again.blocksAdded == 0)
        #expect(again.blocksSkipped == 104)
        #expect(again.transactionsAdded == 0)
        #expect(try fullDump(path) == before)
    }

    /// A source that fails part-way on bad data keeps every whole block before the fault (as Core's reindex
    /// does: the blocks before a cut are good); running the same ingest again ends with exactly the rows of a
    /// clean run.
    @Test(arguments: [1, 9, 10, 11, 57, 103])
    func resumeAfterFailureMatchesCleanRun(failAfter: Int) throws {
        let blocks = try RegtestFixture.blocks()
        let items = RegtestFixture.items(blocks)
        let clean = try temporaryDatabasePath()
        try ingest(items, into: clean, batchBlocks: 10)

        let path = try temporaryDatabasePath()
        let db = try CaseDatabase(path: path)
        var options = IngestOptions()
        options.batchBlocks = 10
        let ingestor = Ingestor(database: db, options: options, classify: hexScriptClassifier)
        let error = try #require(throws: SourceError.self) { try ingestor.ingest(HookSource.failing(items, failAfter: failAfter)) }
        let stored = try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block") ?? -1 }
        #expect(stored == failAfter, "the whole blocks before the fault are committed")
        #expect(error.description.contains("the \(failAfter) block(s)") && error.description.contains("were stored"))
        let resumed = try ingestor.ingest(ItemSource(items, network: .regtest))
        #expect(resumed.blocksSkipped == stored)
        #expect(try fullDump(path) == fullDump(clean))
    }

    /// Later blocks first, earlier ones afterwards: inputs wait unresolved, then link up and get fees.
    @Test func anyOrderIngestResolvesLater() throws {
        let blocks = try RegtestFixture.blocks()
        let clean = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(blocks), into: clean)

        let path = try temporaryDatabasePath()
        let first = try ingest(RegtestFixture.items(blocks[51...]), into: path)
        #expect(first.unresolvedInputs > 0)
        let feeless = try CaseDatabase(path: path, mode: .readOnly).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tx WHERE fee IS NULL") ?? 0
        }
        #expect(feeless == first.unresolvedInputs)
        let second = try ingest(RegtestFixture.items(blocks[..<51]), into: path)
        #expect(second.inputsResolvedLater == first.unresolvedInputs)
        #expect(second.unresolvedInputs == 0)
        #expect(try canonicalDump(path) == canonicalDump(clean))
    }

    /// A loose transaction stored first is confirmed (not duplicated) when its block arrives.
    @Test func looseTransactionIsAttachedToItsBlock() throws {
        let blocks = try RegtestFixture.blocks()
        let tx = blocks[103].transactions[2]
        let loose: [SourceItem] = [.transaction(tx, SourceLocation(file: "tx.hex", line: 1))]
        let path = try temporaryDatabasePath()
        let first = try ingest(loose, into: path)
        #expect(first.transactionsAdded == 1)
        #expect(first.unresolvedInputs == tx.inputs.count)
        let repeated = try ingest(loose, into: path)
        #expect(repeated.transactionsSkipped == 1 && repeated.transactionsAdded == 0)

        let summary = try ingest(RegtestFixture.items(blocks), into: path)
        #expect(summary.transactionsConfirmed == 1)
        #expect(summary.unresolvedInputs == 0)
        let clean = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(blocks), into: clean)
        #expect(try canonicalDump(path) == canonicalDump(clean))
        let found = try StoreQueries.transactions(tx.txid, in: CaseDatabase(path: path, mode: .readOnly))
        #expect(found.count == 1)
        #expect(found.first?.block?.height == 103)
        #expect(found.first?.inputs.allSatisfy(\.resolved) == true)
    }

    /// Bad data inside a batch: the error names the place and what was stored; the blocks before it are kept
    /// (they are whole and checked), nothing of the fault is written. Before, the whole batch was dropped:
    /// a cut-short last record left nothing stored at all.
    @Test func badDataKeepsTheWholeBlocksBeforeIt() throws {
        let items = RegtestFixture.items(try RegtestFixture.blocks())
        let path = try temporaryDatabasePath()
        let db = try CaseDatabase(path: path)
        let ingestor = Ingestor(database: db, classify: hexScriptClassifier)
        let error = try #require(throws: SourceError.self) {
            try ingestor.ingest(HookSource.failing(items, failAfter: 60))
        }
        #expect(error.description.contains("blk00000.dat") && error.description.contains("4242"))
        #expect(error.description.contains("the 60 block(s)"))
        let counts = try db.read { db in
            [try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block"), try Int.fetchOne(db, sql: "SELECT MAX(height) FROM block"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tx WHERE blockId IS NULL")]
        }
        #expect(counts == [60, 59, 0])
    }

    /// A block whose transactions were altered no longer matches its header: refused, nothing written.
    @Test func alteredBlockIsRefused() throws {
        var blocks = try RegtestFixture.blocks()
        var txs = blocks[102].transactions
        txs[1].outputs[0].value = Amount(satoshis: txs[1].outputs[0].value.satoshis + 1)
        let altered = Transaction(version: txs[1].version, inputs: txs[1].inputs, outputs: txs[1].outputs,
                                  lockTime: txs[1].lockTime)
        txs[1] = altered
        blocks[102] = Block(header: blocks[102].header, transactions: txs)
        let path = try temporaryDatabasePath()
        let error = try #require(throws: StoreError.self) {
            try ingest(RegtestFixture.items(blocks), into: path)
        }
        #expect(error.description.contains("merkle root"))
        let stored = try CaseDatabase(path: path, mode: .readOnly).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block")
        }
        #expect(stored == 0)
    }

    @Test func sourcesThatDisagreeAboutABlockAreRefused() throws {
        let blocks = try RegtestFixture.blocks()
        let path = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(blocks), into: path)
        let before = try fullDump(path)
        let wrongHeight: [SourceItem] = [.block(SourceBlock(block: blocks[50], height: 60,
                                                            location: SourceLocation(file: "other.jsonl", line: 51)))]
        let error = try #require(throws: StoreError.self) { try ingest(wrongHeight, into: path) }
        #expect(error.description.contains("other.jsonl, line 51"))
        #expect(error.description.contains("height 60"))

        // A prevout stated with another value than the stored output's.
        let spender = blocks[102]
        var prevouts: [[TxOut?]] = spender.transactions.map { tx in tx.inputs.map { _ in nil } }
        prevouts[1][0] = TxOut(value: Amount(satoshis: 1), scriptPubKey: [0x51])
        let fresh = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(blocks[..<102]), into: fresh)
        let statedWrong: [SourceItem] = [.block(SourceBlock(block: spender, height: 102, prevouts: prevouts,
                                                            location: SourceLocation(file: "b.jsonl", line: 103)))]
        let disagreement = try #require(throws: StoreError.self) { try ingest(statedWrong, into: fresh) }
        #expect(disagreement.description.contains("sources disagree"))
        #expect(try fullDump(path) == before)
    }
}
