import ChainIndex
import Clustering
import Testing

/// `ClusterPlanner.plan`: when a stored clustering is extended, what is read and what is replayed. A pure
/// function of the stored run, the chain at its watermark and the profile.
@Suite struct ClusterPlanTests {
    let mark = ChainPosition(height: 120, position: 3)

    func stored(_ profile: HeuristicProfile, tags: String = "t", idSum: Int64? = 77) -> StoredRunFacts {
        StoredRunFacts(profileHash: profile.hash, tagsDigest: tags, watermark: mark, transactions: 10, idSum: idSum)
    }

    @Test func theDefaultProfileExtendsAnUnchangedChainFromTheNarrowInput() throws {
        let profile = HeuristicProfile.builtInDefault
        let plan = ClusterPlanner.plan(profile: profile, tagsDigest: "t", stored: stored(profile),
                                       chainAtWatermark: ChainAtWatermark(transactions: 10, idSum: 77, endsItsBlock: false))
        #expect(plan == ClusterPlan(start: .storedClusters, resumeAfter: mark, readsCospendsOnly: true, loadAfter: mark, columns: []))
        #expect(plan.walkStart(in: [mark, ChainPosition(height: 121, position: 0)]) == 0)
    }

    @Test func anythingThatChangedEarlierDecisionsStartsOver() throws {
        let profile = HeuristicProfile.builtInDefault
        let same = ChainAtWatermark(transactions: 10, idSum: 77, endsItsBlock: true)
        let cases: [(StoredRunFacts?, ChainAtWatermark?, Bool, String)] = [
            (nil, nil, true, "nothing stored"),
            (stored(profile), same, false, "--fresh"),
            (stored(profile, tags: "other"), same, true, "other entity tags"),
            (stored(profile, idSum: nil), same, true, "a run stored before the id sum was kept"),
            (stored(profile), ChainAtWatermark(transactions: 10, idSum: 78, endsItsBlock: true), true, "a reorg below the watermark"),
            (stored(profile), ChainAtWatermark(transactions: 11, idSum: 77, endsItsBlock: true), true, "more rows below the watermark"),
            (StoredRunFacts(profileHash: "other", tagsDigest: "t", watermark: mark, transactions: 10, idSum: 77), same, true,
             "another profile file"),
        ]
        for (s, chain, incremental, why) in cases {
            let plan = ClusterPlanner.plan(profile: profile, tagsDigest: "t", stored: s, chainAtWatermark: chain,
                                           allowIncremental: incremental)
            #expect(plan.start == .fresh && plan.resumeAfter == nil && plan.loadAfter == nil, "\(why)")
        }
    }

    @Test func theChangeProfileReplaysTheWalkAndReadsTheWholeChainForItsLinks() throws {
        let profile = try SampleChain.profile("change")
        let ends = ChainAtWatermark(transactions: 10, idSum: 77, endsItsBlock: true)
        let plan = ClusterPlanner.plan(profile: profile, tagsDigest: "t", stored: stored(profile), chainAtWatermark: ends)
        #expect(plan == ClusterPlan(start: .replayedWalkMerges, resumeAfter: mark, readsCospendsOnly: false, loadAfter: nil,
                                    columns: [.spenderShapes]))
        let positions = [ChainPosition(height: 119, position: 0), mark, ChainPosition(height: 121, position: 0)]
        #expect(plan.walkStart(in: positions) == 2)
        // It reads same-block spenders: a watermark inside a block that may still grow starts over.
        let open = ChainAtWatermark(transactions: 10, idSum: 77, endsItsBlock: false)
        #expect(ClusterPlanner.plan(profile: profile, tagsDigest: "t", stored: stored(profile), chainAtWatermark: open).start == .fresh)
    }

    @Test func lookAheadHeuristicsNeverExtend() {
        let profile = HeuristicProfile(id: "look-ahead", change: .use("change.fingerprint"))
        #expect(ClusterPlanner.looksAhead(profile) && ClusterPlanner.needsSpenders(profile))
        let plan = ClusterPlanner.plan(profile: profile, tagsDigest: "t", stored: stored(profile),
                                       chainAtWatermark: ChainAtWatermark(transactions: 10, idSum: 77, endsItsBlock: true))
        #expect(plan.start == .fresh && !plan.readsCospendsOnly && plan.columns == [.spenderShapes])
    }
}
