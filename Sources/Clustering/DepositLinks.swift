import ChainIndex
/// `link.deposit-address`: the clusters that pay one exchange deposit address are one customer.
///
/// Exchanges give each customer a deposit address of their own and credit whatever arrives there to that
/// customer, so the customer reuses it: every deposit, from whichever of the customer's coins, lands on the
/// same address. When the customer's wallet falls apart into several clusters (a change output no rule could
/// name cuts a wallet in two), its deposits still meet at that address. The exchange then sweeps its deposit
/// addresses together, so common-input clustering gathers them into one cluster with many addresses that
/// each took payments from outside it — what no personal wallet looks like.
///
/// The rule, applied once the chain has been walked, over the whole chain (an incremental run walks only the
/// new transactions, then redoes the links from the walk's state):
/// 1. A *reused receiving address* took payments from two or more transactions whose inputs were in another
///    common-input cluster (co-spends only, over the whole chain; coinbases and excluded transactions do not
///    count).
/// 2. A *service* is a common-input cluster with at least `min_service_addresses` reused receiving addresses.
///    Common-input, not the walk's clusters: those hold change guesses, and one wrong pick joining a user to an
///    exchange would make that user's popular receiving address a deposit address (choice C2).
/// 3. In chain order, each transaction that pays a reused receiving address of a service, has at most two
///    outputs (a payment and its change: a batch payout pays many people at once and says nothing about who
///    they are) and is not itself paid from a service (an exchange withdrawing to another exchange's deposit
///    address pays on a customer's behalf) links its inputs' cluster to the cluster of the first such payer
///    of that address. The evidence names the later transaction; `spoor explain` finds the address.
///
/// Known false positives: a service whose receiving addresses are shared by many payers (donation and
/// gambling addresses, a merchant's one address) and that sweeps like an exchange; a customer paying another
/// customer's deposit address (a gift, an OTC trade); an exchange that reassigns deposit addresses. The
/// threshold keeps personal wallets that reuse one or two addresses out; entity tags and the growth guard
/// still apply to every link.
/// References: Victor, Address Clustering Heuristics for Ethereum, FC 2020 (the deposit-address heuristic);
/// Möser & Böhme, The price of anonymity, 2017 (exchange deposit address reuse).
extension Clusterer {
    /// Default `min_service_addresses`.
    public static let defaultMinServiceAddresses = 10

    /// Every address's root under common-input clustering alone: the inputs of every transaction with a payer
    /// (not a coinbase, not excluded) joined.
    static func cospendRoots(_ batch: ChainIndex, payers: [UInt32], addressBound: Int) -> [UInt32] {
        let none = ChainIndex.noAddress
        var uf = UnionFind(count: addressBound)
        uf.stopTrackingSizes()
        for t in 0..<batch.txCount where payers[t] != none {
            for i in batch.view(t).inputs where batch.inputAddress[i] != none { _ = uf.union(payers[t], batch.inputAddress[i]) }
        }
        return uf.roots()
    }

    /// - Parameter walkedFrom: the first transaction this run walked: the walk already decided the exclusions
    ///   from there on (`flagged`); only the ones before it (a resumed run) are decided here.
    mutating func linkDeposits(_ batch: ChainIndex, walkedFrom: Int, minServiceAddresses: Int, bit: UInt32) {
        let none = ChainIndex.noAddress
        // Clusters, learned change types and counts as the chain walk left them: every test below reads these
        // roots, so the links made here do not change which payments count as from outside or which clusters
        // are services; an incremental run resumes the walk from this state and redoes the links.
        publishMergeCounts()
        statisticsBeforeLinks = statistics
        changeKindsBeforeLinks = changeKinds
        let roots = unionFind.roots()
        rootsBeforeLinks = roots
        // Excluded transactions pay nobody here: the walk's own decisions from `walkedFrom` on, and the same
        // rules for the transactions before it (walked by an earlier run).
        let flaggedByWalk = Set(flagged.map(\.tx.raw))
        let coinJoinRules = profile.exclusions.compactMap(HeuristicRegistry.exclusion).filter { $0.id != HeuristicRegistry.coinbase }
        @inline(__always) func payer(_ t: Int) -> UInt32? {
            let tx = batch.view(t)
            guard !tx.isCoinbase else { return nil }
            if t >= walkedFrom {
                if flaggedByWalk.contains(tx.id.raw) { return nil }
            } else if tx.inputCount >= 2 && coinJoinRules.contains(where: { $0.matches(tx) }) {
                return nil
            }
            for i in tx.inputs where batch.inputAddress[i] != none { return batch.inputAddress[i] }
            return nil
        }
        @inline(__always) func firstTimeInTx(_ tx: TxView, _ o: Int) -> Bool {
            let a = tx.outputAddress(o)
            for p in 0..<o where tx.outputAddress(p) == a { return false }
            return true
        }
        // Payers, decided once (the exclusion rules are the costly part).
        var payers = [UInt32](repeating: none, count: batch.txCount)
        for t in 0..<batch.txCount { payers[t] = payer(t) ?? none }
        // Which clusters are services, and which addresses their deposit addresses, is decided on common-input
        // clusters (co-spends only): the walk's clusters may hold change guesses, and one wrong pick joining a
        // user to an exchange would make that user's popular receiving address a "deposit address".
        let cospend = Self.cospendRoots(batch, payers: payers, addressBound: roots.count)

        // 1. Payments from outside, per address (saturating at 2: only "two or more" matters).
        var received = [UInt8](repeating: 0, count: roots.count)
        for t in 0..<batch.txCount where payers[t] != none {
            let tx = batch.view(t), p = payers[t]
            let from = cospend[Int(p)]
            for o in 0..<tx.outputCount {
                let a = tx.outputAddress(o)
                guard a != none, received[Int(a)] < 2, cospend[Int(a)] != from, firstTimeInTx(tx, o) else { continue }
                received[Int(a)] += 1
            }
        }
        // 2. Services.
        var reusedPerCluster: [UInt32: Int] = [:]
        for a in received.indices where received[a] >= 2 { reusedPerCluster[cospend[a], default: 0] += 1 }
        let services = Set(reusedPerCluster.compactMap { $0.value >= minServiceAddresses ? $0.key : nil })
        statistics.depositServices = services.count
        guard !services.isEmpty else { return }
        defer { publishMergeCounts() }

        // 3. Link the payers of each deposit address, in chain order, to its first payer.
        var firstPayer: [UInt32: UInt32] = [:]
        for t in 0..<batch.txCount where payers[t] != none {
            let tx = batch.view(t), p = payers[t]
            guard tx.outputCount <= 2, !services.contains(cospend[Int(p)]) else { continue }
            for o in 0..<tx.outputCount {
                let a = tx.outputAddress(o)
                guard a != none, received[Int(a)] >= 2, services.contains(cospend[Int(a)]) else { continue }
                if let first = firstPayer[a] {
                    tryUnion(first, p, tx: tx.id.raw, heuristics: bit)
                } else {
                    firstPayer[a] = p
                }
            }
        }
    }
}
