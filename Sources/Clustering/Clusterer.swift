import ChainIndex
/// Applies a heuristic profile to transactions in chain order, over a union-find, keeping the evidence
/// of every merge and of every link an exclusion or guard stopped.
///
/// Incremental: a clusterer can be rebuilt from a stored state (`UnionFind(roots:)`, the addresses seen
/// so far, the entity tags) and fed only the transactions added since; because it walks the chain in
/// the same order with the same state, the result equals a fresh run over everything.
public struct Clusterer {
    public let profile: HeuristicProfile
    public internal(set) var unionFind: UnionFind
    /// Addresses already paid by an earlier output (chain order): what `change.fresh-address` reads.
    public private(set) var seen: [UInt64]
    public private(set) var merges = EvidenceLog()
    public private(set) var stops = EvidenceLog()
    public internal(set) var statistics = ClusterStatistics()
    /// Change outputs the rule picked: (transaction, vout). Kept so results can list them.
    public private(set) var changePicks: [(tx: TxID, vout: Int)] = []
    /// Non-coinbase transactions an exclusion matched, with the matching rules' mask.
    public internal(set) var flagged: [(tx: TxID, rules: UInt32)] = []
    /// Script kinds (`1 << kind`) of the change outputs picked in each cluster, keyed by the cluster's
    /// root: what `change.wallet-type` learns from. Only roots with a pick have an entry; part of the
    /// state an incremental run resumes from.
    public private(set) var changeKinds: [UInt32: UInt32] = [:]
    /// Outputs `unique(change.wallet-type)` named as it ran (it depends on what was learned before, so
    /// `spoor evaluate` takes its row from here rather than from a stateless scan).
    public private(set) var walletTypeNamed: [(tx: TxID, vout: Int)] = []

    /// Every address's cluster id as the chain walk left it, before the profile's links were applied (nil
    /// without links): `spoor evaluate` scores both, to show what the links add.
    public internal(set) var rootsBeforeLinks: [UInt32]?
    /// The walk's own state and counts, before the links (equal to `changeKinds` and `statistics` without
    /// links): what an incremental run resumes from, since the links are recomputed over the whole chain.
    public internal(set) var changeKindsBeforeLinks: [UInt32: UInt32]?
    public internal(set) var statisticsBeforeLinks: ClusterStatistics?
    /// Evidence bits of every link heuristic: merges and stops carrying one were made by the links.
    public static var linkBit: UInt32 { UInt32(1) << UInt32(HeuristicRegistry.bit(of: HeuristicRegistry.depositAddress) ?? 31) }

    /// Entity tag per tagged address (index into `entityNames`); the tag of a cluster is carried by its root.
    private var rootTag: [UInt32: Int32] = [:]
    /// `ObservedRoles` bits per cluster, carried by its root (`guard.roles`; empty when the guard is off).
    private var rootRole: [UInt32: UInt8] = [:]
    /// Merges per heuristic bit (turned into `statistics.merges` after each batch: no hashing per merge).
    private var mergesPerBit = [Int](repeating: 0, count: 32)
    public private(set) var entityNames: [String] = []

    private let exclusions: [(bit: UInt32, rule: any TransactionExclusion)]
    /// The exclusions but `exclude.coinbase`, and whether that one is on (read per transaction by co-spend runs).
    private let coinJoinRules: [(bit: UInt32, rule: any TransactionExclusion)]
    private let hasCoinbaseRule: Bool
    /// Coinbases excluded and multi-input merges made by a co-spend run, published by `endCospends`.
    private var pendingCoinbases = 0
    private var pendingCospendMerges = 0
    /// No guard can refuse a union in this run (no growth limit, no entity tags): unions skip `tryUnion`.
    private var unguarded = false
    private let coinbaseBit: UInt32
    private let multiInputBit: UInt32
    private let entityGuardBit: UInt32
    private let growthGuardBit: UInt32
    private let collapseGuardBit: UInt32
    private let roleGuardBit: UInt32
    /// Addresses marked in `seen` (what `guard.collapse`'s share is of).
    private var seenCount = 0
    private let useMultiInput: Bool
    private let changeRule: ChangeRule?
    private let changeLeaves: [(id: HeuristicID, parameters: [String: Int], bit: UInt32, heuristic: any ChangeHeuristic)]
    /// The rule over positions in `changeLeaves`, and the leaves' heuristics and bits as plain arrays: the per-
    /// transaction loop looks nothing up by name and copies no tuple.
    private let compiledRule: CompiledChangeRule?
    private let leafHeuristics: [any ChangeHeuristic]
    private let leafBits: [UInt32]
    private let walletTypeLeaf: Int?
    /// Each leaf's candidate set for the transaction at hand (reused: no allocation per transaction).
    private var leafSets: [OutputSet] = []
    /// Whether the rule reads learned change kinds (only then are they tracked).
    private let learnsChangeKinds: Bool

    /// - Parameters:
    ///   - entityTags: entity label per address (from tags and watchlists); used by the entity guard.
    ///   - roles: what receives and what pays the site's payments; used by `guard.roles`.
    public init(profile: HeuristicProfile, addressCount: Int = 0, entityTags: [AddressID: String] = [:],
                roles: ObservedRoles = ObservedRoles()) {
        self.init(profile: profile, unionFind: UnionFind(count: addressCount),
                  seen: [UInt64](repeating: 0, count: (addressCount + 63) / 64), entityTags: entityTags, roles: roles)
    }

    /// Resumes from a stored state (`changeKinds` as a previous run left them, keyed by root).
    public init(profile: HeuristicProfile, unionFind: UnionFind, seen: [UInt64], changeKinds: [UInt32: UInt32] = [:],
                entityTags: [AddressID: String] = [:], roles: ObservedRoles = ObservedRoles()) {
        self.profile = profile
        self.unionFind = unionFind
        // Only the growth and collapse guards read set sizes: without them, half the union-find's memory and writes go.
        if profile.guards.maxMergeGrowth == nil && profile.guards.collapse == nil { self.unionFind.stopTrackingSizes() }
        self.seen = seen
        seenCount = seen.reduce(0) { $0 + $1.nonzeroBitCount }
        func bit(_ id: HeuristicID) -> UInt32 { UInt32(1) << UInt32(HeuristicRegistry.bit(of: id) ?? 31) }
        exclusions = profile.exclusions.compactMap { id in HeuristicRegistry.exclusion(id).map { (bit(id), $0) } }
        coinbaseBit = bit(HeuristicRegistry.coinbase)
        let cb = coinbaseBit
        coinJoinRules = exclusions.filter { $0.bit != cb }
        hasCoinbaseRule = exclusions.contains { $0.bit == cb }
        multiInputBit = bit(HeuristicRegistry.multiInput)
        entityGuardBit = bit(HeuristicRegistry.entityGuard)
        growthGuardBit = bit(HeuristicRegistry.growthGuard)
        collapseGuardBit = bit(HeuristicRegistry.collapseGuard)
        roleGuardBit = bit(HeuristicRegistry.roleGuard)
        useMultiInput = profile.cospend.contains(HeuristicRegistry.multiInput)
        changeRule = profile.change
        changeLeaves = (profile.change?.leaves ?? []).compactMap { leaf in
            HeuristicRegistry.change(leaf.0, parameters: leaf.1).map { (leaf.0, leaf.1, bit(leaf.0), $0) }
        }
        learnsChangeKinds = changeLeaves.contains { $0.id == HeuristicRegistry.walletType }
        let leaves = changeLeaves
        compiledRule = profile.change?.compiled { id, p in leaves.firstIndex { $0.id == id && $0.parameters == p } }
        leafHeuristics = leaves.map(\.heuristic)
        leafBits = leaves.map(\.bit)
        walletTypeLeaf = leaves.firstIndex { $0.id == HeuristicRegistry.walletType }
        leafSets = [OutputSet](repeating: .empty, count: leaves.count)
        self.changeKinds = learnsChangeKinds ? changeKinds : [:]
        if profile.guards.entityTags {
            var names: [String: Int32] = [:]
            for (address, tag) in entityTags.sorted(by: { $0.key < $1.key }) {
                let index: Int32
                if let i = names[tag] { index = i } else {
                    index = Int32(entityNames.count)  // Cast ok: one tag name per entity, far below 2^31.
                    names[tag] = index
                    entityNames.append(tag)
                }
                if Int(address.raw) >= self.unionFind.count { self.unionFind.grow(to: Int(address.raw) + 1) }
                let r = self.unionFind.find(address.raw)
                if rootTag[r] == nil { rootTag[r] = index }
            }
        }
        if profile.guards.roles {
            for (address, role) in roles.byAddress {
                if Int(address) >= self.unionFind.count { self.unionFind.grow(to: Int(address) + 1) }
                rootRole[self.unionFind.find(address), default: 0] |= role
            }
        }
    }

    /// The cluster id (smallest member) of an address.
    public mutating func cluster(of a: AddressID) -> ClusterID {
        guard Int(a.raw) < unionFind.count else { return ClusterID(a) }
        return ClusterID(unionFind.find(a.raw))
    }

    /// Makes room for every address the batch references.
    private mutating func grow(to bound: Int) {
        if bound > unionFind.count { unionFind.grow(to: bound) }
        let words = (bound + 63) / 64
        if words > seen.count { seen.append(contentsOf: repeatElement(0, count: words - seen.count)) }
    }

    @inline(__always) private func isSeen(_ a: UInt32) -> Bool { seen[Int(a >> 6)] & (1 << UInt64(a & 63)) != 0 }
    @inline(__always) private mutating func markSeen(_ a: UInt32) {
        let word = Int(a >> 6), bit = UInt64(1) << UInt64(a & 63)
        if seen[word] & bit == 0 { seen[word] |= bit; seenCount += 1 }
    }

    /// What `process(_:walkingFrom:progressEvery:progress:)` tells of its walk: the transactions walked so far and
    /// the number it walks in all.
    public typealias WalkProgress = (_ walked: Int, _ toWalk: Int) -> Void

    /// Clusters every transaction of the batch, in its order (which must be chain order), then applies the
    /// profile's links (`link.deposit-address`), which read the whole batch: a profile with links is clustered
    /// in one batch.
    /// - Complexity: O(inputs + outputs) per transaction, times the near-constant union-find cost.
    /// - Parameters:
    ///   - start: the first transaction to walk. A resumed run of a profile with links passes the whole chain
    ///     (the links read all of it) and walks only the transactions added since.
    ///   - progressEvery: how many transactions the walk takes between two calls of `progress`.
    ///   - progress: told the transactions walked and the number to walk (both counted from `start`) after each
    ///     `progressEvery` of them and at the end of the walk. The walk goes in slices of that size, so the hook
    ///     adds no work per transaction.
    public mutating func process(_ batch: ChainIndex, walkingFrom start: Int = 0, progressEvery: Int = 65_536,
                                 progress: WalkProgress? = nil) {
        grow(to: batch.addressBound)
        defer { publishMergeCounts() }
        let none = ChainIndex.noAddress
        // The columns read in the loop, taken once: read through the index (another module's class) they cost a
        // runtime exclusivity check per read (perf: swift_beginAccess from this loop, 3.6 % of the change
        // profile's CPU; none when the batch type lived in this module).
        let inputAddress = batch.inputAddress, outputAddress = batch.outputAddress
        let walkStart = min(start, batch.txCount), every = max(1, progressEvery)
        for slice in stride(from: walkStart, to: batch.txCount, by: every) {
            let sliceEnd = min(slice + every, batch.txCount)
            defer { progress?(sliceEnd - walkStart, batch.txCount - walkStart) }
            for t in slice..<sliceEnd {
                var tx = batch.view(t)
                statistics.transactions += 1
                // Fresh outputs: first appearance of the address in chain order (first output in this tx).
                if !changeLeaves.isEmpty { tx.fresh = tx.freshOutputs(isSeen: isSeen) }
                defer { for o in tx.outputs where outputAddress[o] != none { markSeen(outputAddress[o]) } }

                // Exclusions. Every CoinJoin rule needs two or more inputs, so single-input transactions skip them.
                var excluded: UInt32 = 0
                if tx.isCoinbase {
                    if exclusions.contains(where: { $0.bit == coinbaseBit }) { excluded = coinbaseBit }
                } else if tx.inputCount >= 2 {
                    for (bit, rule) in exclusions where bit != coinbaseBit && rule.matches(tx) { excluded |= bit }
                }
                if excluded != 0 {
                    statistics.excludedTransactions += 1
                    if !tx.isCoinbase { flagged.append((tx.id, excluded)) }
                    for (bit, rule) in exclusions where excluded & bit != 0 { statistics.exclusions[rule.id, default: 0] += 1 }
                    if useMultiInput, let first = firstInputAddress(tx.inputs, inputAddress) {
                        for i in tx.inputs {
                            let a = inputAddress[i]
                            if a != none && a != first { stops.append(a: first, b: a, tx: tx.id.raw, heuristics: multiInputBit | excluded) }
                        }
                    }
                    continue
                }
                guard !tx.isCoinbase else { continue }

                guard let first = firstInputAddress(tx.inputs, inputAddress) else { continue }
                if useMultiInput {
                    // An input `guard.roles` keeps from the first one (a PayJoin's other party) anchors the rest of
                    // its side, so each party's own inputs still join each other.
                    var other: UInt32?
                    for i in tx.inputs {
                        let a = inputAddress[i]
                        if a != none && a != first { joinCospent(first, a, other: &other, tx: tx.id.raw) }
                    }
                }
                if let rule = compiledRule {
                    if learnsChangeKinds { tx.clusterChangeKinds = changeKinds[unionFind.find(first)] ?? 0 }
                    for k in leafHeuristics.indices { leafSets[k] = leafHeuristics[k].candidates(in: tx) }
                    if let w = walletTypeLeaf, let v = leafSets[w].only { walletTypeNamed.append((tx.id, v)) }
                    let picked = rule.evaluate(leafSets)
                    if let vout = picked.only {
                        var support: UInt32 = 0
                        for k in leafBits.indices where leafSets[k].contains(vout) { support |= leafBits[k] }
                        changePicks.append((tx.id, vout))
                        statistics.changeOutputs += 1
                        tryUnion(first, tx.outputAddress(vout), tx: tx.id.raw, heuristics: support, isChange: true)
                        if learnsChangeKinds, tx.outputKind(vout) < 32 {
                            changeKinds[unionFind.find(first), default: 0] |= 1 << UInt32(tx.outputKind(vout))
                        }
                    }
                }
            }
        }
        if let link = profile.links.first(where: { $0.id == HeuristicRegistry.depositAddress }) {
            linkDeposits(batch, walkedFrom: walkStart,
                         minServiceAddresses: link.parameters["min_service_addresses"] ?? Self.defaultMinServiceAddresses,
                         bit: Self.linkBit)
        }
    }

    /// Clusters a co-spend batch (chain order): the same merges, stops, exclusions and statistics as
    /// `process(_: ChainIndex)` over the full columns, reading only input addresses for every
    /// transaction that cannot be a CoinJoin. The `seen` bitmap is not advanced: only change heuristics read
    /// it, and this path exists for profiles without them.
    /// - Throws: `BatchError` for a profile with a change rule, or when the batch lacks a candidate's columns
    ///   although the profile has CoinJoin exclusions.
    public mutating func process(_ batch: CospendIndex) throws(BatchError) {
        try beginCospends(addressBound: batch.addressBound)
        defer { endCospends() }
        var candidate = 0
        var failure: BatchError?
        batch.inputAddress.withUnsafeBytes { all in
            for t in 0..<batch.count {
                let lo = batch.inputStart[t], hi = batch.inputStart[t + 1]
                var view: TxView?
                if hasCoinJoinRules && CospendIndex.isCandidate(flags: batch.flags[t], inputCount: hi - lo),
                   candidate < batch.candidates.txCount, batch.candidates.txStoreID[candidate] == batch.txStoreID[t] {
                    view = batch.candidates.view(candidate)
                    candidate += 1
                }
                do {
                    try processCospend(tx: batch.txStoreID[t], flags: batch.flags[t],
                                       addresses: UnsafeRawBufferPointer(rebasing: all[(lo * 4)..<(hi * 4)]), candidate: view)
                } catch { failure = error as? BatchError ?? BatchError("\(error)"); return }
            }
        }
        if let failure { throw failure }
    }

    /// Starts a co-spend run (then `processCospend` per transaction in chain order, then `endCospends`).
    /// - Throws: `BatchError` when the profile has a change rule (it needs the full columns).
    public mutating func beginCospends(addressBound: Int) throws(BatchError) {
        guard changeRule == nil else { throw BatchError("profile \(profile.id) has a change rule: it needs the full transaction columns") }
        guard profile.links.isEmpty else { throw BatchError("profile \(profile.id) has links: they need the full transaction columns") }
        grow(to: addressBound)
        unguarded = profile.guards.maxMergeGrowth == nil && rootTag.isEmpty && rootRole.isEmpty
        // Each merge joins two clusters, so a run makes fewer merges than there are addresses: reserving that
        // (address space only, pages come as records do) saves the log's regrowth copies.
        merges.reserve(merges.count + addressBound)
    }

    /// Publishes the counts a co-spend run kept in plain integers.
    public mutating func endCospends() {
        if pendingCoinbases > 0, let rule = exclusions.first(where: { $0.bit == coinbaseBit }) {
            statistics.excludedTransactions += pendingCoinbases
            statistics.exclusions[rule.rule.id, default: 0] += pendingCoinbases
        }
        pendingCoinbases = 0
        mergesPerBit[multiInputBit.trailingZeroBitCount] += pendingCospendMerges
        pendingCospendMerges = 0
        publishMergeCounts()
    }

    /// Whether the profile has an exclusion other than `exclude.coinbase` (then candidates need their columns).
    public var hasCoinJoinRules: Bool { !coinJoinRules.isEmpty }

    /// Whether some CoinJoin exclusion of the profile may match a transaction with these counts; when not, a
    /// co-spend reader may pass the transaction without its columns and without `equalOutputsFlag`.
    public func mayMatchCoinJoin(inputCount: Int, outputCount: Int) -> Bool {
        coinJoinRules.contains { $0.rule.mayMatch(inputCount: inputCount, outputCount: outputCount) }
    }

    /// One transaction of a co-spend run.
    /// - Parameters:
    ///   - addresses: the input address ids, 4 bytes little endian each (any alignment), `noAddress` for none;
    ///     each must be below the run's address bound.
    ///   - candidate: the full view when `CospendIndex.isCandidate` holds (required then if the profile has
    ///     CoinJoin exclusions).
    /// - Throws: `BatchError` for an address beyond the bound or a missing candidate view.
    @inline(__always)
    public mutating func processCospend(tx: UInt32, flags: UInt8, addresses: UnsafeRawBufferPointer, candidate: TxView?) throws(BatchError) {
        statistics.transactions += 1
        if flags & CospendIndex.coinbaseFlag != 0 {
            // A coinbase's only input pays no address: excluded or not, it links nothing.
            if hasCoinbaseRule { pendingCoinbases += 1 }
            return
        }
        let k = addresses.count / 4
        guard k >= 2 else { return }
        let none = ChainIndex.noAddress
        @inline(__always) func address(_ i: Int) -> UInt32 {
            UInt32(littleEndian: addresses.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
        }
        let bound = UInt32(truncatingIfNeeded: unionFind.count)
        if !coinJoinRules.isEmpty && CospendIndex.isCandidate(flags: flags, inputCount: k) {
            guard let view = candidate, view.id.raw == tx, view.inputCount == k else {
                throw BatchError("transaction \(tx) may be a CoinJoin but its columns are missing")
            }
            var excluded: UInt32 = 0
            for (bit, rule) in coinJoinRules where rule.matches(view) { excluded |= bit }
            if excluded != 0 {
                statistics.excludedTransactions += 1
                flagged.append((TxID(tx), excluded))
                for (bit, rule) in coinJoinRules where excluded & bit != 0 { statistics.exclusions[rule.id, default: 0] += 1 }
                guard useMultiInput else { return }
                var first = none
                for i in 0..<k {
                    let a = address(i)
                    if a == none || a == first { continue }
                    guard a < bound else { throw BatchError("transaction \(tx) names address \(a), beyond the \(bound) known") }
                    if first == none { first = a; continue }
                    stops.append(a: first, b: a, tx: tx, heuristics: multiInputBit | excluded)
                }
                return
            }
        }
        guard useMultiInput else { return }
        var first = none
        var other: UInt32?
        for i in 0..<k {
            let a = address(i)
            if a == none || a == first { continue }
            guard a < bound else { throw BatchError("transaction \(tx) names address \(a), beyond the \(bound) known") }
            if first == none { first = a; continue }
            if unguarded {
                // What tryUnion does when no guard applies, in one pass over the union-find's storage.
                if unionFind.union(first, a) {
                    merges.append(a: first, b: a, tx: tx, heuristics: multiInputBit)
                    pendingCospendMerges += 1
                }
            } else {
                joinCospent(first, a, other: &other, tx: tx)
            }
        }
    }

    mutating func publishMergeCounts() {
        for (bit, n) in mergesPerBit.enumerated() where n > 0 && bit < HeuristicRegistry.allIDs.count {
            statistics.merges[HeuristicRegistry.allIDs[bit]] = n
        }
    }

    @inline(__always) private func firstInputAddress(_ inputs: Range<Int>, _ inputAddress: [UInt32]) -> UInt32? {
        for i in inputs where inputAddress[i] != ChainIndex.noAddress { return inputAddress[i] }
        return nil
    }

    /// Joins a co-spent input `a` to the transaction's first input; when `guard.roles` refuses that, to the first
    /// input it refused (`other`), so the other party's inputs still join each other.
    @inline(__always)
    private mutating func joinCospent(_ first: UInt32, _ a: UInt32, other: inout UInt32?, tx: UInt32) {
        guard tryUnion(first, a, tx: tx, heuristics: multiInputBit) == .roles else { return }
        if let o = other { tryUnion(o, a, tx: tx, heuristics: multiInputBit) } else { other = a }
    }

    /// What `tryUnion` did: joined (or already one), or which guard refused.
    enum UnionOutcome { case joined, refused, roles }

    /// Links two addresses unless a guard refuses; logs the merge or the refusal.
    @discardableResult
    mutating func tryUnion(_ a: UInt32, _ b: UInt32, tx: UInt32, heuristics: UInt32, isChange: Bool = false) -> UnionOutcome {
        let (ra, rb) = unionFind.roots(a, b)
        guard ra != rb else { return .joined }
        if let limit = profile.guards.maxMergeGrowth,
           min(unionFind.size(ofRoot: ra), unionFind.size(ofRoot: rb)) > limit {
            stops.append(a: a, b: b, tx: tx, heuristics: heuristics | growthGuardBit)
            statistics.guardRefusals[HeuristicRegistry.growthGuard, default: 0] += 1
            return .refused
        }
        if let collapse = profile.guards.collapse, isChange || heuristics & Self.linkBit != 0,
           wouldCollapse(unionFind.size(ofRoot: ra), unionFind.size(ofRoot: rb), collapse) {
            stops.append(a: a, b: b, tx: tx, heuristics: heuristics | collapseGuardBit)
            statistics.guardRefusals[HeuristicRegistry.collapseGuard, default: 0] += 1
            return .refused
        }
        let ta = rootTag.isEmpty ? nil : rootTag[ra], tb = rootTag.isEmpty ? nil : rootTag[rb]
        if let ta, let tb, ta != tb {
            stops.append(a: a, b: b, tx: tx, heuristics: heuristics | entityGuardBit)
            statistics.guardRefusals[HeuristicRegistry.entityGuard, default: 0] += 1
            return .refused
        }
        let pa = rootRole.isEmpty ? 0 : rootRole[ra] ?? 0, pb = rootRole.isEmpty ? 0 : rootRole[rb] ?? 0
        if ObservedRoles.conflict(pa, pb) {
            stops.append(a: a, b: b, tx: tx, heuristics: heuristics | roleGuardBit)
            statistics.guardRefusals[HeuristicRegistry.roleGuard, default: 0] += 1
            return .roles
        }
        let root = unionFind.link(roots: ra, rb)
        if learnsChangeKinds {
            let ka = changeKinds.removeValue(forKey: ra) ?? 0, kb = changeKinds.removeValue(forKey: rb) ?? 0
            if ka | kb != 0 { changeKinds[root] = ka | kb }
        }
        if ta != nil || tb != nil {
            rootTag[ra] = nil; rootTag[rb] = nil
            rootTag[root] = ta ?? tb
        }
        if pa | pb != 0 {
            rootRole[ra] = nil; rootRole[rb] = nil
            rootRole[root] = pa | pb
        }
        merges.append(a: a, b: b, tx: tx, heuristics: heuristics)
        var m = heuristics
        while m != 0 { mergesPerBit[m.trailingZeroBitCount] += 1; m &= m &- 1 }
        if isChange { statistics.changeMerges += 1 }
        return .joined
    }

    /// `guard.collapse`: whether a guessed merge of clusters of these sizes joins two large clusters, or makes one
    /// large cluster hold more than the allowed share of the addresses seen so far.
    func wouldCollapse(_ sa: Int, _ sb: Int, _ c: HeuristicProfile.Collapse) -> Bool {
        if min(sa, sb) >= c.large { return true }
        return sa + sb >= c.large && (sa + sb) * 100 > c.maxSharePercent * seenCount
    }

    /// Final cluster id of every address.
    public mutating func clusterIDs() -> [UInt32] { unionFind.roots() }
}

/// What a run did: counts for the summary.
public struct ClusterStatistics: Sendable, Equatable {
    public var transactions = 0
    public var excludedTransactions = 0
    /// Merges each heuristic took part in (a change merge supported by two heuristics counts for both).
    public var merges: [HeuristicID: Int] = [:]
    /// Transactions each exclusion matched.
    public var exclusions: [HeuristicID: Int] = [:]
    public var guardRefusals: [HeuristicID: Int] = [:]
    /// Outputs the change rule identified, and how many of those changed a cluster.
    public var changeOutputs = 0
    public var changeMerges = 0
    /// Clusters `link.deposit-address` took for services (0 when the profile has no such link).
    public var depositServices = 0
    public init() {}
}

/// The clusterer as the store's co-spend stream visits it (`processCospend` per row).
extension Clusterer: CospendVisitor {
    public var wantsCandidates: Bool { hasCoinJoinRules }

    public func wantsColumns(inputCount: Int, outputCount: Int) -> Bool {
        mayMatchCoinJoin(inputCount: inputCount, outputCount: outputCount)
    }

    @inline(__always)
    public mutating func visit(tx: UInt32, flags: UInt8, addresses: UnsafeRawBufferPointer, candidate: ChainIndex?) throws {
        try processCospend(tx: tx, flags: flags, addresses: addresses, candidate: candidate?.view(0))
    }
}
