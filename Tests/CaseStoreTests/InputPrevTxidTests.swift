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

/// Databases written before the two size rules hold every script and every prevout txid; readers must give
/// the same chain from those rows as from the compact ones.
@Suite struct CompactRowsReadLikeFullRowsTests {
    /// Every transaction and prevout the database's chain reader yields, serialized.
    static func chainAsRead(_ path: String) throws -> [[UInt8]] {
        let source = try DatabaseChainSource(database: try CaseDatabase(path: path, mode: .readOnly))
        var out: [[UInt8]] = []
        while let item = try source.next() {
            guard case let .block(b) = item else { continue }
            for (tx, prevouts) in zip(b.block.transactions, b.prevouts ?? []) {
                out.append(tx.serialized())
                for p in prevouts { out.append(p.map { $0.scriptPubKey + withUnsafeBytes(of: $0.value.satoshis) { Array($0) } } ?? []) }
            }
        }
        return out
    }

    @Test func rowsWrittenInFullReadTheSame() throws {
        let path = try temporaryDatabasePath("full-rows")
        _ = try SampleChainIngestTests.ingestBlocks(into: path)
        let compact = try Self.chainAsRead(path)
        #expect(compact.count > 2_470)

        // Rewrite the rows as an older Spoor stored them: full scripts, every prevout txid.
        let database = try CaseDatabase(path: path)
        let (scripts, txids) = try database.write { db -> (Int, Int) in
            var rewritten = 0
            for row in try Row.fetchAll(db, sql: """
                SELECT o.id, o.scriptKind, a.address FROM output o LEFT JOIN address a ON a.id = o.addressId
                WHERE length(o.script) = 0
                """) {
                let script = try OutputScript.bytes(stored: [], kindCode: row["scriptKind"], address: row["address"],
                                                    outputId: row["id"])
                try db.execute(sql: "UPDATE output SET script = ? WHERE id = ?", arguments: [Data(script), row["id"] as Int64])
                rewritten += 1
            }
            try db.execute(sql: """
                UPDATE input SET prevTxid = (SELECT t.txid FROM output o JOIN tx t ON t.id = o.txId
                    WHERE o.id = input.spentOutputId) WHERE length(prevTxid) = 0
                """)
            return (rewritten, db.changesCount)
        }
        #expect(scripts > 2_000)
        #expect(txids > 2_000)
        let (emptyScripts, shortTxids) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM output WHERE length(script) = 0"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM input WHERE length(prevTxid) <> 32"))
        }
        #expect(emptyScripts == 0 && shortTxids == 0)
        #expect(try Self.chainAsRead(path) == compact)
    }
}
