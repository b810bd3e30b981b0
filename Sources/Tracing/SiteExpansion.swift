import ChainIndex
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
        case consolidation = "site.consolidation"
        case cospend = "site.cospend"
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
    public static func expand(seeds: [Int], graph: ChainIndex, clusters: ClusterAssignment,
                              rules: SiteExpansionRules = SiteExpansionRules()) -> SiteCluster {
        var state = Expansion(graph: graph, clusters: clusters, rules: rules)
        for seed in Set(seeds).sorted() where seed >= 0 {
            state.evidence.append(SiteEvidence(rule: .watchlist, tx: nil, address: seed, clusters: [], addressesAdded: 0))
            state.add(seed)
        }
        // Strong rules to a fixed point first (consolidations, cold sweeps, PayJoin receiver inputs); then the
        // co-spends of the site's other spends, judged against everything found so far; repeat while they add.
        repeat { state.drainFrontier() } while state.addCospends() > 0
        let siteID = seeds.filter { $0 >= 0 }.map { clusters.cluster(of: $0) }.min() ?? -1
        return SiteCluster(clusters: [], extraAddresses: state.extra.sorted(), members: state.isMember.sorted(),
                           evidence: state.evidence, id: siteID, coldCandidates: state.judgedCold.sorted(),
                           isMember: state.isMember)
    }

    /// The growing site and what has been judged.
    struct Expansion {
        let graph: ChainIndex
        let clusters: ClusterAssignment
        let rules: SiteExpansionRules
        var isMember = Set<Int>()
        var extra: [Int] = []
        var evidence: [SiteEvidence] = []
        var frontier: [Int] = []
        var judgedCold = Set<Int>()
        var judgedPayjoinTx = Set<Int>()
        /// `payerClusters()` and the site's size when they were found: the site only grows, so an unchanged size
        /// means an unchanged site, and its receipts are walked once per growth instead of once per site spend.
        var payers: (siteSize: Int, clusters: Set<Int>)?

        init(graph: ChainIndex, clusters: ClusterAssignment, rules: SiteExpansionRules) {
            self.graph = graph; self.clusters = clusters; self.rules = rules
        }

        /// Adds an address; returns whether it was new.
        @discardableResult mutating func add(_ a: Int) -> Bool {
            guard a >= 0, isMember.insert(a).inserted else { return false }
            frontier.append(a)
            return true
        }

        /// Adds every input address of `t` not yet in the site; returns how many.
        mutating func addInputs(of t: Int) -> Int {
            graph.inputs(of: t).reduce(0) { n, i in n + (add(graph.address(ofInput: i)) ? 1 : 0) }
        }

        /// The strong rules, from every address not yet looked at, until nothing is added.
        mutating func drainFrontier() {
            while !frontier.isEmpty {
                let batch = frontier.sorted()
                frontier.removeAll()
                for address in batch {
                    for o in graph.outputsPaying(address) {
                        let spender = graph.outputSpentBy[o]
                        if spender >= 0 { spentBySite(graph.inputTx[spender]) }
                        if rules.payjoinReceiver { payjoinInto(graph.outputTx[o], output: o) }
                    }
                }
            }
        }

        /// A transaction spending a site coin: a one-output consolidation brings its inputs (one owner moving
        /// coins together, not a payment to someone), unless one of them belongs to a cluster that pays the
        /// site; and its output may be the site's cold store.
        mutating func spentBySite(_ t: Int) {
            let outs = graph.outputs(of: t)
            guard outs.count == 1, !graph.txIsCoinbase[t] else { return }
            let payers = payerClusters()
            let strangers = graph.inputs(of: t).map { graph.address(ofInput: $0) }.filter { $0 >= 0 && !isMember.contains($0) }
            if !strangers.isEmpty && !strangers.contains(where: { payers.contains(clusters.cluster(of: $0)) }) {
                let n = addInputs(of: t)
                if n > 0 { evidence.append(SiteEvidence(rule: .consolidation, tx: t, address: graph.address(ofOutput: outs.lowerBound), clusters: [], addressesAdded: n)) }
            }
            let cold = graph.address(ofOutput: outs.lowerBound)
            guard rules.coldSweep, cold >= 0, !judgedCold.contains(cold),
                  graph.inputs(of: t).allSatisfy({ isMember.contains(graph.address(ofInput: $0)) }) else { return }
            judgedCold.insert(cold)
            guard let sweeps = coldSweeps(into: cold, graph: graph) else { return }
            for s in sweeps {
                var n = addInputs(of: s)
                if add(cold) { n += 1 }
                if n > 0 { evidence.append(SiteEvidence(rule: .coldSweep, tx: s, address: cold, clusters: [], addressesAdded: n)) }
            }
        }

        /// A PayJoin paying the site: its receiver input joins, alone (`site.payjoin-receiver`).
        mutating func payjoinInto(_ t: Int, output o: Int) {
            guard judgedPayjoinTx.insert(t).inserted,
                  let input = payjoinReceiverInput(tx: t, siteOutput: o, graph: graph, isMember: isMember) else { return }
            let a = graph.address(ofInput: input)
            if add(a) {
                extra.append(a)
                evidence.append(SiteEvidence(rule: .payjoinReceiver, tx: t, address: a, clusters: [], addressesAdded: 1))
            }
        }

        /// Clusters that pay the site: the clusters of the inputs of transactions that pay a site address and
        /// spend no site coin (an ad payment, not the site moving its own money). Walked again only when the site
        /// has grown since the last call (`payers`).
        mutating func payerClusters() -> Set<Int> {
            if let payers, payers.siteSize == isMember.count { return payers.clusters }
            var found = Set<Int>()
            for a in isMember {
                for o in graph.outputsPaying(a) {
                    let t = graph.outputTx[o]
                    let ins = graph.inputs(of: t)
                    guard !graph.txIsCoinbase[t], !ins.contains(where: { isMember.contains(graph.address(ofInput: $0)) }) else { continue }
                    for i in ins where graph.address(ofInput: i) >= 0 { found.insert(clusters.cluster(of: graph.address(ofInput: i))) }
                }
            }
            payers = (isMember.count, found)
            return found
        }

        /// The site's spends with several outputs (a cash-out with change, a PayJoin it took part in): their
        /// other inputs join only when the transaction pays no site address (the site paying someone else, not
        /// someone paying the site) and none of them belongs to a cluster that pays the site. Judged against
        /// the site as it stands; returns the addresses added.
        mutating func addCospends() -> Int {
            let payers = payerClusters()
            var spends = Set<Int>()
            for a in isMember {
                for o in graph.outputsPaying(a) where graph.outputSpentBy[o] >= 0 {
                    spends.insert(graph.inputTx[graph.outputSpentBy[o]])
                }
            }
            var added = 0
            for t in spends.sorted() where graph.outputs(of: t).count > 1 && !graph.txIsCoinbase[t] {
                let strangers = graph.inputs(of: t).map { graph.address(ofInput: $0) }.filter { $0 >= 0 && !isMember.contains($0) }
                guard !strangers.isEmpty,
                      !graph.outputs(of: t).contains(where: { isMember.contains(graph.address(ofOutput: $0)) }),
                      !strangers.contains(where: { payers.contains(clusters.cluster(of: $0)) }) else { continue }
                let n = addInputs(of: t)
                added += n
                evidence.append(SiteEvidence(rule: .cospend, tx: t, address: strangers.min()!, clusters: [], addressesAdded: n))
            }
            return added
        }
    }

    /// The single-output consolidations into `cold`, when `cold` passes the cold-store test; else nil.
    static func coldSweeps(into cold: Int, graph: ChainIndex) -> [Int]? {
        guard case .sweeps(let sweeps) = walkColdReceipts(cold, graph: graph), sweeps.count >= 2 else { return nil }
        return sweeps
    }

    /// True when some transaction paying `cold` rules it out as a cold store (a coinbase, or a payment that is
    /// neither a one-output consolidation nor a spend from `cold` itself). Receipts are read in chain order and
    /// the first such transaction decides, so a graph holding `cold`'s receipts up to that transaction (in
    /// chain order) answers as the whole chain does: a caller loading an address's receipts piecemeal (an
    /// exchange's may be millions) can stop there.
    public static func rulesOutColdStore(_ cold: Int, graph: ChainIndex) -> Bool {
        if case .ruledOut = walkColdReceipts(cold, graph: graph) { return true }
        return false
    }

    enum ColdReceipts { case ruledOut, sweeps([Int]) }

    static func walkColdReceipts(_ cold: Int, graph: ChainIndex) -> ColdReceipts {
        var sweeps: [Int] = []
        for o in graph.outputsPaying(cold) {
            let t = graph.outputTx[o]
            if graph.txIsCoinbase[t] { return .ruledOut }
            let single = graph.outputs(of: t).count == 1
            let selfSpend = graph.inputs(of: t).contains { graph.address(ofInput: $0) == cold }
            if single && !selfSpend {
                if sweeps.last != t { sweeps.append(t) }
            } else if !selfSpend {
                return .ruledOut
            }
        }
        return .sweeps(sweeps)
    }

    /// The receiver's input of a PayJoin into the site (see the type's documentation), or nil.
    static func payjoinReceiverInput(tx t: Int, siteOutput o: Int, graph: ChainIndex, isMember: Set<Int>) -> Int? {
        func member(_ a: Int) -> Bool { isMember.contains(a) }
        let inputs = graph.inputs(of: t)
        guard inputs.count >= 2, !graph.txIsCoinbase[t] else { return nil }
        // Exactly one output into the site, and no input already the site's (that is the site spending).
        guard graph.outputs(of: t).filter({ member(graph.address(ofOutput: $0)) }).count == 1,
              !inputs.contains(where: { member(graph.address(ofInput: $0)) }) else { return nil }
        let kind = graph.kind(of: graph.address(ofOutput: o))
        guard kind != 0 else { return nil }
        func kindOf(_ i: Int) -> UInt8 { graph.kind(of: graph.address(ofInput: i)) }
        let sameKind = inputs.filter { kindOf($0) == kind }
        guard sameKind.count == 1, let i = sameKind.first, graph.inputValue[i] < graph.outputValue[o],
              graph.address(ofInput: i) >= 0 else { return nil }
        guard inputs.allSatisfy({ $0 == i || (kindOf($0) != 0 && kindOf($0) != kind) }) else { return nil }
        return i
    }
}
