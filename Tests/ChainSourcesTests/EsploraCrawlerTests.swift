import BitcoinPrimitives
import Foundation
import SpoorTestSupport
import Testing

@testable import ChainSources

/// The stand-in Esplora serving small-seed1, shared by the tests of one process (it is read-only apart from
/// the override, which each test sets on its own instance).
func makeEsplora() throws -> FakeEsplora { try FakeEsplora(lines: SmallSeed1.lines()) }

/// Crawls into an in-memory frontier, recording every yielded (checked) block as stored, as an ingest would.
@discardableResult
func crawl(_ esplora: FakeEsplora, store: InMemoryEsploraFetchStore, hops: Int, addresses: [String],
           refresh: Bool = false, policy: HTTPPolicy = HTTPPolicy(initialBackoff: 0.01),
           clock: HTTPClock = RecordingClock().clock) throws -> EsploraFetchSummary {
    let transport = HTTPTransport(policy: policy, clock: clock)
    let client = EsploraClient(baseURL: try #require(URL(string: esplora.url)), transport: transport)
    let crawler = EsploraCrawler(client: client, store: store, network: .regtest, maxHops: hops, addresses: addresses,
                                 refresh: refresh)
    while let item = try crawler.next() {
        if case .block(let sb) = item { store.record(sb) }
    }
    return crawler.summary
}

func expectedNeighbourhood(_ esplora: FakeEsplora, address: String, hops: Int) -> Set<String> {
    esplora.neighbourhood(of: address, hops: hops)
}

@Suite struct EsploraCrawlerTests {
    @Test func addressTransactionsAcrossPagesWithBlocksAndPrevouts() throws {
        let esplora = try makeEsplora()
        defer { esplora.stop() }
        let address = try #require(esplora.busyAddress)
        let store = InMemoryEsploraFetchStore()
        let summary = try crawl(esplora, store: store, hops: 0, addresses: [address])
        let expected = Set(esplora.transactions(of: address))
        #expect(Set(store.transactions.keys.map(\.hex)) == expected)
        #expect(summary.pagesRead == expected.count / esplora.pageSize + 1)
        #expect(summary.transactionsStored == expected.count)
        #expect(summary.addressesVisited == 1)

        // Every stored fact against the node's own getblock JSON.
        let fileBlocks = try SmallSeed1.blocks(NodeJSONSource(path: SmallSeed1.jsonl))
        var where_: [Txid: (SourceBlock, Int)] = [:]
        for sb in fileBlocks { for (i, tx) in sb.block.transactions.enumerated() { where_[tx.txid] = (sb, i) } }
        for (txid, fetched) in store.transactions {
            let (sb, position) = try #require(where_[txid])
            #expect(fetched.block.transactions == [sb.block.transactions[position]])
            #expect(fetched.partial?.positions == [position])
            #expect(fetched.height == sb.height)
            #expect(fetched.block.header == sb.block.header)
            #expect(fetched.structureChecked)
            // What each input spent, from the funding transactions' own bytes (hop 0 is the last hop here).
            #expect(fetched.prevouts?.first == sb.prevouts?[position])
            #expect(fetched.partial?.transactionCount == sb.block.transactions.count)
            #expect(fetched.partial?.size == sb.block.size)
            #expect(fetched.partial?.weight == sb.block.weight)
        }
    }

    @Test func hopsFollowInputsAndOutputs() throws {
        let esplora = try makeEsplora()
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        for hops in 0...2 {
            let store = InMemoryEsploraFetchStore()
            _ = try crawl(esplora, store: store, hops: hops, addresses: [address])
            let expected = expectedNeighbourhood(esplora, address: address, hops: hops)
            #expect(Set(store.transactions.keys.map(\.hex)) == expected, "hops \(hops)")
        }
        #expect(expectedNeighbourhood(esplora, address: address, hops: 2).count
                > expectedNeighbourhood(esplora, address: address, hops: 0).count)
    }

    @Test func tooManyRequestsIsRetriedAndTheResultIsTheSame() throws {
        let esplora = try makeEsplora()
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        // Every fifth request is refused with 429, as a public instance does to a hurried client.
        esplora.setOverride { _, n in
            n % 5 == 0 ? LoopbackResponse(status: 429, headers: ["Retry-After": "1"], body: Array("Too Many".utf8)) : nil
        }
        let store = InMemoryEsploraFetchStore()
        let clock = RecordingClock()
        let summary = try crawl(esplora, store: store, hops: 1, addresses: [address],
                                policy: HTTPPolicy(maxRequestsPerSecond: 5, initialBackoff: 0.5), clock: clock.clock)
        #expect(Set(store.transactions.keys.map(\.hex)) == expectedNeighbourhood(esplora, address: address, hops: 1))
        #expect(summary.retries > 0)
        #expect(summary.retries == esplora.requestCount / 5)
        // Retry-After (1 s) outweighs the first backoff (0.5 s); pacing waits 0.2 s between requests.
        #expect(clock.sleeps.filter { $0 == 1.0 }.count == summary.retries)
        #expect(clock.sleeps.allSatisfy { $0 <= 1.0 + 1e-9 })
    }

    @Test func interruptedCrawlResumesWithoutStartingOver() throws {
        let esplora = try makeEsplora()
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let clean = InMemoryEsploraFetchStore()
        let cleanSummary = try crawl(esplora, store: clean, hops: 2, addresses: [address])
        let cleanRequests = esplora.requestCount

        // The server goes away after 40 requests: the crawl fails after its retries...
        let second = try makeEsplora()
        defer { second.stop() }
        second.setOverride { _, n in n > 40 ? .text("down", status: 503) : nil }
        let store = InMemoryEsploraFetchStore()
        let error = #expect(throws: EsploraError.self) {
            try crawl(second, store: store, hops: 2, addresses: [address], policy: HTTPPolicy(maxAttempts: 2, initialBackoff: 0.01))
        }
        #expect(error?.description.contains("HTTP 503") == true)
        #expect(error?.description.contains(second.url) == true)
        let partial = store.transactions.count
        #expect(partial > 0 && partial < clean.transactions.count)

        // ...and, the server back, the same crawl finishes from where it stopped.
        second.setOverride(nil)
        let before = second.requestCount
        let resumed = try crawl(second, store: store, hops: 2, addresses: [address])
        #expect(Set(store.transactions.keys) == Set(clean.transactions.keys))
        #expect(resumed.transactionsStored == clean.transactions.count - partial)
        #expect(second.requestCount - before < cleanRequests)
        #expect(cleanSummary.transactionsStored == clean.transactions.count)
    }

    @Test func moreHopsLaterExtendsAnEarlierFetch() throws {
        let esplora = try makeEsplora()
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let store = InMemoryEsploraFetchStore()
        _ = try crawl(esplora, store: store, hops: 0, addresses: [address])
        let again = try crawl(esplora, store: store, hops: 0, addresses: [address])
        #expect(again.requests == 0)
        // --refresh lists the address again (one page) and fetches nothing it already has.
        let refreshed = try crawl(esplora, store: store, hops: 0, addresses: [address], refresh: true)
        #expect(refreshed.pagesRead == 1)
        #expect(refreshed.transactionsStored == 0)
        #expect(refreshed.transactionsAlreadyStored == 0)
        _ = try crawl(esplora, store: store, hops: 2, addresses: [address])
        #expect(Set(store.transactions.keys.map(\.hex)) == expectedNeighbourhood(esplora, address: address, hops: 2))
    }

    @Test func refreshFindsTransactionsConfirmedSinceTheLastFetch() throws {
        let lines = try SmallSeed1.lines()
        let early = try FakeEsplora(lines: Array(lines.prefix(200)))
        defer { early.stop() }
        let later = try makeEsplora()
        defer { later.stop() }
        // An address used both before and after height 200.
        let address = try #require(early.addresses.first {
            later.transactions(of: $0).count > early.transactions(of: $0).count && !early.transactions(of: $0).isEmpty
        })
        let store = InMemoryEsploraFetchStore()
        _ = try crawl(early, store: store, hops: 0, addresses: [address])
        #expect(Set(store.transactions.keys.map(\.hex)) == Set(early.transactions(of: address)))
        let plain = try crawl(later, store: store, hops: 0, addresses: [address])
        #expect(plain.requests == 0, "without --refresh a finished address is not listed again")
        let refreshed = try crawl(later, store: store, hops: 0, addresses: [address], refresh: true)
        #expect(refreshed.transactionsStored == later.transactions(of: address).count - early.transactions(of: address).count)
        #expect(Set(store.transactions.keys.map(\.hex)) == Set(later.transactions(of: address)))
    }

    @Test func badAnswersNameTheURL() throws {
        let esplora = try makeEsplora()
        defer { esplora.stop() }
        let address = try #require(esplora.quietAddress)
        let txids = esplora.transactions(of: address)
        let other = try #require(esplora.txidsInChainOrder.first { !txids.contains($0) })

        func run(_ override: @escaping @Sendable (LoopbackRequest, Int) -> LoopbackResponse?) throws -> EsploraError? {
            esplora.setOverride(override)
            return #expect(throws: EsploraError.self) {
                try crawl(esplora, store: InMemoryEsploraFetchStore(), hops: 0, addresses: [address])
            }
        }

        let malformed = try run { r, _ in r.path.hasPrefix("/address/") ? .json(#"[{"txid": "ab", "#) : nil }
        #expect(malformed?.description.contains("\(esplora.url)/address/\(address)/txs") == true)
        #expect(malformed?.description.contains("not a JSON list of transactions") == true)

        let nonHex = try run { r, _ in r.path.hasSuffix("/hex") ? .text("02000000zz") : nil }
        #expect(nonHex?.description.contains("/hex") == true)
        #expect(nonHex?.description.contains("not transaction hex") == true)
        #expect(nonHex?.description.contains("'z' is not a hex digit") == true)

        // The hex of another transaction: the bytes hash to a txid that was not asked for.
        let foreignHex = try #require(esplora.transactionHex(other))
        let mismatch = try run { r, _ in r.path.hasSuffix("/hex") ? .text(foreignHex) : nil }
        #expect(mismatch?.description.contains("hash to txid \(other)") == true)
        #expect(mismatch?.description.contains("/tx/") == true)

        let truncatedHeader = try run { r, _ in r.path.hasSuffix("/header") ? .text("0000") : nil }
        #expect(truncatedHeader?.description.contains("/header") == true)
        #expect(truncatedHeader?.description.contains("80 bytes") == true)

        let notFound = try run { r, _ in r.path.hasPrefix("/tx/") && r.path.hasSuffix("/hex") ? .text("Transaction not found", status: 404) : nil }
        #expect(notFound?.description.contains("HTTP 404") == true)
        #expect(notFound?.description.contains("Transaction not found") == true)
    }
}
