import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// bitcoin-etl's own test data for mainnet blocks 50001–50002: its expected (enriched) transactions give every
/// input's spent address and value and every fee; Spoor must derive the same from Core's RPC answers alone.
@Suite struct BitcoinETLOracleTests {
    static let dir = Fixtures.url("bitcoin-etl/bitcoin/stream_50001_50002")

    @Test func inputsAreEnrichedLikeBitcoinETL() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.dir.path).sorted()
        let spent = names.filter { $0.hasPrefix("rpc_response_getrawtransaction_") }
        let blocks = names.filter { $0.hasPrefix("rpc_response_getblock_") && $0.hasSuffix("_2.json") }
        #expect(spent.count == 3 && blocks.count == 2)

        let path = try temporaryDatabasePath()
        let database = try CaseDatabase(path: path)
        var options = IngestOptions()
        options.network = .main
        let ingestor = Ingestor(database: database, options: options)
        // The spent transactions first (loose), then the blocks that spend them.
        let sources: [any ChainSource] = (spent + blocks).map {
            NodeJSONSource(path: Self.dir.appendingPathComponent($0).path, network: .main)
        }
        let summary = try ingestor.ingest(sources)
        #expect(summary.unresolvedInputs == 0)

        let expected = try String(contentsOf: Self.dir.appendingPathComponent("expected_transactions.json"),
                                  encoding: .utf8)
        var checked = 0
        for line in expected.split(separator: "\n") {
            let row = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let txid = try #require((row["hash"] as? String).flatMap(Txid.init(hex:)))
            let stored = try #require(try StoreQueries.transactions(txid, in: database).first)
            #expect(stored.block?.height == row["block_number"] as? Int)
            #expect(stored.fee == (row["fee"] as? NSNumber)?.int64Value, "fee of \(txid)")
            let inputs = row["inputs"] as? [[String: Any]] ?? []
            #expect(stored.inputs.filter { !$0.coinbase }.count == inputs.count)
            for (k, input) in inputs.enumerated() {
                let mine = stored.inputs[k]
                #expect(mine.resolved)
                #expect(mine.value == (input["value"] as? NSNumber)?.int64Value, "value of input \(k) of \(txid)")
                #expect([mine.address].compactMap { $0 } == input["addresses"] as? [String],
                        "address of input \(k) of \(txid)")
                #expect(mine.prevout?.txid.hex == input["spent_transaction_hash"] as? String)
            }
            checked += 1
        }
        #expect(checked == 4)
    }
}
