import ChainIndex

/// What the store says about the last clustering run, as far as the next run's plan needs it.
public struct StoredRunFacts: Sendable, Equatable {
    public var profileHash: String
    /// Digest of the entity tags the guard used (nil for runs stored before it was kept).
    public var tagsDigest: String?
    /// The last transaction the run clustered, in chain order.
    public var watermark: ChainPosition?
    public var transactions: Int
    /// Sum of the clustered transactions' store ids (nil for runs stored before it was kept).
    public var idSum: Int64?

    public init(profileHash: String, tagsDigest: String?, watermark: ChainPosition?, transactions: Int, idSum: Int64?) {
        self.profileHash = profileHash; self.tagsDigest = tagsDigest; self.watermark = watermark
        self.transactions = transactions; self.idSum = idSum
    }
}

/// What the chain holds now up to the stored run's watermark.
public struct ChainAtWatermark: Sendable, Equatable {
    /// Best-chain (and loose) transactions up to the watermark, and the sum of their store ids: equal to the
    /// stored run's when the chain only grew after it (a reorg below it replaces transaction rows).
    public var transactions: Int
    public var idSum: Int64
    /// No transaction can still join the watermark's block: it is a best-chain block (not the loose
    /// transactions, where a new loose one may spend an old one's output) and nothing of it comes after the
    /// watermark (a partially fetched block completed later would add some).
    public var endsItsBlock: Bool

    public init(transactions: Int, idSum: Int64, endsItsBlock: Bool) {
        self.transactions = transactions; self.idSum = idSum; self.endsItsBlock = endsItsBlock
    }
}

/// What a clustering run does, decided from values alone (the stored run, the chain at its watermark, the
/// profile, the tags), the way graphsense-lib plans its clustering changes before applying them: start over or
/// extend the stored clustering, which input to read, from where, and which stored evidence goes first. The
/// result is the same either way; extending only saves work.
public struct ClusterPlan: Sendable, Equatable {
    public enum Start: Sendable, Equatable {
        /// A new clusterer over every address; every stored evidence record goes.
        case fresh
        /// Resume from the stored cluster ids, seen addresses and learned change kinds.
        case storedClusters
        /// The stored cluster ids include the profile's links, which are redone over the whole chain: resume
        /// from the walk's own stored merges, replayed (union by minimum gives the same ids in any order), and
        /// drop the links' evidence first.
        case replayedWalkMerges
    }
    public var start: Start
    /// Where the stored run stopped (nil for a fresh run): the walk clusters only what comes after.
    public var resumeAfter: ChainPosition?
    /// Read the narrow co-spend input (`CospendIndex`, the store's `clusterInput`) instead of the full index:
    /// a profile without a change rule or links needs only input addresses.
    public var readsCospendsOnly: Bool
    /// For the full index: load the transactions after this position (nil: all of them; a profile with links
    /// reads the whole chain even when it resumes).
    public var loadAfter: ChainPosition?
    /// The optional index columns the profile reads.
    public var columns: ChainIndex.Columns

    public init(start: Start, resumeAfter: ChainPosition?, readsCospendsOnly: Bool, loadAfter: ChainPosition?,
                columns: ChainIndex.Columns) {
        self.start = start; self.resumeAfter = resumeAfter; self.readsCospendsOnly = readsCospendsOnly
        self.loadAfter = loadAfter; self.columns = columns
    }

    /// The first transaction the walk clusters, given the positions of the loaded transactions.
    public func walkStart(in positions: [ChainPosition]) -> Int {
        guard start == .replayedWalkMerges, let mark = resumeAfter else { return 0 }
        return positions.firstIndex { $0 > mark } ?? positions.count
    }
}

public enum ClusterPlanner {
    /// Heuristics that look at later transactions (spenders): a stored clustering that used them cannot be
    /// extended, because earlier decisions would change once the spenders arrive; such profiles rerun fully.
    static let lookAhead: Set<HeuristicID> = [HeuristicRegistry.fingerprint, HeuristicRegistry.peelChain]
    /// Heuristics that read only spenders in the same block as the output (or loose spenders of loose outputs).
    /// An ingest commits whole blocks, so these are known when the output's transaction is first clustered:
    /// they need spender shapes loaded but do not stop incremental runs (see `ChainAtWatermark.endsItsBlock`).
    static let sameBlockSpenders: Set<HeuristicID> = [HeuristicRegistry.sameBlockSpend]

    /// Profiles without a change rule or links read only input addresses (and the CoinJoin candidates' columns).
    public static func usesCospendsOnly(_ profile: HeuristicProfile) -> Bool { profile.change == nil && profile.links.isEmpty }

    /// Whether the profile reads spender shapes (`ChainIndex.Columns.spenderShapes`).
    public static func needsSpenders(_ profile: HeuristicProfile) -> Bool {
        (profile.change?.leaves ?? []).contains { lookAhead.contains($0.0) || sameBlockSpenders.contains($0.0) }
    }

    /// Whether the profile reads spenders in later blocks: then a stored clustering cannot be extended.
    public static func looksAhead(_ profile: HeuristicProfile) -> Bool {
        (profile.change?.leaves ?? []).contains { lookAhead.contains($0.0) }
    }

    static func readsSameBlockSpenders(_ profile: HeuristicProfile) -> Bool {
        (profile.change?.leaves ?? []).contains { sameBlockSpenders.contains($0.0) }
    }

    /// Extends the stored clustering when it was made with the same profile file and entity tags, no
    /// look-ahead heuristic is used, and the chain only grew after what it covered (by whole blocks, when the
    /// profile reads same-block spenders); otherwise starts over.
    public static func plan(profile: HeuristicProfile, tagsDigest: String, stored: StoredRunFacts?,
                            chainAtWatermark: ChainAtWatermark?, allowIncremental: Bool = true) -> ClusterPlan {
        let cospendsOnly = usesCospendsOnly(profile), hasLinks = !profile.links.isEmpty
        let columns: ChainIndex.Columns = needsSpenders(profile) ? [.spenderShapes] : []
        var resumeAfter: ChainPosition?
        if allowIncremental, let stored, stored.profileHash == profile.hash, !looksAhead(profile),
           stored.tagsDigest == tagsDigest, let mark = stored.watermark, let idSum = stored.idSum,
           let now = chainAtWatermark, now.transactions == stored.transactions, now.idSum == idSum,
           !readsSameBlockSpenders(profile) || now.endsItsBlock {
            resumeAfter = mark
        }
        let start: ClusterPlan.Start = resumeAfter == nil ? .fresh : hasLinks ? .replayedWalkMerges : .storedClusters
        return ClusterPlan(start: start, resumeAfter: resumeAfter, readsCospendsOnly: cospendsOnly,
                           loadAfter: hasLinks ? nil : resumeAfter, columns: columns)
    }
}
