import ChainIndex
/// Everything `spoor evaluate` prints: the pairwise score, the change table and the CoinJoin check.
public struct EvaluationReport: Sendable, Codable {
    public struct CoinJoinCheck: Sendable, Codable, Equatable {
        public var inTruth: Int
        public var detected: Int
        public var missed: [String]
        public var flaggedOther: [String]
        enum CodingKeys: String, CodingKey {
            case detected, missed
            case inTruth = "in_truth", flaggedOther = "flagged_other"
        }
    }
    public var profile: String
    public var profileHash: String
    public var clustering: ClusteringScore
    /// The same score for the clusters before the profile's links (`link.deposit-address`) were applied:
    /// the change rule's own result. nil for a profile without links.
    public var clusteringBeforeLinks: ClusteringScore?
    public var coinjoins: CoinJoinCheck
    /// The profile's change rule first (`rule`), then each change heuristic alone as unique(h).
    public var change: [ChangeScore]
    /// Change merges per heuristic, from the run (what each heuristic contributed to the clusters).
    public var changeMergesPerHeuristic: [String: Int]

    enum CodingKeys: String, CodingKey {
        case profile, clustering, coinjoins, change
        case profileHash = "profile_hash", changeMergesPerHeuristic = "change_merges_per_heuristic"
        case clusteringBeforeLinks = "clustering_before_links", linkMergesPerHeuristic = "link_merges_per_heuristic"
    }
    /// Link merges per heuristic (`link.deposit-address`), from the run.
    public var linkMergesPerHeuristic: [String: Int]

    /// - Parameters:
    ///   - batch: every transaction of the chain, in chain order (the same the clusterer ran on).
    ///   - txid: display-hex txid of a dense transaction id.
    ///   - clusterer: the finished run.
    public init(batch: ChainIndex, txid: (TxID) -> String, truth: GroundTruth, clusterer: inout Clusterer) {
        profile = clusterer.profile.id
        profileHash = clusterer.profile.hash
        // Owners per address id, via the outputs (the truth names each output's owner).
        var index: [String: Int] = [:]
        for t in 0..<batch.txCount { index[txid(TxID(batch.txStoreID[t]))] = t }
        var owner: [UInt32: Int] = [:]
        var entityIndex: [String: Int] = [:]
        var trueChange = Set<ChangeOutput>()
        for (hex, t) in truth.transactions {
            guard let i = index[hex] else { continue }
            let view = batch.view(i)
            for o in t.outputs where o.n < view.outputCount {
                let a = view.outputAddress(o.n)
                if o.isChange { trueChange.insert(ChangeOutput(tx: view.id, vout: o.n)) }
                guard a != ChainIndex.noAddress, let e = o.entity else { continue }
                let ei: Int
                if let x = entityIndex[e] { ei = x } else { ei = entityIndex.count; entityIndex[e] = ei }
                owner[a] = ei
            }
        }
        let roots = clusterer.clusterIDs()
        let owners = owner.map { (AddressID($0.key), $0.value) }
        clustering = ClusteringScore(owners: owners) { a in ClusterID(Int(a.raw) < roots.count ? roots[Int(a.raw)] : a.raw) }
        clusteringBeforeLinks = clusterer.rootsBeforeLinks.map { before in
            ClusteringScore(owners: owners) { a in ClusterID(Int(a.raw) < before.count ? before[Int(a.raw)] : a.raw) }
        }

        let truthCJ = Set(truth.txids(ofKind: "coinjoin"))
        let flagged = Set(clusterer.flagged.map { txid($0.tx) })
        coinjoins = CoinJoinCheck(inTruth: truthCJ.count, detected: truthCJ.intersection(flagged).count,
                                  missed: truthCJ.subtracting(flagged).sorted(),
                                  flaggedOther: flagged.subtracting(truthCJ).sorted())

        let scan = ChangeScan(batch: batch, profile: clusterer.profile)
        var rows: [ChangeScore] = []
        if let rule = clusterer.profile.change {
            // What the run picked (the stateless scan cannot replay heuristics that learn as they go).
            let picked = clusterer.changePicks.map { ChangeOutput(tx: $0.tx, vout: $0.vout) }
            rows.append(ChangeScore(heuristic: "rule: " + rule.summary, named: picked, truth: trueChange))
        }
        for id in HeuristicRegistry.changeIDs {
            // change.wallet-type is only defined inside a run that learns: its row is what it named there.
            let named = id == HeuristicRegistry.walletType
                ? clusterer.walletTypeNamed.map { ChangeOutput(tx: $0.tx, vout: $0.vout) } : scan.named[id] ?? []
            rows.append(ChangeScore(heuristic: "unique(\(id.rawValue))", named: named, truth: trueChange))
        }
        change = rows
        var contrib: [String: Int] = [:]
        for (id, n) in clusterer.statistics.merges where id.rawValue.hasPrefix("change.") { contrib[id.rawValue] = n }
        changeMergesPerHeuristic = contrib
        var links: [String: Int] = [:]
        for (id, n) in clusterer.statistics.merges where id.rawValue.hasPrefix("link.") { links[id.rawValue] = n }
        linkMergesPerHeuristic = links
    }
}
