import ChainIndex

/// Which clusters behave like a service — an exchange, a custodial wallet — rather than a person's wallet.
///
/// A service hands each customer a deposit address and credits whatever arrives there, so customers pay the same
/// address again and again from their own wallets; it then sweeps its deposit addresses together (common input)
/// and pays out on customers' behalf. So the test is the one `link.deposit-address` uses to find services: a
/// cluster is a service when at least `minimum` of its addresses are *reused receiving addresses*, each paid by
/// two or more transactions whose first input belongs to another cluster (a coinbase does not count). No
/// person's wallet here reuses more than a couple of receiving addresses that strangers pay.
///
/// A service also pays out in batches and funds each batch with the change of the previous one, so the change
/// coins of a batch chain are one-address clusters that no customer ever paid: a cluster is a service too when a
/// transaction it paid from has at least `batch` outputs and spends a coin created by a transaction of at least
/// `batch` outputs paid by a service — by the deposit test, or, up to `batchSteps` steps back, by this rule —
/// each of these transactions spending inputs of one cluster only (a batch payout has one payer; a CoinJoin
/// does not) (`batchChainServices`; choices C4b, C4c in Heuristics/README.md).
///
/// A payment by a service is a withdrawal on a customer's behalf: it says who the customer is only to the
/// service, and payments by one service for several people say nothing about those people being one.
///
/// Cost: the cluster's first `memberLimit` addresses in id order and their receipts; the test stops as soon as
/// `minimum` reused receiving addresses are found. A caller holding only part of the chain must hold those.
public enum ServiceClusters {
    /// Members examined per cluster at most (an exchange's cluster may hold millions of addresses).
    public static let memberLimit = 2_000

    /// The members whose receipts the test reads.
    public static func examined(_ cluster: Int, clusters: ClusterAssignment) -> ArraySlice<Int> {
        clusters.members(of: cluster).prefix(memberLimit)
    }

    /// Reused receiving addresses among the examined members, counted up to `minimum`.
    public static func reusedReceivingAddresses(of cluster: Int, graph: ChainIndex, clusters: ClusterAssignment,
                                                minimum: Int) -> Int {
        var found = 0
        for a in examined(cluster, clusters: clusters) where found < minimum {
            var fromOutside = 0
            var lastTx = -1
            for o in graph.outputsPaying(a) where fromOutside < 2 {
                let t = graph.outputTx[o]
                guard t != lastTx, !graph.txIsCoinbase[t] else { continue }
                lastTx = t
                let first = graph.inputs(of: t).lowerBound
                guard first < graph.inputs(of: t).upperBound else { continue }
                let payer = graph.address(ofInput: first)
                if payer >= 0 && clusters.cluster(of: payer) != cluster { fromOutside += 1 }
            }
            if fromOutside >= 2 { found += 1 }
        }
        return found
    }

    /// Steps a batch chain is followed back.
    public static let batchSteps = 20

    /// The clusters among `candidates` (not deposit-test services themselves) that pay from a batch chain of a
    /// deposit-test service. `missing` receives the input addresses whose funding transactions the walk needed
    /// and the graph does not hold: a caller with part of the chain loads their neighbourhoods and asks again.
    public static func batchChainServices(among candidates: Set<Int>, graph: ChainIndex, clusters: ClusterAssignment,
                                          depositServices: Set<Int>, batch: Int, missing: inout Set<Int>) -> Set<Int> {
        var result = Set<Int>()
        guard batch < Int.max else { return result }
        for t in 0..<graph.txCount where graph.outputs(of: t).count >= batch {
            guard let payer = onePayer(t, graph: graph, clusters: clusters), candidates.contains(payer),
                  !depositServices.contains(payer), !result.contains(payer),
                  fundedByServiceBatch(t, steps: batchSteps, graph: graph, clusters: clusters,
                                       services: depositServices, batch: batch, missing: &missing) else { continue }
            result.insert(payer)
        }
        return result
    }

    /// The one cluster every input of `t` belongs to, or nil (a coinbase, a CoinJoin, a PayJoin: several payers).
    static func onePayer(_ t: Int, graph: ChainIndex, clusters: ClusterAssignment) -> Int? {
        guard !graph.txIsCoinbase[t] else { return nil }
        let payers = Set(graph.inputs(of: t).map { clusters.cluster(of: graph.address(ofInput: $0)) })
        return payers.count == 1 ? payers.first.flatMap { $0 >= 0 ? $0 : nil } : nil
    }

    /// Whether batch transaction `t` spends a coin of a batch paid by a service, directly or `steps` batches back.
    static func fundedByServiceBatch(_ t: Int, steps: Int, graph: ChainIndex, clusters: ClusterAssignment,
                                     services: Set<Int>, batch: Int, missing: inout Set<Int>) -> Bool {
        for i in graph.inputs(of: t) {
            let o = graph.inputSpends[i]
            if o == ChainIndex.notLoaded { missing.insert(graph.address(ofInput: i)); continue }
            guard o >= 0 else { continue }
            let f = graph.outputTx[o]
            guard graph.outputs(of: f).count >= batch, let payer = onePayer(f, graph: graph, clusters: clusters) else { continue }
            if services.contains(payer) { return true }
            if steps > 0 && fundedByServiceBatch(f, steps: steps - 1, graph: graph, clusters: clusters, services: services,
                                                 batch: batch, missing: &missing) {
                return true
            }
        }
        return false
    }

    /// The clusters among `candidates` that pass the test.
    public static func services(among candidates: some Sequence<Int>, graph: ChainIndex, clusters: ClusterAssignment,
                                minimum: Int) -> Set<Int> {
        Set(candidates.filter { c in
            c >= 0 && reusedReceivingAddresses(of: c, graph: graph, clusters: clusters, minimum: minimum) >= minimum
        })
    }
}
