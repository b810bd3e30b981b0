import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// `StoreQueries.unspentOutputs` (`spoor stats --utxo`) against a UTXO set built here from the blocks alone, the
/// way Core builds its own: every output added except the genesis coinbase's and provably unspendable scripts,
/// every spent one removed. (Against a real node's `gettxoutsetinfo`: `NodeIntegrationTests`.)
@Suite struct UnspentOutputsTests {
    @Test func theStoresUTXOCountAndTotalEqualOnesBuiltFromTheBlocks() throws {
        let directory = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks")
        let path = try temporaryDatabasePath("utxo")
        _ = try Ingestor(database: try CaseDatabase(path: path))
            .ingest(try BlockDirectorySource(directory: directory, network: nil))

        var utxo: [OutPoint: Int64] = [:]
        var unspendableSeen = 0
        let source = try BlockDirectorySource(directory: directory, network: nil)
        while let item = try source.next() {
            guard case .block(let sb) = item else { continue }
            for tx in sb.block.transactions {
                for input in tx.inputs where !input.prevout.isNull { utxo[input.prevout] = nil }
                guard sb.height != 0 else { continue }
                for (n, output) in tx.outputs.enumerated() {
                    let script = output.scriptPubKey
                    if script.first == 0x6a || script.count > 10_000 {
                        unspendableSeen += 1
                        continue
                    }
                    utxo[OutPoint(txid: tx.txid, vout: UInt32(n))] = output.value.satoshis
                }
            }
        }
        #expect(unspendableSeen > 300, "every block's witness commitment is an OP_RETURN output")
        let stored = try StoreQueries.unspentOutputs(try CaseDatabase(path: path, mode: .readOnly))
        #expect(stored.count == utxo.count)
        #expect(stored.sat == utxo.values.reduce(0, +))
    }
}
