import BitcoinPrimitives
import CaseStore
import ChainIndex
import ChainSources
import Clustering
import Foundation
import Investigation
import SpoorTestSupport
import Testing
import Tracing

/// `TraceSubgraph` against the whole-chain graph of the same database: what it loads for an address is exactly
/// the transactions paying or spending it, whole and in chain order, and cluster members come back as the
/// clustering stored them.
@Suite(.serialized) struct TraceSubgraphTests {
    static let path: Result<String, any Error> = Result {
        let path = try temporaryDatabasePath("subgraph")
        let database = try CaseDatabase(path: path)
        _ = try Ingestor(database: database).ingest(NodeJSONSource(
            path: Fixtures.sampleChains.appendingPathComponent("small-seed1/rpc/blocks.jsonl.gz").path, network: nil))
        try ClusterRunner.run(database, profile: try ClusterStoreTests.profile("change"))
        return path
    }

    @Test func neighborhoodsAreTheTransactionsTouchingTheAddresses() throws {
        let database = try CaseDatabase(path: try Self.path.get())
        let whole = try TraceGraphLoader.load(database)
        // A few busy addresses and a few quiet ones, chosen by their receipts in the whole graph.
        let byReceipts = (0 ..< whole.addressCapacity).filter { !whole.outputsPaying($0).isEmpty }
            .sorted { (whole.outputsPaying($0).count, $0) > (whole.outputsPaying($1).count, $1) }
        let addresses = Array(byReceipts.prefix(3)) + Array(byReceipts.suffix(3))
        let sub = try TraceSubgraph(database)
        try sub.loadNeighborhoods(of: addresses)
        let built = try sub.build()
        var expected = Set<Txid>()
        for t in 0 ..< whole.txCount {
            let touches = whole.outputs(of: t).contains { addresses.contains(whole.address(ofOutput: $0)) }
                || whole.inputs(of: t).contains { addresses.contains(whole.address(ofInput: $0)) }
            if touches { expected.insert(whole.txids[t]) }
        }
        #expect(Set(built.index.txids) == expected)
        #expect(built.index.txCount < whole.txCount)
        // Chain order kept, every transaction whole, links inside the subgraph resolved like the whole graph's.
        let position = Dictionary(uniqueKeysWithValues: whole.txids.enumerated().map { ($1, $0) })
        let order = built.index.txids.compactMap { position[$0] }
        #expect(order == order.sorted())
        for t in 0 ..< built.index.txCount {
            guard let w = position[built.index.txids[t]] else { continue }
            #expect(built.index.outputs(of: t).map { built.index.outputValue[$0] } == whole.outputs(of: w).map { whole.outputValue[$0] })
            #expect(built.index.inputs(of: t).map { built.index.inputAddress[$0] } == whole.inputs(of: w).map { whole.inputAddress[$0] })
            #expect(built.index.txIsCoinbase[t] == whole.txIsCoinbase[w])
            for (i, wi) in zip(built.index.inputs(of: t), whole.inputs(of: w)) {
                let s = built.index.inputSpends[i], ws = whole.inputSpends[wi]
                if ws < 0 { #expect(s == -1) } else if s >= 0 {
                    #expect(built.index.txids[built.index.outputTx[s]] == whole.txids[whole.outputTx[ws]])
                } else { #expect(s == ChainIndex.notLoaded) }
            }
        }
        for a in addresses {
            #expect(Array(built.index.outputsPaying(a)).map { built.index.outputValue[$0] }
                    == Array(whole.outputsPaying(a)).map { whole.outputValue[$0] })
            #expect(sub.isComplete(a))
        }
    }

    @Test func clusterMembersMatchTheStoredAssignment() throws {
        let database = try CaseDatabase(path: try Self.path.get())
        let whole = try TraceGraphLoader.load(database)
        let persisted = try TraceClusterLoader.load(database, addressCapacity: whole.addressCapacity)
        let dense = ClusterAssignment(clusterOf: persisted.clusterOf)
        let biggest = Set(persisted.clusterOf).sorted { (dense.size(of: $0), $0) > (dense.size(of: $1), $1) }.prefix(5)
        let sub = try TraceSubgraph(database)
        try sub.loadMembers(ofClusters: Array(biggest))
        let built = try sub.build()
        let clusters = ClusterAssignment(partial: built.clusterOf, members: built.members)
        for c in biggest {
            #expect(dense.size(of: c) > 0)
            #expect(Array(clusters.members(of: c)) == Array(dense.members(of: c)))
            for a in dense.members(of: c) { #expect(clusters.cluster(of: a) == c) }
        }
        let sample = Array(stride(from: 0, to: whole.addressCapacity, by: 97))
        let looked = try TraceClusterLoader.clusters(of: sample, in: database)
        #expect(sample.allSatisfy { looked[$0] == dense.cluster(of: $0) })
        let summaries = try TraceClusterLoader.summaries(of: Array(biggest), limit: 3, in: database)
        for c in biggest {
            #expect(summaries[c]?.size == dense.size(of: c))
            #expect(summaries[c]?.first == Array(dense.members(of: c).prefix(3)))
        }
    }
}

extension TraceSubgraphTests {
    /// A cold-store candidate that its receipts rule out is judged from a chain-order prefix of them, and the
    /// verdict is the whole chain's.
    @Test func coldStoreCandidatesAreJudgedFromTheirFirstReceipts() throws {
        let database = try CaseDatabase(path: try Self.path.get())
        let whole = try TraceGraphLoader.load(database)
        // The busiest receiving addresses: some are ruled out (change-carrying payments), judged by prefix.
        let busiest = (0 ..< whole.addressCapacity).filter { whole.outputsPaying($0).count >= 20 }
            .sorted { (whole.outputsPaying($0).count, $0) > (whole.outputsPaying($1).count, $1) }.prefix(5)
        #expect(!busiest.isEmpty)
        for a in busiest {
            let sub = try TraceSubgraph(database)
            try CaseSubgraph.judgeColdStores([a], sub, batch: 2)
            #expect(sub.isJudgedAsColdStore(a))
            let built = try sub.build()
            #expect(SiteExpansion.rulesOutColdStore(a, graph: built.index) == SiteExpansion.rulesOutColdStore(a, graph: whole))
            if SiteExpansion.rulesOutColdStore(a, graph: whole) {
                #expect(built.index.outputsPaying(a).count < whole.outputsPaying(a).count, "address \(a)")
            } else {
                #expect(sub.isComplete(a))
            }
        }
    }
}
