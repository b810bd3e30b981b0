import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// A linked input stores an empty `prevTxid` (InputPrevTxid.swift); every reader must still see its prevout.
@Suite struct InputPrevTxidTests {
    @Test func sampleChainInputsAreStoredWithoutTxidAndReadBackWithIt() throws {
        let path = try temporaryDatabasePath("prev-txid")
        _ = try SampleChainIngestTests.ingestBlocks(into: path)
        let database = try CaseDatabase(path: path, mode: .readOnly)
        let (linked, unlinked) = try database.read { db in
            try expectPrevTxidRule(db)
            return (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM input WHERE length(prevTxid) = 0") ?? 0,
                    try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM input WHERE length(prevTxid) = 32") ?? 0)
        }
        #expect(unlinked == 337, "only the coinbase inputs keep a (zero) prevTxid")
        #expect(linked > 2_000)

        // Every input's prevout as read back (the export's reader) equals the source's.
        var expected: [Txid: [OutPoint]] = [:]
        let blocks = try BlockDirectorySource(directory: SampleChainIngestTests.chain.appendingPathComponent("blocks"),
                                              network: nil)
        while let item = try blocks.next() {
            guard case let .block(b) = item else { continue }
            for tx in b.block.transactions { expected[tx.txid] = tx.inputs.map(\.prevout) }
        }
        let stored = try DatabaseChainSource(database: database)
        var compared = 0
        while let item = try stored.next() {
            guard case let .block(b) = item else { continue }
            for tx in b.block.transactions {
                #expect(tx.inputs.map(\.prevout) == expected[tx.txid], "prevouts of \(tx.txid)")
                compared += 1
            }
        }
        #expect(compared == 2_470)

        // And `spoor tx`'s query names each input's source.
        let someSpend = try #require(expected.first { !$0.value.contains { $0.vout == UInt32.max } })
        let detail = try #require(try StoreQueries.transactions(someSpend.key, in: database).first)
        #expect(detail.inputs.map { $0.prevout?.txid } == someSpend.value.map(\.txid))
    }
}
