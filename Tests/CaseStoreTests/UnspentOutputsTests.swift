import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import SpoorTestSupport
import Testing

/// `StoreQueries.unspentOutputs` (`spoor stats --utxo`) against a UTXO set built here from the blocks alone, the
/// way Core builds its own: every output added (a repeated txid overwriting the earlier one's, BIP30) except the
/// genesis coinbase's and provably unspendable scripts, every spent one removed. (Against a real node's
/// `gettxoutsetinfo`: `NodeIntegrationTests`.)
@Suite struct UnspentOutputsTests {
    /// Count and total of the UTXO set after `blocks`, heights 0, 1, 2, … in order.
    static func expected(_ blocks: [Block]) -> (count: Int, sat: Int64, unspendable: Int) {
        var utxo: [OutPoint: Int64] = [:]
        var unspendable = 0
        for (height, block) in blocks.enumerated() {
            for tx in block.transactions {
                for input in tx.inputs where !input.prevout.isNull { utxo[input.prevout] = nil }
                guard height != 0 else { continue }
                for (n, output) in tx.outputs.enumerated() {
                    let script = output.scriptPubKey
                    if script.first == 0x6a || script.count > 10_000 {
                        unspendable += 1
                        continue
                    }
                    utxo[OutPoint(txid: tx.txid, vout: UInt32(n))] = output.value.satoshis
                }
            }
        }
        return (utxo.count, utxo.values.reduce(0, +), unspendable)
    }

    @Test func theStoresUTXOCountAndTotalEqualOnesBuiltFromTheBlocks() throws {
        let directory = Fixtures.sampleChains.appendingPathComponent("small-seed1/blocks")
        let path = try temporaryDatabasePath("utxo")
        _ = try Ingestor(database: try CaseDatabase(path: path))
            .ingest(try BlockDirectorySource(directory: directory, network: nil))
        var blocks: [Block] = []
        let source = try BlockDirectorySource(directory: directory, network: nil)
        while let item = try source.next() {
            if case .block(let sb) = item { blocks.append(sb.block) }
        }
        let expected = Self.expected(blocks)
        #expect(expected.unspendable > 300, "every block's witness commitment is an OP_RETURN output")
        let stored = try StoreQueries.unspentOutputs(try CaseDatabase(path: path, mode: .readOnly))
        #expect(stored.count == expected.count)
        #expect(stored.sat == expected.sat)
    }

    @Test func aBIP30DuplicateCoinbaseCountsOnce() throws {
        let (chain, _, a, b) = try ReorgTests.duplicateCoinbases(script: [0x51, 0x51])
        let path = try temporaryDatabasePath("utxo-bip30")
        try ingest(RegtestFixture.items(chain + [a, b]), into: path)
        let expected = Self.expected(chain + [a, b])
        let stored = try StoreQueries.unspentOutputs(try CaseDatabase(path: path, mode: .readOnly))
        #expect(stored.count == expected.count)
        #expect(stored.sat == expected.sat)
    }
}
