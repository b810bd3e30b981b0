import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// `spoor fetch`'s storage: small-seed1 served by the loopback Esplora stand-in, crawled into a case database,
/// compared with the database a full ingest of the node's own JSON builds.
@Suite struct EsploraFetchStoreTests {
    /// A full ingest of small-seed1, built once per process: the oracle for every fetched row.
    static let fullDatabase = Result { () throws -> String in
        let path = try temporaryDatabasePath("esplora-full")
        _ = try Ingestor(database: try CaseDatabase(path: path)).ingest(NodeJSONSource(path: NodeRPCIngestTests.jsonl))
        return path
    }

    func fetch(_ esplora: FakeEsplora, into path: String, address: String, hops: Int,
               policy: HTTPPolicy = HTTPPolicy(initialBackoff: 0.01)) throws -> EsploraFetchSummary {
        let database = try CaseDatabase(path: path)
        let store = try CaseEsploraFetchStore(database: database, network: .regtest)
        let client = EsploraClient(baseURL: try #require(URL(string: esplora.url)),
                                   transport: HTTPTransport(policy: policy, clock: HTTPClock(now: { 0 }, sleep: { _ in })))
        let crawler = EsploraCrawler(client: client, store: store, network: .regtest, maxHops: hops, addresses: [address])
        var options = IngestOptions()
        options.batchBlocks = 1
        _ = try Ingestor(database: database, options: options).ingest(crawler)
        return crawler.summary
    }

    /// Per transaction of `txids`: placement, fee, and each input's and output's value and address, plus the
    /// links between transactions that are both in `txids`. Equal for a fetched database and a full one when the
    /// fetch stored every fact right.
    func projection(_ path: String, txids: Set<String>) throws -> [String] {
        let db = try CaseDatabase(path: path, mode: .readOnly)
        return try db.read { db in
            var lines: [String] = []
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.id, t.txid, b.height, hex(b.hash) AS bh, t.position, t.fee FROM tx t
                JOIN block b ON b.id = t.blockId ORDER BY b.height, t.position
                """)
            for t in rows {
                guard let d = t.digest("txid") else { continue }
                let txid = Txid(digest: d).hex
                guard txids.contains(txid) else { continue }
                let id: Int64 = t["id"]
                lines.append("tx \(txid) h=\(t["height"] as Int) b=\(t["bh"] as String) p=\(t["position"] as Int) fee=\(t["fee"] as Int64? ?? -1)")
                for i in try Row.fetchAll(db, sql: """
                    SELECT i.n, i.value, a.address, st.txid AS stx FROM input i
                    LEFT JOIN address a ON a.id = i.addressId LEFT JOIN output so ON so.id = i.spentOutputId
                    LEFT JOIN tx st ON st.id = so.txId WHERE i.txId = ? ORDER BY i.n
                    """, arguments: [id]) {
                    let from = i.digest("stx").map { Txid(digest: $0).hex }.flatMap { txids.contains($0) ? $0 : nil }
                    lines.append("  in \(i["n"] as Int) v=\(i["value"] as Int64? ?? -1) a=\(i["address"] as String? ?? "-") from=\(from ?? "-")")
                }
                for o in try Row.fetchAll(db, sql: """
                    SELECT o.n, o.value, o.scriptKind, a.address, st.txid AS stx FROM output o
                    LEFT JOIN address a ON a.id = o.addressId LEFT JOIN input si ON si.id = o.spentByInputId
                    LEFT JOIN tx st ON st.id = si.txId WHERE o.txId = ? ORDER BY o.n
                    """, arguments: [id]) {
                    let by = o.digest("stx").map { Txid(digest: $0).hex }.flatMap { txids.contains($0) ? $0 : nil }
                    lines.append("  out \(o["n"] as Int) v=\(o["value"] as Int64) k=\(o["scriptKind"] as Int) a=\(o["address"] as String? ?? "-") by=\(by ?? "-")")
                }
            }
            return lines
        }
    }

    func storedTxids(_ path: String) throws -> Set<String> {
        let db = try CaseDatabase(path: path, mode: .readOnly)
        return try db.read { db in
            Set(try Row.fetchAll(db, sql: "SELECT txid FROM tx").compactMap { $0.digest("txid") }.map { Txid(digest: $0).hex })
        }
    }

    @Test func fetchedTransactionsMatchAFullIngest() throws {
        let esplora = try FakeEsplora(lines: try NodeRPCIngestTests.lines())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let path = try temporaryDatabasePath("esplora-fetch")
        let summary = try fetch(esplora, into: path, address: address, hops: 2)
        let expected = esplora.neighbourhood(of: address, hops: 2)
        let txids = try storedTxids(path)
        #expect(txids == expected)
        #expect(summary.transactionsStored == expected.count)
        let full = try Self.fullDatabase.get()
        let fetched = try projection(path, txids: txids)
        #expect(fetched.count > expected.count)
        #expect(fetched == (try projection(full, txids: txids)))

        // Partial blocks: a row per block touched, counting the stored transactions, the whole count aside.
        let db = try CaseDatabase(path: path, mode: .readOnly)
        let (blocks, partial, mismatched) = try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM block") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM partial_block") ?? -1,
             try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM block b WHERE txCount <> (SELECT COUNT(*) FROM tx WHERE blockId = b.id)
                """) ?? -1)
        }
        #expect(blocks == summary.blocksStored)
        #expect(partial == blocks)
        #expect(mismatched == 0)
        // Every input has a value (stated by the API where its funding transaction was not fetched): fees known.
        let stats = try StoreQueries.stats(db)
        #expect(stats.transactions == expected.count)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tx WHERE fee IS NULL") } == 0)
    }

    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) func interruptedFetchResumesToTheSameDatabase() throws {
        let lines = try NodeRPCIngestTests.lines()
        let esplora = try FakeEsplora(lines: lines)
        defer { esplora.stop() }
        let address = try #require(esplora.busyAddress)
        let clean = try temporaryDatabasePath("esplora-clean")
        _ = try fetch(esplora, into: clean, address: address, hops: 1)
        let cleanRequests = esplora.requestCount

        // The server fails for good after 60 requests (within the address's pages and first transactions)...
        let flaky = try FakeEsplora(lines: lines)
        defer { flaky.stop() }
        flaky.setOverride { _, n in n > 60 ? .text("upstream down", status: 502) : nil }
        let resumed = try temporaryDatabasePath("esplora-resumed")
        let error = #expect(throws: EsploraError.self) {
            try fetch(flaky, into: resumed, address: address, hops: 1, policy: HTTPPolicy(maxAttempts: 2, initialBackoff: 0))
        }
        #expect(error?.description.contains("HTTP 502") == true)
        let partial = try storedTxids(resumed).count
        #expect(partial > 0)
        #expect(partial < (try storedTxids(clean)).count)

        // ...then comes back: the same fetch continues and ends with the clean run's database.
        flaky.setOverride(nil)
        let before = flaky.requestCount
        let rest = try fetch(flaky, into: resumed, address: address, hops: 1)
        #expect(rest.transactionsStored == (try storedTxids(clean)).count - partial)
        // Nothing done before the interruption is asked again, apart from the one item under way then and the
        // checks of its block (header, summary, txid list, coinbase: the checked blocks are not kept on disk).
        #expect(flaky.requestCount - before <= cleanRequests - 60 + 10)
        #expect(try fullDump(resumed) == fullDump(clean))
        #expect(try dumpFrontier(resumed) == dumpFrontier(clean))

        // Running it once more changes nothing and asks nothing.
        let again = try fetch(flaky, into: resumed, address: address, hops: 1)
        #expect(again.requests == 0)
        #expect(try fullDump(resumed) == fullDump(clean))
    }

    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) func aFullIngestAfterAFetchCompletesThePartialBlocks() throws {
        let esplora = try FakeEsplora(lines: try NodeRPCIngestTests.lines())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let path = try temporaryDatabasePath("esplora-then-ingest")
        let fetched = try fetch(esplora, into: path, address: address, hops: 1)
        #expect(fetched.blocksStored > 0)
        let summary = try Ingestor(database: try CaseDatabase(path: path)).ingest(NodeJSONSource(path: NodeRPCIngestTests.jsonl))
        #expect(summary.transactionsAdded == 2470 - fetched.transactionsStored)
        #expect(summary.unresolvedInputs == 0)
        // The same chain content as ingesting the file alone (ids aside: the fetched rows came first).
        #expect(try canonicalDump(path) == canonicalDump(try Self.fullDatabase.get()))
        let db = try CaseDatabase(path: path, mode: .readOnly)
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM partial_block") } == 0)
        #expect(try db.read { try Int.fetchOne($0, sql: """
            SELECT COUNT(*) FROM block b WHERE txCount <> (SELECT COUNT(*) FROM tx WHERE blockId = b.id)
            """) } == 0)
        // And once complete, a fetch that meets them again stores nothing new.
        let again = try fetch(esplora, into: path, address: address, hops: 1)
        #expect(again.transactionsStored == 0)
    }

    @Test func networkOfTheDatabaseIsKept() throws {
        let path = try temporaryDatabasePath("esplora-network")
        _ = try Ingestor(database: try CaseDatabase(path: path)).ingest(NodeJSONSource(path: NodeRPCIngestTests.jsonl))
        let error = #expect(throws: StoreError.self) {
            try CaseEsploraFetchStore(database: try CaseDatabase(path: path), network: .main)
        }
        #expect(error?.description.contains("regtest") == true)
    }

    func dumpFrontier(_ path: String) throws -> [String] {
        let db = try CaseDatabase(path: path, mode: .readOnly)
        return try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fetch_frontier ORDER BY id").map(\.description)
        }
    }
}
