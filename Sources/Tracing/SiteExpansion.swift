/// How a watchlist (a few addresses the investigator saw) grows into the set of addresses the site controls.
///
/// 1. **Clustering** (`seed.cluster`): every watchlist address brings its whole cluster, with the evidence the
///    clustering step stored for each merge (`spoor explain`).
/// 2. **Cold-sweep destination** (`site.cold-sweep`, on by default): a site that takes a fresh invoice
///    address per payment empties them now and then with a consolidation — many inputs, one output, no
///    change — into one cold address. Common-input clustering joins the invoices of one sweep, but two sweeps
///    share only their output. An address C is taken as the site's cold store when a consolidation that spends
///    only site addresses pays C, at least two single-output consolidations pay C, and every transaction that
///    ever paid C is either such a consolidation or spends from C itself (change back to the cold address).
///    Then the inputs of every consolidation into C, and C's cluster, join the site. An exchange deposit
///    address fails the last test (customers' payments carry change), so does a merchant's address.
/// 3. **PayJoin receiver input** (`site.payjoin-receiver`, on by default, probabilistic): in a PayJoin
///    (BIP78) the receiver adds one of its own inputs and is paid that input back inside its output. When a
///    transaction pays exactly one site address O, has at least two inputs, exactly one input I has the same
///    script type as O and a value below O's, and all other inputs have another script type, I's address is
///    taken as the site's — the address only, never its cluster, because common-input clustering has
///    already (wrongly) merged the payer's wallet into it.
public struct SiteExpansionRules: Sendable, Hashable, Codable {
    public var coldSweep: Bool
    public var payjoinReceiver: Bool
    public init(coldSweep: Bool = true, payjoinReceiver: Bool = true) {
        self.coldSweep = coldSweep; self.payjoinReceiver = payjoinReceiver
    }
}

/// One reason an address or cluster belongs to the site.
public struct SiteEvidence: Sendable, Hashable {
    public enum Rule: String, Sendable, Codable {
        case watchlist = "seed.watchlist"
        case clustering = "seed.cluster"
        case coldSweep = "site.cold-sweep"
        case payjoinReceiver = "site.payjoin-receiver"
    }
    public var rule: Rule
    /// The transaction that shows it (nil for the watchlist itself and for clustering).
    public var tx: Int?
    /// The address the rule is about (watchlist address, cold address, PayJoin input address).
    public var address: Int
    /// The clusters the step brought in (empty when only one address was added).
    public var clusters: [Int]
    /// Number of addresses that were new to the site at this step.
    public var addressesAdded: Int
}

public struct SiteCluster: Sendable {
    /// The store's clusters that belong to the site, ascending.
    public var clusters: [Int]
    /// Single addresses added without their cluster (PayJoin receiver inputs).
    public var extraAddresses: [Int]
    /// Every site address, ascending.
    public var members: [Int]
    public var evidence: [SiteEvidence]
    /// The smallest cluster id among the watchlist's clusters: the site's name in reports.
    public var id: Int
    /// Addresses judged by the cold-store test, ascending (their receipts were read): with `members` and
    /// `clusters`, everything of the chain the expansion looked at, so a caller holding only part of the chain
    /// can tell whether it held enough.
    public var coldCandidates: [Int]
    private var isMember: Set<Int>

    public func contains(_ address: Int) -> Bool { isMember.contains(address) }

    init(clusters: [Int], extraAddresses: [Int], members: [Int], evidence: [SiteEvidence], id: Int,
         coldCandidates: [Int], isMember: Set<Int>) {
        self.clusters = clusters; self.extraAddresses = extraAddresses; self.members = members
        self.evidence = evidence; self.id = id; self.coldCandidates = coldCandidates; self.isMember = isMember
    }
}

public enum SiteExpansion {
    public static func expand(seeds: [Int], graph: ChainGraph, clusters: ClusterAssignment,
                              rules: SiteExpansionRules = SiteExpansionRules()) -> SiteCluster {
        var isMember = Set<Int>()
        var siteClusters = Set<Int>()
        var extra: [Int] = []
        var evidence: [SiteEvidence] = []
        var frontier: [Int] = []

        func addCluster(_ c: Int) -> Int {
            guard c >= 0, siteClusters.insert(c).inserted else { return 0 }
            var added = 0
            for a in clusters.members(of: c) where isMember.insert(a).inserted {
                frontier.append(a); added += 1
            }
            return added
        }

        for seed in seeds.sorted() where seed >= 0 {
            evidence.append(SiteEvidence(rule: .watchlist, tx: nil, address: seed, clusters: [], addressesAdded: 0))
            let c = clusters.cluster(of: seed)
            let n = addCluster(c)
            if n > 0 { evidence.append(SiteEvidence(rule: .clustering, tx: nil, address: seed, clusters: [c], addressesAdded: n)) }
        }
        let siteID = seeds.filter { $0 >= 0 }.map { clusters.cluster(of: $0) }.min() ?? -1

        var judgedCold = Set<Int>()
        var judgedPayjoinTx = Set<Int>()
        while !frontier.isEmpty {
            let batch = frontier.sorted()
            frontier.removeAll()
            for address in batch {
                for o in graph.outputsPaying(address) {
                    // Outgoing: consolidations spending this address.
                    let spender = graph.outputSpentBy[o]
                    if rules.coldSweep, spender >= 0 {
                        let t = graph.inputTx[spender]
                        let outs = graph.outputs(of: t)
                        if outs.count == 1, let cold = Optional(graph.outputAddress[outs.lowerBound]), cold >= 0,
                           !judgedCold.contains(cold),
                           graph.inputs(of: t).allSatisfy({ isMember.contains(graph.inputAddress[$0]) }) {
                            judgedCold.insert(cold)
                            if let sweeps = coldSweeps(into: cold, graph: graph) {
                                for s in sweeps {
                                    var brought: [Int] = []
                                    var n = 0
                                    var seen = Set<Int>()
                                    for i in graph.inputs(of: s) {
                                        let c = clusters.cluster(of: graph.inputAddress[i])
                                        guard c >= 0, seen.insert(c).inserted else { continue }
                                        let k = addCluster(c)
                                        if k > 0 { brought.append(c); n += k }
                                    }
                                    let cc = clusters.cluster(of: cold)
                                    let k = addCluster(cc)
                                    if k > 0 { brought.append(cc); n += k }
                                    if n > 0 {
                                        evidence.append(SiteEvidence(rule: .coldSweep, tx: s, address: cold,
                                                                     clusters: brought.sorted(), addressesAdded: n))
                                    }
                                }
                            }
                        }
                    }
                    // Incoming: PayJoins paying this address.
                    let t = graph.outputTx[o]
                    if rules.payjoinReceiver, !judgedPayjoinTx.contains(t) {
                        judgedPayjoinTx.insert(t)
                        if let input = payjoinReceiverInput(tx: t, siteOutput: o, graph: graph, isMember: isMember) {
                            let a = graph.inputAddress[input]
                            if a >= 0, isMember.insert(a).inserted {
                                extra.append(a)
                                frontier.append(a)
                                evidence.append(SiteEvidence(rule: .payjoinReceiver, tx: t, address: a, clusters: [],
                                                             addressesAdded: 1))
                            }
                        }
                    }
                }
            }
        }
        return SiteCluster(clusters: siteClusters.sorted(), extraAddresses: extra.sorted(), members: isMember.sorted(),
                           evidence: evidence, id: siteID, coldCandidates: judgedCold.sorted(), isMember: isMember)
    }

    /// The single-output consolidations into `cold`, when `cold` passes the cold-store test; else nil.
    static func coldSweeps(into cold: Int, graph: ChainGraph) -> [Int]? {
        guard case .sweeps(let sweeps) = walkColdReceipts(cold, graph: graph), sweeps.count >= 2 else { return nil }
        return sweeps
    }

    /// True when some transaction paying `cold` rules it out as a cold store (a coinbase, or a payment that is
    /// neither a one-output consolidation nor a spend from `cold` itself). Receipts are read in chain order and
    /// the first such transaction decides, so a graph holding `cold`'s receipts up to that transaction (in
    /// chain order) answers as the whole chain does: a caller loading an address's receipts piecemeal (an
    /// exchange's may be millions) can stop there.
    public static func rulesOutColdStore(_ cold: Int, graph: ChainGraph) -> Bool {
        if case .ruledOut = walkColdReceipts(cold, graph: graph) { return true }
        return false
    }

    enum ColdReceipts { case ruledOut, sweeps([Int]) }

    static func walkColdReceipts(_ cold: Int, graph: ChainGraph) -> ColdReceipts {
        var sweeps: [Int] = []
        for o in graph.outputsPaying(cold) {
            let t = graph.outputTx[o]
            if graph.txIsCoinbase[t] { return .ruledOut }
            let single = graph.outputs(of: t).count == 1
            let selfSpend = graph.inputs(of: t).contains { graph.inputAddress[$0] == cold }
            if single && !selfSpend {
                if sweeps.last != t { sweeps.append(t) }
            } else if !selfSpend {
                return .ruledOut
            }
        }
        return .sweeps(sweeps)
    }

    /// The receiver's input of a PayJoin into the site (see the type's documentation), or nil.
    static func payjoinReceiverInput(tx t: Int, siteOutput o: Int, graph: ChainGraph, isMember: Set<Int>) -> Int? {
        func member(_ a: Int) -> Bool { isMember.contains(a) }
        let inputs = graph.inputs(of: t)
        guard inputs.count >= 2, !graph.txIsCoinbase[t] else { return nil }
        // Exactly one output into the site, and no input already the site's (that is the site spending).
        guard graph.outputs(of: t).filter({ member(graph.outputAddress[$0]) }).count == 1,
              !inputs.contains(where: { member(graph.inputAddress[$0]) }) else { return nil }
        let kind = graph.kind(of: graph.outputAddress[o])
        guard kind != 0 else { return nil }
        func kindOf(_ i: Int) -> UInt8 { graph.kind(of: graph.inputAddress[i]) }
        let sameKind = inputs.filter { kindOf($0) == kind }
        guard sameKind.count == 1, let i = sameKind.first, graph.inputValue[i] < graph.outputValue[o],
              graph.inputAddress[i] >= 0 else { return nil }
        guard inputs.allSatisfy({ $0 == i || (kindOf($0) != 0 && kindOf($0) != kind) }) else { return nil }
        return i
    }
}
