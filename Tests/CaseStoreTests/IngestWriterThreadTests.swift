import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// A bulk load writes each batch on a second thread while the next one is staged (`IngestOptions.writerThread`).
/// What is stored must not depend on it: every public sample chain and the real mainnet blocks of the fixtures
/// give the same database, row for row, with and without the writer thread, in small batches so that many are
/// in flight.
@Suite struct IngestWriterThreadTests {
    static func ingest(blocks: URL, writerThread: Bool, batchBlocks: Int) throws -> (IngestSummary, [String]) {
        let path = try temporaryDatabasePath("writer-thread")
        var options = IngestOptions()
        options.writerThread = writerThread
        options.batchBlocks = batchBlocks
        let summary = try Ingestor(database: try CaseDatabase(path: path), options: options)
            .ingest(try BlockDirectorySource(directory: blocks, network: nil))
        return (summary, try fullDump(path))
    }

    static func expectSameDatabase(blocks: URL, batchBlocks: Int) throws {
        let (alone, aloneRows) = try ingest(blocks: blocks, writerThread: false, batchBlocks: batchBlocks)
        let (piped, pipedRows) = try ingest(blocks: blocks, writerThread: true, batchBlocks: batchBlocks)
        #expect(alone.timing.writerThreadBatches == 0)
        // Every batch but none: the path under test ran.
        #expect(piped.timing.writerThreadBatches >= alone.blocksAdded / batchBlocks)
        #expect(piped.transactionsAdded == alone.transactionsAdded)
        #expect(aloneRows.count == pipedRows.count)
        #expect(aloneRows == pipedRows)
    }

    @Test(arguments: ["small-seed1", "small-seed4", "small-seed5"])
    func sampleChainsStoreTheSameRows(chain: String) throws {
        try Self.expectSameDatabase(
            blocks: Fixtures.sampleChains.appendingPathComponent(chain).appendingPathComponent("blocks"), batchBlocks: 9)
    }

    /// Mainnet blocks 1–255, 277647, 413567 and 574200 (segwit) of the fixtures as one blocks directory.
    @Test func realMainnetBlocksStoreTheSameRows() throws {
        let dir = try Fixtures.temporaryDirectory("writer-thread-mainnet")
        var blk = try Fixtures.bytes("btcd/blocks1-256.dat") + Fixtures.bytes("btcd/277647.dat")
        for raw in ["bitcoin-core/block413567.raw", "btcd/block574200.blk"] {
            let block = try Fixtures.bytes(raw)
            blk += Network.main.magic + withUnsafeBytes(of: UInt32(block.count).littleEndian, Array.init) + block
        }
        try Data(blk).write(to: dir.appendingPathComponent("blk00000.dat"))
        try Self.expectSameDatabase(blocks: dir, batchBlocks: 5)
    }
}
