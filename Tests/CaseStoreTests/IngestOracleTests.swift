import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import Testing

@Suite struct IngestOracleTests {
    /// Core's getblockstats for heights 101–103 of its own regtest chain: fees, input/output/tx counts.
    @Test func feesAndCountsMatchGetBlockStats() throws {
        let path = try temporaryDatabasePath()
        let blocks = try RegtestFixture.blocks()
        let summary = try ingest(RegtestFixture.items(blocks), into: path, batchBlocks: 7)
        #expect(summary.blocksAdded == 104)
        #expect(summary.tipHeight == 103)
        #expect(summary.unresolvedInputs == 0)

        let db = try CaseDatabase(path: path, mode: .readOnly)
        for stat in try RegtestFixture.stats() {
            let height = try #require(stat["height"] as? Int)
            let row = try #require(try db.read { db in
                try Row.fetchOne(db, sql: """
                    SELECT hex(b.hash) AS hash, COUNT(t.id) AS txs,
                        SUM(CASE WHEN t.isCoinbase = 0 THEN t.fee ELSE 0 END) AS totalfee,
                        SUM(CASE WHEN t.isCoinbase = 0 THEN t.inputCount ELSE 0 END) AS ins,
                        SUM(t.outputCount) AS outs,
                        SUM(CASE WHEN t.isCoinbase = 0 THEN (SELECT SUM(value) FROM output WHERE txId = t.id) ELSE 0 END) AS total_out,
                        COUNT(t.fee) AS withFee
                    FROM block b JOIN tx t ON t.blockId = b.id WHERE b.height = ? AND b.inBestChain = 1
                    """, arguments: [height])
            })
            let hashHex: String = row["hash"]
            let hash = try #require(Digest32(bytes: try Hex.decode(hashHex)))
            #expect(BlockHash(digest: hash).hex == stat["blockhash"] as? String)
            #expect(row["txs"] as Int == stat["txs"] as? Int, "txs at \(height)")
            #expect(row["withFee"] as Int == stat["txs"] as? Int, "every tx has a fee at \(height)")
            #expect(row["totalfee"] as Int64 == Int64(stat["totalfee"] as? Int ?? -1), "totalfee at \(height)")
            #expect(row["ins"] as Int == stat["ins"] as? Int, "ins at \(height)")
            #expect(row["outs"] as Int == stat["outs"] as? Int, "outs at \(height)")
            #expect(row["total_out"] as Int64 == Int64(stat["total_out"] as? Int ?? -1), "total_out at \(height)")
        }
    }

    @Test func everyInputCarriesItsOutputsAddressAndValue() throws {
        let path = try temporaryDatabasePath()
        try ingest(RegtestFixture.items(try RegtestFixture.blocks()), into: path)
        let db = try CaseDatabase(path: path, mode: .readOnly)
        let mismatches = try db.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM input i JOIN output o ON o.id = i.spentOutputId
                WHERE o.spentByInputId IS NOT i.id OR o.value IS NOT i.value OR o.addressId IS NOT i.addressId
                """)
        }
        let linked = try db.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM input WHERE spentOutputId IS NOT NULL")
        }
        #expect(mismatches == 0)
        #expect(linked == 5)  // 0 + 1 + 4 non-coinbase inputs (heights 101–103)
        let stats = try StoreQueries.stats(db)
        #expect(stats.blocks == 104)
        #expect(stats.transactions == 104 + 1 + 4)
        #expect(stats.totalFeesSat == 4440 + 85560)
        #expect(stats.addresses > 0)
    }
}
