import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// The bundled regtest chain made by real Bitcoin Core wallets: its blk files and its `getblock 3` dump.
@Suite struct SampleChainIngestTests {
    static let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")

    static func ingestBlocks(into path: String) throws -> IngestSummary {
        let db = try CaseDatabase(path: path)
        let source = try BlockDirectorySource(directory: chain.appendingPathComponent("blocks"), network: nil)
        return try Ingestor(database: db).ingest(source)
    }

    /// txid → fee in satoshis, from Core's `getblock 3` (`fee` is absent on coinbases).
    static func coreFees() throws -> [Txid: Int64] {
        let reader = try GzipLineReader(path: chain.appendingPathComponent("rpc/blocks.jsonl.gz").path)
        var fees: [Txid: Int64] = [:]
        try reader.forEachLine { line, _ in
            let block = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            for tx in block?["tx"] as? [[String: Any]] ?? [] {
                guard let id = (tx["txid"] as? String).flatMap(Txid.init(hex:)) else { continue }
                if let fee = tx["fee"] as? NSNumber {
                    guard let sats = Amount(btcString: fee.stringValue) else { continue }
                    fees[id] = sats.satoshis
                }
            }
        }
        return fees
    }

    @Test func blkFilesGiveCoreFeesAndReadmeCounts() throws {
        let path = try temporaryDatabasePath()
        let summary = try Self.ingestBlocks(into: path)
        // README: 337 blocks incl. genesis, 2470 transactions incl. coinbases.
        #expect(summary.blocksAdded == 337)
        #expect(summary.transactionsAdded == 2470)
        #expect(summary.unresolvedInputs == 0)

        let fees = try Self.coreFees()
        #expect(fees.count == 2470 - 337)
        let db = try CaseDatabase(path: path, mode: .readOnly)
        let stored = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT txid, fee, isCoinbase FROM tx")
        }
        var compared = 0
        for row in stored {
            let txid = Txid(digest: try #require(row.digest("txid")))
            if (row["isCoinbase"] as Int64) == 1 {
                #expect(row["fee"] as Int64? == 0)
                continue
            }
            #expect(row["fee"] as Int64? == fees[txid], "fee of \(txid)")
            compared += 1
        }
        #expect(compared == fees.count)
        let stats = try StoreQueries.stats(db)
        #expect(stats.totalFeesSat == fees.values.reduce(0, +))
        #expect(stats.network == "regtest")
    }

    @Test func blkFilesAndNodeJSONGiveTheSameDatabase() throws {
        let fromBlocks = try temporaryDatabasePath()
        _ = try Self.ingestBlocks(into: fromBlocks)
        let fromJSON = try temporaryDatabasePath()
        let db = try CaseDatabase(path: fromJSON)
        let source = NodeJSONSource(path: Self.chain.appendingPathComponent("rpc/blocks.jsonl.gz").path)
        _ = try Ingestor(database: db).ingest(source)
        let a = try fullDump(fromBlocks)
        let b = try fullDump(fromJSON)
        #expect(a.count == b.count)
        #expect(a == b)
    }
}

/// `spoor address` figures against totals computed straight from Core's `getblock 3` dump.
struct CoreAddressTotals {
    var received: Int64 = 0
    var sent: Int64 = 0
    var outputs = 0
    var spent = 0
    var txs: Set<String> = []
    var firstHeight = Int.max
    var lastHeight = -1
}

@Suite struct AddressSummaryTests {

    static func coreTotals() throws -> [String: CoreAddressTotals] {
        let reader = try GzipLineReader(path: SampleChainIngestTests.chain.appendingPathComponent("rpc/blocks.jsonl.gz").path)
        var totals: [String: CoreAddressTotals] = [:]
        func sats(_ v: Any?) -> Int64 { (v as? NSNumber).flatMap { Amount(btcString: $0.stringValue) }?.satoshis ?? 0 }
        try reader.forEachLine { line, _ in
            let block = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] ?? [:]
            let height = block["height"] as? Int ?? -1
            for tx in block["tx"] as? [[String: Any]] ?? [] {
                let txid = tx["txid"] as? String ?? ""
                for out in tx["vout"] as? [[String: Any]] ?? [] {
                    guard let a = (out["scriptPubKey"] as? [String: Any])?["address"] as? String else { continue }
                    var t = totals[a] ?? CoreAddressTotals()
                    t.received += sats(out["value"])
                    t.outputs += 1
                    t.txs.insert(txid)
                    t.firstHeight = min(t.firstHeight, height)
                    t.lastHeight = max(t.lastHeight, height)
                    totals[a] = t
                }
                for input in tx["vin"] as? [[String: Any]] ?? [] {
                    guard let prevout = input["prevout"] as? [String: Any],
                          let a = (prevout["scriptPubKey"] as? [String: Any])?["address"] as? String else { continue }
                    var t = totals[a] ?? CoreAddressTotals()
                    t.sent += sats(prevout["value"])
                    t.spent += 1
                    t.txs.insert(txid)
                    t.lastHeight = max(t.lastHeight, height)
                    totals[a] = t
                }
            }
        }
        return totals
    }

    @Test func addressFiguresMatchCoresDump() throws {
        let path = try temporaryDatabasePath()
        _ = try SampleChainIngestTests.ingestBlocks(into: path)
        let database = try CaseDatabase(path: path, mode: .readOnly)
        let totals = try Self.coreTotals()
        #expect(try StoreQueries.stats(database).addresses == totals.count + 1)  // + genesis P2PK's P2PKH
        // The busiest addresses and a spread of others.
        let busiest = totals.sorted { ($0.value.txs.count, $0.key) > ($1.value.txs.count, $1.key) }
        let picks = Array(busiest.prefix(5)) + stride(from: 5, to: busiest.count, by: 97).map { busiest[$0] }
        #expect(picks.count > 30)
        for (address, core) in picks {
            let s = try #require(try StoreQueries.address(address, in: database), "\(address) not found")
            #expect(s.receivedSat == core.received, "received of \(address)")
            #expect(s.sentSat == core.sent, "sent of \(address)")
            #expect(s.balanceSat == core.received - core.sent)
            #expect(s.outputs == core.outputs && s.spentOutputs == core.spent)
            #expect(s.transactions == core.txs.count, "transactions of \(address)")
            #expect(s.firstSeen?.height == core.firstHeight && s.lastSeen?.height == core.lastHeight)
        }
        #expect(try StoreQueries.address("bcrt1qnotanaddressatall", in: database) == nil)
    }
}
