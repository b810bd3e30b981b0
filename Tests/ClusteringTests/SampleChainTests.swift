import Clustering
import SpoorTestSupport
import Testing

/// Targets of issue 4, measured on the bundled small-seed1 chain against its ground truth.
/// The reference figures (0.99957 / 0.0284 / 1857) come from the chain's README, computed independently.
@Suite struct SampleChainTests {
    @Test func defaultProfileIsPureCommonInputClustering() throws {
        let (builder, truth) = try SampleChain.load()
        var c = Clusterer(profile: try SampleChain.profile("default"), addressCount: builder.scripts.count)
        c.process(builder.batch)
        let txids = builder.txids
        let report = EvaluationReport(batch: builder.batch, txid: { txids[Int($0.raw)].hex }, truth: truth, clusterer: &c)
        #expect(report.coinjoins.inTruth == 3)
        #expect(report.coinjoins.missed.isEmpty)
        #expect(report.coinjoins.flaggedOther.isEmpty)
        #expect(report.clustering.clusters == 1857)
        #expect(abs(report.clustering.precision - 0.99957) < 0.000005)
        #expect(abs(report.clustering.recall - 0.0284) < 0.00005)
    }

    @Test func changeProfileAddsPrecisePairs() throws {
        let (builder, truth) = try SampleChain.load()
        var c = Clusterer(profile: try SampleChain.profile("change"), addressCount: builder.scripts.count)
        c.process(builder.batch)
        let txids = builder.txids
        let report = EvaluationReport(batch: builder.batch, txid: { txids[Int($0.raw)].hex }, truth: truth, clusterer: &c)
        // The target for the profile: pairwise recall ≥ 0.30 at precision ≥ 0.99 (measured 0.99926 / 0.6627).
        #expect(report.clustering.precision >= 0.99)
        #expect(report.clustering.recall >= 0.30)
        // The change rule alone, before the deposit-address link (measured 0.99823 / 0.2759): the link must add
        // recall, not be the only thing that clusters, and the rule's own precision holds too.
        let walk = try #require(report.clusteringBeforeLinks)
        #expect(walk.precision >= 0.99)
        #expect(walk.recall >= 0.27 && walk.recall < report.clustering.recall)
        #expect((report.linkMergesPerHeuristic["link.deposit-address"] ?? 0) > 0)
        #expect(c.statistics.depositServices == 1, "the exchange, and nobody else")
        #expect(report.coinjoins.flaggedOther.isEmpty)
        // Every output the rule joined is scored against the truth's is_change: it must be right almost always.
        let rule = try #require(report.change.first)
        #expect(rule.heuristic.hasPrefix("rule: not-contradicted(first("))
        #expect(rule.precision >= 0.99)
        // The learned wallet type, the same-block spends and the unnecessary-input step contribute merges of their own.
        for id in ["change.wallet-type", "change.same-block-spend", "change.largest-input"] {
            #expect((report.changeMergesPerHeuristic[id] ?? 0) > 0, "\(id)")
        }
        // Blocks decoded by ChainBuilder mark same-block spends as the store does: the heuristic speaks, and rightly.
        let sameBlock = try #require(report.change.first { $0.heuristic.contains("change.same-block-spend") && !$0.heuristic.hasPrefix("rule") })
        #expect(sameBlock.named > 100 && sameBlock.precision >= 0.99)
    }

    /// The walk's progress hook (what `spoor cluster` draws its estimate from): called after every slice and at the
    /// end, with the transactions walked of those to walk, and the clustering is the same as without it.
    @Test func progressHookReportsEverySliceAndChangesNothing() throws {
        let (builder, _) = try SampleChain.load()
        let profile = try SampleChain.profile("change")
        let n = builder.batch.txCount, start = 300
        var plain = Clusterer(profile: profile, addressCount: builder.scripts.count)
        plain.process(builder.batch, walkingFrom: start)
        var told: [[Int]] = []
        var watched = Clusterer(profile: profile, addressCount: builder.scripts.count)
        watched.process(builder.batch, walkingFrom: start, progressEvery: 500) { told.append([$0, $1]) }
        let toWalk = n - start
        #expect(toWalk > 1500 && toWalk % 500 != 0, "the sample chain has \(n) transactions")
        let expected = Array(stride(from: 500, to: toWalk, by: 500)) + [toWalk]
        #expect(told == expected.map { [$0, toWalk] })
        #expect(watched.clusterIDs() == plain.clusterIDs())
        #expect(watched.merges.count == plain.merges.count && watched.statistics == plain.statistics)
    }
}
