import BitcoinPrimitives
import ChainIndex
import Testing
import Tracing

/// A graph holding part of a chain: links to transactions left out are `ChainIndex.notLoaded`, which the
/// tracer must tell apart from "unspent" and "unresolved", and address ids may be sparse and large.
@Suite struct SubgraphTracingTests {
    func txid(_ n: Int) -> Txid {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = UInt8(n); bytes[31] = 0x51
        return Txid(digest: Digest32(bytes: bytes)!)
    }

    /// tx0: inputs [funding not loaded, unresolved]; outputs [address 9_000_000 (spent by tx1), address 7
    /// (spent by a transaction not loaded), address 8 (unspent)]. tx1 spends tx0:0 into address 5.
    func graph() -> ChainIndex {
        let index = try! ChainIndex(
            txStoreID: [0, 1], txVersion: [2, 2], txLockTime: [0, 0], txIsCoinbase: [false, false],
            inputStart: [0, 2, 3], outputStart: [0, 3, 4],
            inputAddress: [4, 3, 9_000_000], inputValue: [700, 310, 600], inputKind: [6, 2, 6],
            inputSequence: [.max, .max, .max],
            outputAddress: [9_000_000, 7, 8, 5], outputValue: [600, 300, 100, 590], outputKind: [6, 6, 2, 6],
            txids: [txid(0), txid(1)], txHeight: [10, 11], txTime: [100, 200],
            inputSpends: [ChainIndex.notLoaded, -1, 0], outputSpentBy: [2, ChainIndex.notLoaded, -1, -1])
        index.indexAddresses(sparseKinds: [9_000_000: 6, 7: 6, 8: 2, 5: 6, 4: 6, 3: 2])
        return index
    }

    @Test func sparseAddressesAreIndexedWithoutAColumnPerId() {
        let g = graph()
        #expect(g.addressCapacity == 9_000_001)
        #expect(Array(g.outputsPaying(9_000_000)) == [0])
        #expect(Array(g.outputsPaying(6)).isEmpty && Array(g.outputsPaying(-1)).isEmpty)
        #expect(g.kind(of: 8) == 2 && g.kind(of: 3) == 2 && g.kind(of: 1234) == 0)
    }

    @Test func backwardStopsAtAFundingTransactionNotLoaded() {
        let tracer = FlowTracer(graph: graph(), clusters: ClusterAssignment(partial: [:], members: [:]))
        let r = tracer.trace(from: [0: 600], direction: .back, policy: .haircut, hops: 3)
        // 600 over inputs 700 and 310: 416 to the input not loaded, 184 to the unresolved one.
        #expect(r.endpoints[FlowEndpoint(kind: .hopLimit, cluster: 9_000_000)] == 416)
        #expect(r.endpoints[FlowEndpoint(kind: .unresolved, cluster: -1)] == 184)
        #expect(r.stoppedAtLoadLimit == 416)
        #expect(r.endpointTotal == 600)
    }

    @Test func forwardTellsUnspentFromSpentOutsideTheGraph() {
        let tracer = FlowTracer(graph: graph(), clusters: ClusterAssignment(partial: [:], members: [:]))
        let r = tracer.trace(from: [1: 300, 2: 100, 0: 600], direction: .forward, policy: .haircut, hops: 3)
        #expect(r.endpoints[FlowEndpoint(kind: .hopLimit, cluster: 7)] == 300)
        #expect(r.endpoints[FlowEndpoint(kind: .unspent, cluster: 8)] == 100)
        #expect(r.endpoints[FlowEndpoint(kind: .unspent, cluster: 5)] == 590)
        #expect(r.endpoints[FlowEndpoint(kind: .fee, cluster: -1)] == 10)
        #expect(r.stoppedAtLoadLimit == 300)
        // At the hop limit an output spent outside the graph is a hop-limit endpoint, never "unspent".
        let r0 = tracer.trace(from: [1: 300], direction: .forward, policy: .haircut, hops: 0)
        #expect(r0.endpoints == [FlowEndpoint(kind: .hopLimit, cluster: 7): 300])
        #expect(r0.stoppedAtLoadLimit == 0)
    }

    @Test func partialClusterAssignmentAnswersOnlyWhatItWasGiven() {
        let c = ClusterAssignment(partial: [10: 3, 3: 3], members: [3: [3, 10]])
        #expect(c.cluster(of: 10) == 3 && c.cluster(of: 11) == 11 && c.cluster(of: -1) == -1)
        #expect(Array(c.members(of: 3)) == [3, 10])
        #expect(Array(c.members(of: 11)) == [11])
    }
}

/// The cold-store test decided on a prefix of an address's receipts: the first disqualifying receipt decides.
@Suite struct ColdStorePrefixTests {
    @Test func theFirstDisqualifyingReceiptRulesAnAddressOut() {
        var c = MiniChain()
        let fund = c.tx([], [(100, 10_000_000, MiniChain.p2wpkh)])
        let pay = c.tx([(fund, 0)], [(1, 1000, MiniChain.p2sh), (2, 1000, MiniChain.p2sh), (101, 9_990_000, MiniChain.p2wpkh)])
        let sweep = c.tx([(pay, 0), (pay, 1)], [(50, 1900, MiniChain.p2wpkh)])
        let sweepsOnly = c.graph()
        #expect(!SiteExpansion.rulesOutColdStore(50, graph: sweepsOnly))
        // A later payment into 50 that carries change (an exchange deposit) rules it out.
        c.tx([(pay, 2)], [(50, 5000, MiniChain.p2wpkh), (102, 9_980_000, MiniChain.p2wpkh)])
        c.tx([(sweep, 0)], [(50, 1800, MiniChain.p2wpkh)])
        let withDeposit = c.graph()
        #expect(SiteExpansion.rulesOutColdStore(50, graph: withDeposit))
        // Coinbase receipts rule it out too.
        var d = MiniChain()
        d.tx([], [(60, 5_000_000_000, MiniChain.p2wpkh)])
        #expect(SiteExpansion.rulesOutColdStore(60, graph: d.graph()))
    }
}
