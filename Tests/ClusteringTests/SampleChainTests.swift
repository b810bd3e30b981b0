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
        // Measured 0.99818 / 0.2644 (Heuristics/README.md). The target (recall ≥ 0.30) is NOT met yet;
        // this holds the precision bound and the measured recall floor of the shipped rule.
        #expect(report.clustering.precision >= 0.99)
        #expect(report.clustering.recall >= 0.26)
        #expect(report.coinjoins.flaggedOther.isEmpty)
        // Every output the rule joined is scored against the truth's is_change: it must be right almost always.
        let rule = try #require(report.change.first)
        #expect(rule.heuristic.hasPrefix("rule: first("))
        #expect(rule.precision >= 0.99)
        // The learned wallet type contributes merges of its own.
        #expect((report.changeMergesPerHeuristic["change.wallet-type"] ?? 0) > 0)
    }
}
