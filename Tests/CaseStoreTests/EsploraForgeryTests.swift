import BitcoinPrimitives
import CaseStore
import ChainSources
import Foundation
import GRDB
import SpoorTestSupport
import Testing

/// `spoor fetch` against an Esplora server that lies. Each forged answer ends the fetch with an error naming
/// the URL, and nothing of the forged transaction is committed. Before, the server's word was stored as is: a
/// forged 10,000,000 BTC input, or a transaction at the position the server claimed.
@Suite struct EsploraForgeryTests {
    func fetch(_ esplora: FakeEsplora, address: String, hops: Int) throws -> (path: String, error: (any Error)?) {
        let path = try temporaryDatabasePath("esplora-forged")
        let database = try CaseDatabase(path: path)
        let store = try CaseEsploraFetchStore(database: database, network: .regtest)
        let client = EsploraClient(baseURL: try #require(URL(string: esplora.url)),
                                   transport: HTTPTransport(policy: HTTPPolicy(maxAttempts: 1, initialBackoff: 0),
                                                            clock: HTTPClock(now: { 0 }, sleep: { _ in })))
        let crawler = EsploraCrawler(client: client, store: store, network: .regtest, maxHops: hops, addresses: [address])
        var options = IngestOptions()
        options.batchBlocks = 1
        do {
            _ = try Ingestor(database: database, options: options).ingest(crawler)
            return (path, nil)
        } catch {
            return (path, error)
        }
    }

    func stored(_ path: String) throws -> Set<String> {
        try CaseDatabase(path: path, mode: .readOnly).read { db in
            Set(try Row.fetchAll(db, sql: "SELECT txid FROM tx").compactMap { $0.digest("txid") }.map { Txid(digest: $0).hex })
        }
    }

    /// The address page with one transaction's JSON changed by `edit`.
    func forgedPage(_ esplora: FakeEsplora, address: String, txid: String,
                    _ edit: @escaping @Sendable (inout [String: Any]) -> Void) -> @Sendable (LoopbackRequest, Int) -> LoopbackResponse? {
        let page = esplora.transactions(of: address).compactMap { esplora.transactionJSON($0) }
        let bytes: [UInt8] = page.map { json -> [String: Any] in
            var j = json
            if j["txid"] as? String == txid { edit(&j) }
            return j
        }.jsonBytes
        return { request, _ in request.target.hasPrefix("/address/\(address)/txs") ? .json(bytes: bytes) : nil }
    }

    /// A transaction whose first input's `prevout` the server inflates to 10,000,000 BTC.
    @Test func aForgedPrevoutIsRefused() throws {
        let esplora = try FakeEsplora(lines: try NodeRPCIngestTests.lines())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let victim = try #require(esplora.transactions(of: address).first {
            (esplora.transactionJSON($0)?["vin"] as? [[String: Any]])?.first?["is_coinbase"] as? Bool == false
        })
        esplora.setOverride(forgedPage(esplora, address: address, txid: victim) { json in
            var vin = json["vin"] as? [[String: Any]] ?? []
            var prevout = vin[0]["prevout"] as? [String: Any] ?? [:]
            prevout["value"] = 1_000_000_000_000_000
            vin[0]["prevout"] = prevout
            json["vin"] = vin
        })
        let (path, error) = try fetch(esplora, address: address, hops: 0)
        let e = try #require(error as? EsploraError)
        #expect(e.description.contains("forged") && e.description.contains("/tx/\(victim)"), "\(e)")
        #expect(!(try stored(path)).contains(victim))
        let largest = try CaseDatabase(path: path, mode: .readOnly).read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(value) FROM input") ?? 0
        }
        #expect(largest < 21_000_000 * 100_000_000)
    }

    /// The server swaps two transactions in a block's txid list: the list no longer hashes to the header's merkle
    /// root, so no position from it is believed.
    @Test func aForgedTxidListIsRefused() throws {
        let esplora = try FakeEsplora(lines: try NodeRPCIngestTests.lines())
        defer { esplora.stop() }
        func block(of txid: String) -> String {
            (esplora.transactionJSON(txid)?["status"] as? [String: Any])?["block_hash"] as? String ?? ""
        }
        // An address whose transactions all sit in blocks of three or more (where a swap changes the root).
        let address = try #require(esplora.addresses.first { a in
            let txs = esplora.transactions(of: a)
            return (1 ... 3).contains(txs.count) && txs.allSatisfy { esplora.blockTxids(block(of: $0)).count >= 3 }
        })
        esplora.setOverride { request, _ in
            guard request.target.hasSuffix("/txids"), let block = request.target.split(separator: "/").dropFirst().first else { return nil }
            let real = esplora.blockTxids(String(block))
            guard real.count >= 3 else { return nil }
            var swapped = real
            swapped.swapAt(1, 2)
            return .json(bytes: swapped.jsonBytes)
        }
        let (path, error) = try fetch(esplora, address: address, hops: 0)
        let e = try #require(error as? EsploraError)
        #expect(e.description.contains("/txids") && e.description.contains("merkle root"), "\(e)")
        #expect(try stored(path).isDisjoint(with: esplora.transactions(of: address)))
    }

    /// The server moves a transaction to another height (the block summary and the transaction's status agree,
    /// the coinbase does not): refused by the coinbase's BIP34 height.
    @Test func aForgedHeightIsRefusedByTheCoinbase() throws {
        let esplora = try FakeEsplora(lines: try NodeRPCIngestTests.lines())
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let victim = try #require(esplora.transactions(of: address).first)
        let forged = forgedPage(esplora, address: address, txid: victim) { json in
            var status = json["status"] as? [String: Any] ?? [:]
            status["block_height"] = ((status["block_height"] as? Int) ?? 0) + 1000
            json["status"] = status
        }
        let blockHash = try #require((esplora.transactionJSON(victim)?["status"] as? [String: Any])?["block_hash"] as? String)
        esplora.setOverride { request, n in
            if request.target == "/block/\(blockHash)" {
                var summary = esplora.blockJSON(blockHash) ?? [:]
                summary["height"] = ((summary["height"] as? Int) ?? 0) + 1000
                return .json(bytes: summary.jsonBytes)
            }
            return forged(request, n)
        }
        let (path, error) = try fetch(esplora, address: address, hops: 0)
        let e = try #require(error as? EsploraError)
        #expect(e.description.contains("coinbase") && e.description.contains("BIP34"), "\(e)")
        #expect(!(try stored(path)).contains(victim))
    }
}

extension Array {
    var jsonBytes: [UInt8] { [UInt8]((try? JSONSerialization.data(withJSONObject: self)) ?? Data()) }
}

extension Dictionary where Key == String {
    var jsonBytes: [UInt8] { [UInt8]((try? JSONSerialization.data(withJSONObject: self)) ?? Data()) }
}
