import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// Ingesting what an adversary or a damaged disk hands over: refused with the place named, or stored with
/// what is missing said — never stored wrong.
@Suite struct HostileIngestTests {
    func blockCount(_ path: String) throws -> Int {
        try CaseDatabase(path: path, mode: .readOnly).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block") ?? -1 }
    }

    /// CVE-2012-2459 through the raw-block reader: the mutated block (a copy of the last transaction appended,
    /// same hash, same merkle root) is refused and leaves nothing; the genuine block then ingests. Before, the
    /// mutated block was stored with the txid twice (an address showed twice what it received) and the
    /// genuine one was refused as a disagreement.
    @Test func mutatedBlockIsRefusedAndTheGenuineOneIngests() throws {
        let genuine = try Fixtures.bytes("bitcoin-core/block413567.raw")
        let block = try Block(bytes: genuine)
        let mutated = Block(header: block.header, transactions: block.transactions + [block.transactions[1556]])
        let dir = try Fixtures.temporaryDirectory("mutated")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mutatedFile = dir.appendingPathComponent("mutated.bin"), genuineFile = dir.appendingPathComponent("genuine.bin")
        try Data(mutated.serialized()).write(to: mutatedFile)
        try Data(genuine).write(to: genuineFile)
        let path = dir.appendingPathComponent("case.sqlite").path
        var options = IngestOptions()
        options.network = .main
        let ingestor = Ingestor(database: try CaseDatabase(path: path), options: options)
        #expect {
            _ = try ingestor.ingest(RawBlockSource(file: mutatedFile, network: .main))
        } throws: { error in
            let text = "\(error)"
            return text.contains("mutated.bin") && text.contains("CVE-2012-2459")
        }
        #expect(try blockCount(path) == 0)
        let summary = try ingestor.ingest(RawBlockSource(file: genuineFile, network: .main))
        #expect(summary.blocksAdded == 1 && summary.transactionsAdded == 1557)
    }

    /// A blk file whose last record is cut short: the whole blocks before it are stored (Core's reindex keeps
    /// them too) and the error says so. Before, the open batch was dropped and nothing was stored.
    @Test func aCutShortLastRecordKeepsTheBlocksBeforeIt() throws {
        let bytes = try Fixtures.bytes("btcd/blk_0_to_4.dat")
        let dir = try Fixtures.temporaryDirectory("cut-short")
        defer { try? FileManager.default.removeItem(at: dir) }
        let blocks = dir.appendingPathComponent("blocks")
        try FileManager.default.createDirectory(at: blocks, withIntermediateDirectories: true)
        try Data(bytes.dropLast(100)).write(to: blocks.appendingPathComponent("blk00000.dat"))
        let path = dir.appendingPathComponent("case.sqlite").path
        let ingestor = Ingestor(database: try CaseDatabase(path: path))
        let error = try #require(throws: SourceError.self) {
            _ = try ingestor.ingest(BlockDirectorySource(directory: blocks, network: nil))
        }
        #expect(error.description.contains("truncated record") && error.description.contains("the 4 block(s)"))
        #expect(try blockCount(path) == 4)
    }

    /// Real mainnet blocks that do not connect to each other all reach the store, at their BIP34 heights, and
    /// the summary counts them as unconnected (the old reader gave the store one block of six).
    @Test func unconnectedPiecesAreStoredAndCounted() throws {
        let dir = try Fixtures.temporaryDirectory("pieces")
        defer { try? FileManager.default.removeItem(at: dir) }
        let early = try Fixtures.bytes("btcd/blocks1-256.dat")
        let b413567 = try Fixtures.bytes("bitcoin-core/block413567.raw")
        let record = { (b: [UInt8]) -> [UInt8] in
            Network.main.magic + withUnsafeBytes(of: UInt32(b.count).littleEndian) { Array($0) } + b
        }
        let firstLength = Int(early[4]) | Int(early[5]) << 8 | Int(early[6]) << 16
        try Data(record(b413567) + early.prefix(8 + firstLength)).write(to: dir.appendingPathComponent("blk00000.dat"))
        let path = dir.appendingPathComponent("case.sqlite").path
        let summary = try Ingestor(database: try CaseDatabase(path: path))
            .ingest(BlockDirectorySource(directory: dir, network: nil))
        #expect(summary.blocksAdded == 2 && summary.unconnectedBlocks == 1 && summary.unconnectedPieces == 1)
        let heights = try CaseDatabase(path: path, mode: .readOnly).read { db in
            try Int.fetchAll(db, sql: "SELECT height FROM block ORDER BY height")
        }
        #expect(heights == [1, 413_567])
    }
}
