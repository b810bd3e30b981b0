import BitcoinPrimitives
import CaseStore
import ChainIndex
import ChainSources
import Foundation
import SpoorTestSupport
import Testing
import Tracing

/// A loose one-input transaction whose parent is not stored is not a coinbase: its input is merely
/// unresolved. Both tracing loaders once guessed "coinbase" from that shape instead of reading the stored
/// flag, so such a payment was traced back to newly mined coins (issue 14).
@Suite struct StoredCoinbaseFlagTests {
    /// A real block (its coinbase is one) and a loose transaction spending an outpoint nobody stored.
    static func database() throws -> (CaseDatabase, loose: Txid, URL) {
        let dir = try Fixtures.temporaryDirectory("coinbase-flag")
        let path = dir.appendingPathComponent("case.sqlite").path
        let genesis = try #require(RegtestFixture.blocks().first)
        let orphanParent = OutPoint(txid: Txid(digest: Digest32(bytes: [UInt8](repeating: 0xAB, count: 32))!), vout: 0)
        let loose = BlockFactory.spend([orphanParent], outputs: [(40_000, [0x51, 0x52])])
        try ingest(RegtestFixture.items([genesis]) + [.transaction(loose, SourceLocation(file: "loose.hex"))], into: path)
        return (try CaseDatabase(path: path), loose.txid, dir)
    }

    @Test func wholeChainAndSubgraphReadTheStoredFlag() throws {
        let (database, looseTxid, dir) = try Self.database()
        defer { try? FileManager.default.removeItem(at: dir) }
        let whole = try TraceGraphLoader.load(database)
        let t = try #require(whole.transactionIndex(of: looseTxid))
        #expect(whole.txIsCoinbase == (0 ..< whole.txCount).map { $0 != t })
        // Traced back, the loose transaction's output ends at its unresolved input, not at a coinbase.
        let tracer = FlowTracer(graph: whole, clusters: .singletons(addressCapacity: whole.addressCapacity))
        let back = tracer.trace(from: [whole.outputs(of: t).lowerBound: 40_000], direction: .back, policy: .haircut, hops: 2)
        #expect(back.endpoints == [FlowEndpoint(kind: .unresolved, cluster: -1): 40_000])

        let address = whole.address(ofOutput: whole.outputs(of: t).lowerBound)
        let sub = try TraceSubgraph(database)
        try sub.loadNeighborhoods(of: [address])
        let part = try sub.build().index
        #expect(part.txCount == 1 && part.txids == [looseTxid])
        #expect(part.txIsCoinbase == [false])
    }
}
