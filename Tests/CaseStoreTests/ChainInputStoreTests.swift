import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// The ingest records what it read (`chainInput`, migration v8) once per distinct input.
@Suite struct ChainInputStoreTests {
    static let chain = SampleChainIngestTests.chain

    @Test func eachInputIsRecordedOnceWithItsHash() throws {
        let path = try temporaryDatabasePath("inputs")
        _ = try SampleChainIngestTests.ingestBlocks(into: path)
        _ = try SampleChainIngestTests.ingestBlocks(into: path)  // the same files again: nothing new
        let database = try CaseDatabase(path: path)
        let gz = Self.chain.appendingPathComponent("rpc/blocks.jsonl.gz").path
        _ = try Ingestor(database: database).ingest(NodeJSONSource(path: gz))
        let inputs = try database.chainInputs()
        let blk = Self.chain.appendingPathComponent("blocks/blk00000.dat").path
        #expect(inputs.map(\.location) == [blk, gz])
        #expect(inputs.first?.sha256 == (try InputDigests.sha256sum(blk)))
        #expect(inputs.first?.bytes == 1_044_033)
        #expect(inputs.last?.decompressed == true)
        #expect(inputs.last?.sha256 == (try InputDigests.sha256sum(gz, decompressed: true)))
        let stamped = try database.read { db in try String.fetchAll(db, sql: "SELECT firstIngestedAt FROM chainInput") }
        #expect(stamped.count == 2 && stamped.allSatisfy { $0.hasPrefix("20") })
    }

    @Test func sourcesWithNothingToNameRecordNothing() throws {
        let database = try CaseDatabase(path: try temporaryDatabasePath("inputs"))
        _ = try Ingestor(database: database).ingest(ItemSource(RegtestFixture.items(try RegtestFixture.blocks()), network: .regtest))
        #expect(try database.chainInputs().isEmpty)
    }

    /// A node and an Esplora server round-trip through the table (what `spoor ingest --rpc` and `spoor fetch` record).
    @Test func serverInputsRoundTrip() throws {
        let database = try CaseDatabase(path: try temporaryDatabasePath("inputs"))
        let blocks = try RegtestFixture.blocks()
        var node = ChainInput(kind: .node, location: "http://127.0.0.1:18443/")
        node.chain = "regtest"
        node.firstHeight = 0
        node.tipHeight = 103
        node.tipHash = blocks[103].hash
        var esplora = ChainInput(kind: .esplora, location: "https://blockstream.info/api")
        esplora.blockHashes = blocks.prefix(3).map(\.hash).sorted()
        let source = RecordingSource(inputs: [node, esplora])
        _ = try Ingestor(database: database).ingest(source)
        _ = try Ingestor(database: database).ingest(RecordingSource(inputs: [node, esplora]))
        #expect(try database.chainInputs() == [node, esplora])
    }
}

/// An empty source that names given inputs.
final class RecordingSource: ChainSource {
    let inputs: [ChainInput]
    init(inputs: [ChainInput]) { self.inputs = inputs }
    var network: Network? { .regtest }
    func next() throws -> SourceItem? { nil }
    func inputsRead() throws -> [ChainInput] { inputs }
}
