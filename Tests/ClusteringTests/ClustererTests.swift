import BitcoinAddresses
import ChainIndex
import Clustering
import SpoorTestSupport
import Testing

@Suite struct ClustererTests {
    let chain: [ClusterTransaction] = [
        tx(0, inputs: [], outputs: [(1, 5000)], coinbase: true),
        tx(1, inputs: [(1, 5000), (2, 300)], outputs: [(3, 4000), (4, 1200)]),          // links 1-2
        tx(2, inputs: [(4, 1200), (5, 900)], outputs: [(6, 2000)]),                    // links 4-5
        tx(3, inputs: [(3, 4000), (4, 100), (6, 2000)], outputs: [(7, 5900)]),       // links 3-4, 3-6 → {3,4,5,6}
    ]

    @Test func multiInputLinksAndIdsAreMinimum() {
        var c = Clusterer(profile: .builtInDefault)
        c.process(ChainIndex(chain))
        let ids = c.clusterIDs()
        #expect(ids[1] == 1 && ids[2] == 1)
        #expect([3, 4, 5, 6].map { ids[$0] } == [3, 3, 3, 3])
        #expect(ids[7] == 7)
        #expect(c.merges.count == 4)  // 1-2, 4-5, 3-4, 3-6
        #expect(c.statistics.merges["cospend.multi-input"] == 4)
        #expect(c.statistics.exclusions["exclude.coinbase"] == 1)
    }

    @Test func incrementalEqualsFresh() throws {
        var fresh = Clusterer(profile: .builtInDefault)
        fresh.process(ChainIndex(chain))
        var first = Clusterer(profile: .builtInDefault)
        first.process(ChainIndex(Array(chain.prefix(2))))
        // Resume from the stored form: cluster ids and the seen-address bitmap.
        var roots = first.clusterIDs()
        let resumed = try UnionFind(roots: roots)
        var second = Clusterer(profile: .builtInDefault, unionFind: resumed, seen: first.seen)
        second.process(ChainIndex(Array(chain.suffix(2))))
        roots = second.clusterIDs()
        #expect(roots == fresh.clusterIDs())
    }

    @Test func coinJoinStopsLinksAndIsExplained() {
        let cj = tx(1, inputs: [(1, 15_000_000), (2, 12_000_000), (3, 20_000_000)],
                    outputs: [(10, 10_000_000), (11, 10_000_000), (12, 10_000_000), (14, 4_990_000), (15, 1_990_000)])
        var c = Clusterer(profile: .builtInDefault)
        c.process(ChainIndex([cj]))
        let ids = c.clusterIDs()
        #expect(ids[1] == 1 && ids[2] == 2 && ids[3] == 3)
        #expect(c.stops.count == 2)
        #expect(c.flagged.count == 1)
        let graph = EvidenceGraph(merges: c.merges.records, stops: c.stops.records)
        let e = graph.explain(addr(1), addr(3)) { ClusterID(ids[Int($0.raw)]) }
        guard case let .notLinked(stoppedBy) = e else { Issue.record("linked through a CoinJoin"); return }
        #expect(stoppedBy.count == 1)
        #expect(stoppedBy.first?.tx == TxID(1))
        #expect(stoppedBy.first?.heuristicIDs.contains("exclude.coinjoin.generic-funded") == true)
    }

    @Test func explainGivesTheShortestChain() {
        var c = Clusterer(profile: .builtInDefault)
        c.process(ChainIndex(chain))
        var uf = c.unionFind
        let graph = EvidenceGraph(merges: c.merges.records, stops: c.stops.records)
        let e = graph.explain(addr(5), addr(6)) { ClusterID(uf.find($0.raw)) }
        guard case let .linked(steps) = e else { Issue.record("not linked"); return }
        // 5 –tx2– 4 ... 4 and 6 are joined only through 3 (tx3) — the chain is 5-4 (tx2), then 4..6.
        #expect(steps.first?.a == addr(5))
        #expect(steps.last?.b == addr(6))
        #expect(steps.map(\.tx).contains(TxID(2)) && steps.map(\.tx).contains(TxID(3)))
        for (x, y) in zip(steps, steps.dropFirst()) { #expect(x.b == y.a) }
        if case .notLinked = graph.explain(addr(1), addr(7), clusterOf: { ClusterID(uf.find($0.raw)) }) {} else {
            Issue.record("1 and 7 share no evidence")
        }
    }

    @Test func entityGuardRefusesJoiningTwoTaggedClusters() {
        var c = Clusterer(profile: .builtInDefault, entityTags: [addr(1): "Exchange A", addr(6): "Exchange B"])
        c.process(ChainIndex(chain + [tx(4, inputs: [(2, 10), (5, 10)], outputs: [(8, 15)])]))
        let ids = c.clusterIDs()
        #expect(ids[1] != ids[6])
        #expect(c.statistics.guardRefusals["guard.entity-tags"] == 1)
        #expect(c.stops.records.last?.heuristicIDs.contains("guard.entity-tags") == true)
    }

    @Test func growthGuardRefusesBigOneStepMerges() {
        var profile = HeuristicProfile.builtInDefault
        profile.guards.maxMergeGrowth = 1
        var c = Clusterer(profile: profile)
        c.process(ChainIndex(chain))
        // tx3 would join {3} and {4,5}: the smaller side has 1 address → allowed; nothing bigger happens here.
        let big = tx(9, inputs: [(1, 10), (3, 10)], outputs: [(8, 15)])  // {1,2} with {3,4,5,6}: smaller side 2 > 1
        c.process(ChainIndex([big]))
        let ids = c.clusterIDs()
        #expect(ids[1] != ids[3])
        #expect(c.statistics.guardRefusals["guard.max-merge-growth"] == 1)
    }

    @Test func changeRuleJoinsTheChangeWithEvidence() {
        var profile = HeuristicProfile.builtInDefault
        profile.change = .unique(.use("change.optimal"))
        let t = tx(1, inputs: [(1, 50_000), (2, 40_000)], outputs: [(3, 70_000), (4, 19_000)])
        var c = Clusterer(profile: profile)
        c.process(ChainIndex([t]))
        let ids = c.clusterIDs()
        #expect(ids[4] == 1 && ids[3] == 3)
        #expect(c.merges.records.last?.heuristicIDs == ["change.optimal"])
        #expect(c.statistics.changeMerges == 1)
        // Off by default: the built-in default never links change.
        var d = Clusterer(profile: .builtInDefault)
        d.process(ChainIndex([t]))
        #expect(d.clusterIDs()[4] == 4)
    }

    /// `change.wallet-type`: a round payment teaches the cluster that its change is P2PKH; in the cluster's
    /// next spend, where no other signal speaks, the one P2PKH output is its change.
    @Test func walletTypeLearnsTheClustersChangeType() {
        var profile = HeuristicProfile.builtInDefault
        profile.change = .first([.unique(.use("change.round-payment", parameters: ["significant_digits": 3])),
                                 .unique(.use("change.wallet-type"))])
        let wpkh = ScriptKind.witnessV0KeyHash, pkh = ScriptKind.pubkeyhash
        let teach = tx(1, inputs: [(1, 9_000_000)], outputs: [(2, 5_000_000), (3, 3_987_654)], outKinds: [wpkh, pkh])
        let apply = tx(2, inputs: [(3, 3_987_654), (1, 100_000)], outputs: [(4, 1_234_567), (5, 2_843_210)], outKinds: [wpkh, pkh])
        // Another cluster, never taught: the same shape of transaction names nothing.
        let untaught = tx(3, inputs: [(6, 3_987_654)], outputs: [(7, 1_234_567), (8, 2_743_210)], outKinds: [wpkh, pkh])
        var c = Clusterer(profile: profile)
        c.process(ChainIndex([teach, apply, untaught]))
        let ids = c.clusterIDs()
        #expect(ids[3] == 1 && ids[5] == 1 && ids[4] == 4)
        #expect(ids[7] == 7 && ids[8] == 8)
        #expect(c.changeKinds[1] == 1 << UInt32(pkh.code))
        #expect(c.walletTypeNamed.map(\.tx) == [TxID(2)])
        #expect(c.merges.records.last?.heuristicIDs == ["change.wallet-type"])
    }

    @Test func walletTypeStaysSilentWhenTheClusterDisagreesOrTwoOutputsMatch() {
        var profile = HeuristicProfile.builtInDefault
        profile.change = .first([.unique(.use("change.round-payment", parameters: ["significant_digits": 3])),
                                 .unique(.use("change.wallet-type"))])
        let wpkh = ScriptKind.witnessV0KeyHash, pkh = ScriptKind.pubkeyhash
        // Two picks of different types in one cluster (a wallet that mimics its payees): nothing learned.
        let a = tx(1, inputs: [(1, 9_000_000)], outputs: [(2, 5_000_000), (3, 3_987_654)], outKinds: [wpkh, pkh])
        let b = tx(2, inputs: [(1, 9_000_000)], outputs: [(4, 5_000_000), (5, 3_987_654)], outKinds: [pkh, wpkh])
        let mixed = tx(3, inputs: [(3, 3_987_654), (5, 3_987_654)], outputs: [(6, 1_234_567), (7, 6_543_210)], outKinds: [wpkh, pkh])
        // A taught cluster, but both outputs have its change type.
        let taught = tx(4, inputs: [(10, 9_000_000)], outputs: [(11, 5_000_000), (12, 3_987_654)], outKinds: [wpkh, pkh])
        let both = tx(5, inputs: [(12, 3_987_654)], outputs: [(13, 1_234_567), (14, 2_743_210)], outKinds: [pkh, pkh])
        var c = Clusterer(profile: profile)
        c.process(ChainIndex([a, b, mixed, taught, both]))
        let ids = c.clusterIDs()
        #expect(ids[6] == 6 && ids[7] == 7)
        #expect(ids[13] == 13 && ids[14] == 14)
        // (In tx 2 it does name an output — the P2PKH one, learned from tx 1 — but round payment speaks first.)
        #expect(c.walletTypeNamed.map(\.tx) == [TxID(2)])
        #expect(ids[4] == 4 && ids[5] == 1)
    }

    @Test func walletTypeResumesFromTheStoredState() throws {
        var profile = HeuristicProfile.builtInDefault
        profile.change = .first([.unique(.use("change.round-payment", parameters: ["significant_digits": 3])),
                                 .unique(.use("change.wallet-type"))])
        let wpkh = ScriptKind.witnessV0KeyHash, pkh = ScriptKind.pubkeyhash
        let teach = tx(1, inputs: [(1, 9_000_000)], outputs: [(2, 5_000_000), (3, 3_987_654)], outKinds: [wpkh, pkh])
        let apply = tx(2, inputs: [(3, 3_987_654)], outputs: [(4, 1_234_567), (5, 2_743_210)], outKinds: [wpkh, pkh])
        var fresh = Clusterer(profile: profile)
        fresh.process(ChainIndex([teach, apply]))
        var first = Clusterer(profile: profile)
        first.process(ChainIndex([teach]))
        let resumed = try UnionFind(roots: first.clusterIDs())
        var second = Clusterer(profile: profile, unionFind: resumed, seen: first.seen, changeKinds: first.changeKinds)
        second.process(ChainIndex([apply]))
        #expect(second.clusterIDs() == fresh.clusterIDs())
        #expect(fresh.clusterIDs()[5] == 1)
        // Without the learned state the resumed run would not know the type: the state matters.
        var forgetful = Clusterer(profile: profile, unionFind: try UnionFind(roots: first.clusterIDs()), seen: first.seen)
        forgetful.process(ChainIndex([apply]))
        #expect(forgetful.clusterIDs() != fresh.clusterIDs())
    }
}
