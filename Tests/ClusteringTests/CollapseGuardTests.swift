import BitcoinAddresses
import ChainIndex
import Clustering
import Foundation
import Testing

/// `guard.collapse` and the common-input service test of `link.deposit-address`, on hand-built chains.
@Suite struct CollapseGuardTests {
    /// Change by `unique(change.optimal)` (the one output smaller than every input), links, and the guard.
    func profile(collapse: HeuristicProfile.Collapse?, links: Bool = false) -> HeuristicProfile {
        HeuristicProfile(id: "test", change: .unique(.use("change.optimal")),
                         links: links ? [LinkRule(HeuristicRegistry.depositAddress, parameters: ["min_service_addresses": 3])] : [],
                         guards: .init(collapse: collapse))
    }

    /// Two wallets of ten addresses each (co-spends), then wallet A pays 2001, a wallet-B address, an amount
    /// below both inputs, so `change.optimal` takes B's address for A's change.
    static let twoWallets: [ClusterTransaction] = [
        tx(0, inputs: [(nil, 0)], outputs: (Array(1000..<1010) + Array(2000..<2010)).map { ($0, 1000) }, coinbase: true),
        tx(1, inputs: (1000..<1010).map { ($0, 1000) }, outputs: [(1100, 9_900)]),
        tx(2, inputs: (2000..<2010).map { ($0, 1000) }, outputs: [(2100, 9_900)]),
        tx(3, inputs: [(1000, 3000), (1001, 3000)], outputs: [(2001, 1000), (3000, 4900)]),
    ]

    @Test func aChangeGuessJoiningTwoLargeClustersIsRefusedAndExplained() {
        var open = Clusterer(profile: profile(collapse: nil))
        open.process(ChainIndex(Self.twoWallets))
        #expect(open.clusterIDs()[2001] == open.clusterIDs()[1000], "without the guard one change guess joins both wallets")

        var c = Clusterer(profile: profile(collapse: .init(large: 10, maxSharePercent: 100)))
        c.process(ChainIndex(Self.twoWallets))
        let ids = c.clusterIDs()
        #expect(ids[2001] != ids[1000])
        #expect(ids[1001] == ids[1000] && ids[2009] == ids[2000], "co-spends are not guesses: never refused")
        #expect(c.statistics.guardRefusals[HeuristicRegistry.collapseGuard] == 1)
        let graph = EvidenceGraph(merges: c.merges.records, stops: c.stops.records)
        guard case let .notLinked(stoppedBy) = graph.explain(addr(1000), addr(2000), clusterOf: { ClusterID(ids[Int($0.raw)]) }) else {
            Issue.record("explained as linked"); return
        }
        #expect(stoppedBy.count == 1 && stoppedBy.first?.tx == TxID(3))
        #expect(stoppedBy.first?.heuristicIDs == ["change.optimal", HeuristicRegistry.collapseGuard])
    }

    /// A change chain: wallet A spends two coins at a time, and `change.optimal` takes each hop's output below
    /// both inputs for A's change (3000, then 3001), each joining A with a new one-address cluster. The third
    /// hop's small output is wallet B's address 2001: that guess would join two clusters of ten or more.
    @Test func aChangeChainGrowsUntilItWouldJoinTwoLargeClusters() {
        let chain = Array(Self.twoWallets.prefix(3)) + [
            tx(3, inputs: [(1000, 3000), (1001, 3000)], outputs: [(4000, 4000), (3000, 1900)]),
            tx(4, inputs: [(3000, 1900), (1002, 3000)], outputs: [(4001, 3800), (3001, 1000)]),
            tx(5, inputs: [(3001, 1000), (1003, 3000)], outputs: [(4002, 3400), (2001, 500)]),
        ]
        var open = Clusterer(profile: profile(collapse: nil))
        open.process(ChainIndex(chain))
        #expect(open.clusterIDs()[2001] == open.clusterIDs()[1000], "without the guard the chain ends in B")

        var c = Clusterer(profile: profile(collapse: .init(large: 10, maxSharePercent: 100)))
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[3000] == ids[1000] && ids[3001] == ids[1000], "a guess adding one new address is let through")
        #expect(ids[2001] != ids[1000] && ids[2001] == ids[2000])
        #expect(ids[4000] != ids[1000] && ids[4001] != ids[1000] && ids[4002] != ids[1000], "payments stay apart")
        #expect(c.statistics.guardRefusals[HeuristicRegistry.collapseGuard] == 1)
        #expect(c.stops.records.last?.tx == TxID(5))
        #expect(c.stops.records.last?.heuristicIDs == ["change.optimal", HeuristicRegistry.collapseGuard])
    }

    @Test func belowLargeTheGuardLetsAGuessThroughUnlessOneClusterWouldDominate() {
        var small = Clusterer(profile: profile(collapse: .init(large: 11, maxSharePercent: 100)))
        small.process(ChainIndex(Self.twoWallets))
        #expect(small.clusterIDs()[2001] == small.clusterIDs()[1000], "10 + 10: not both large")
        // 20 of the 22 addresses seen (91 %) in one cluster: refused above a 50 % share, made at 95 %.
        var share = Clusterer(profile: profile(collapse: .init(large: 11, maxSharePercent: 50)))
        share.process(ChainIndex(Self.twoWallets))
        #expect(share.clusterIDs()[2001] != share.clusterIDs()[1000])
        var loose = Clusterer(profile: profile(collapse: .init(large: 11, maxSharePercent: 95)))
        loose.process(ChainIndex(Self.twoWallets))
        #expect(loose.clusterIDs()[2001] == loose.clusterIDs()[1000])
    }

    /// Exchange S: deposit addresses 1, 2, 3, each paid twice from outside, swept together into 9. S's batch
    /// withdrawal pays user U's address 60 the smallest amount, which `change.optimal` takes for S's change.
    /// Strangers 130–132 then pay U's popular address 60. On the walk's clusters 60 would be one of S's
    /// deposit addresses and its payers one customer; on common-input clusters it is not S's at all.
    @Test func servicesAreFoundOnCommonInputClustersNotOnChangeGuesses() {
        let chain: [ClusterTransaction] = [
            tx(1, inputs: [(100, 5000)], outputs: [(1, 1000), (200, 3900)]),
            tx(2, inputs: [(101, 5000)], outputs: [(1, 2000), (201, 2900)]),
            tx(3, inputs: [(110, 5000)], outputs: [(2, 1000), (210, 3900)]),
            tx(4, inputs: [(111, 5000)], outputs: [(2, 1500), (211, 3400)]),
            tx(5, inputs: [(120, 5000)], outputs: [(3, 1000), (220, 3900)]),
            tx(6, inputs: [(121, 5000)], outputs: [(3, 1000), (221, 3900)]),
            tx(7, inputs: [(1, 3000), (2, 2500), (3, 2000)], outputs: [(9, 7400)]),
            tx(8, inputs: [(9, 4000), (2, 3000)], outputs: [(60, 500), (70, 3100), (71, 3300)]),
            tx(9, inputs: [(130, 5000)], outputs: [(60, 1000), (230, 3900)]),
            tx(10, inputs: [(131, 5000)], outputs: [(60, 1000), (231, 3900)]),
            tx(11, inputs: [(132, 5000)], outputs: [(60, 1000), (232, 3900)]),
        ]
        var c = Clusterer(profile: profile(collapse: nil, links: true))
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[60] == ids[9], "the wrong change guess is made (no guard here)")
        #expect(ids[100] == ids[101] && ids[110] == ids[111], "S's customers are still linked")
        #expect(ids[130] != ids[131] && ids[131] != ids[132], "U's payers are strangers, not one customer")
        #expect(c.statistics.depositServices == 1)
    }

    /// Two large pieces of one customer's wallet would be joined by one deposit link: refused, with the link's
    /// evidence and the guard's id.
    @Test func aLinkJoiningTwoLargeClustersIsRefused() {
        var chain: [ClusterTransaction] = [
            tx(1, inputs: (500..<510).map { ($0, 1000) }, outputs: [(1, 2000), (600, 7900)]),
            tx(2, inputs: (700..<710).map { ($0, 1000) }, outputs: [(1, 2000)]),
        ]
        for (k, d) in [2, 3].enumerated() {
            chain.append(tx(UInt32(3 + 2 * k), inputs: [(UInt32(110 + 10 * k), 5000)], outputs: [(UInt32(d), 1000)]))
            chain.append(tx(UInt32(4 + 2 * k), inputs: [(UInt32(111 + 10 * k), 5000)], outputs: [(UInt32(d), 1000)]))
        }
        chain.append(tx(7, inputs: [(1, 4000), (2, 2000), (3, 2000)], outputs: [(9, 7900)]))
        var open = Clusterer(profile: profile(collapse: nil, links: true))
        open.process(ChainIndex(chain))
        #expect(open.clusterIDs()[500] == open.clusterIDs()[700])
        var c = Clusterer(profile: profile(collapse: .init(large: 10, maxSharePercent: 100), links: true))
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[500] != ids[700])
        #expect(ids[110] == ids[111], "small pieces are still linked")
        let refused = c.stops.records.filter { $0.heuristicIDs.contains(HeuristicRegistry.collapseGuard) }
        #expect(refused.count == 1 && refused.first?.heuristicIDs.contains(HeuristicRegistry.depositAddress) == true)
    }

    @Test func profilesCheckTheCollapseGuard() throws {
        func load(_ guards: String) throws(ProfileError) -> HeuristicProfile {
            try HeuristicProfile.load(Array(#"{"id": "p", "version": 1, "cospend": [], "exclude": [], "guards": \#(guards)}"#.utf8), file: "p.json")
        }
        #expect(try load(#"{"collapse": {"large": 100, "max_share_percent": 50}}"#).guards.collapse == .init(large: 100, maxSharePercent: 50))
        #expect(try load("{}").guards.collapse == nil)
        for (bad, path) in [(#"{"collapse": {"large": 1, "max_share_percent": 50}}"#, "guards.collapse.large"),
                            (#"{"collapse": {"large": 10, "max_share_percent": 0}}"#, "guards.collapse.max_share_percent"),
                            (#"{"collapse": {"large": 10, "max_share_percent": 50, "x": 1}}"#, "guards.collapse.x")] {
            do { _ = try load(bad); Issue.record("accepted \(bad)") } catch { #expect(error.path == path, "\(bad)") }
        }
    }
}
