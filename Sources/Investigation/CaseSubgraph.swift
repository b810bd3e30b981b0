import CaseStore
import ChainIndex
import Tracing

/// The part of the chain a case needs, and how it is found.
public enum CaseSubgraph {
    /// Only what the analysis reads, loaded in stages through the store's indexes (`TraceSubgraph`), so the
    /// cost of a report follows the case and not the chain:
    ///
    /// 1. The watchlist's clusters, and every transaction paying or spending a site address, grown until site
    ///    expansion runs on complete data: every site address loaded whole, every cluster it took with all its
    ///    members, every cold-store candidate's receipts loaded whole or, in chain order, far enough to rule it
    ///    out (`judgeColdStores`).
    /// 2. The traces' cones: the report's own traces (`CaseTraces`) run on what is loaded; wherever one reaches
    ///    a transaction not loaded (the funding transaction of an input, the spender of an output), that
    ///    transaction is loaded and the traces run again, until none does, or the cone budget
    ///    (`coneTransactionLimit`) runs out and the report says so.
    /// 3. What the service test reads (`loadForServiceTest`).
    ///
    /// The algorithms are the same as on the whole chain and end up reading the same data, so the report is
    /// the same (`SubgraphEqualityTests`).
    static func load(_ database: CaseDatabase, seeds: [Int], tagged: [Int], options: AnalysisOptions) throws -> LoadedCase {
        let persisted = try TraceClusterLoader.state(database)
        let sub = try TraceSubgraph(database, coneTransactionLimit: options.coneTransactionLimit)
        try sub.lookUpClusters(seeds + tagged)
        try sub.loadMembers(ofClusters: seeds.compactMap { sub.cluster(of: $0) })
        var serviceStage = 0
        while true {
            let built = try sub.build()
            let clusters = ClusterAssignment(partial: built.clusterOf, members: built.members)
            let site = SiteExpansion.expand(seeds: seeds, graph: built.index, clusters: clusters, rules: options.siteRules)
            let missingClusters = site.clusters.filter { !sub.hasMembers(ofCluster: $0) }
            let missingAddresses = site.members.filter { !sub.isComplete($0) }
            let unjudged = site.coldCandidates.filter { !sub.isJudgedAsColdStore($0) }
            if !missingClusters.isEmpty || !missingAddresses.isEmpty || !unjudged.isEmpty {
                try sub.loadMembers(ofClusters: missingClusters)
                try sub.loadNeighborhoods(of: missingAddresses)
                try judgeColdStores(unjudged, sub)
                continue
            }
            let payments = SitePayments.find(site: site, graph: built.index, clusters: clusters)
            if !sub.coneLimitReached {
                let traces = CaseTraces(graph: built.index, clusters: clusters, tagged: tagged, site: site, payments: payments,
                                        options: options)
                let inputs = traces.inputsNotLoaded, outputs = traces.outputsNotLoaded
                if !inputs.isEmpty || !outputs.isEmpty,
                   try sub.loadLinks(fundingOf: inputs.sorted(), spendersOf: outputs.sorted(), in: built) != .nothingNew {
                    continue
                }
            }
            var loaded = LoadedCase(graph: built.index, clusters: clusters, persisted: persisted, site: site, payments: payments)
            if try loadForServiceTest(&loaded, sub, tagged: tagged, options: options, stage: &serviceStage) { continue }
            return loaded
        }
    }

    /// 3. What the service test reads (`ServiceClusters`): the named clusters' first members, then their
    ///    receipts, then, a batch at a time, the funding transactions the batch-chain rule walks back through.
    ///    Returns whether anything new was loaded (the caller then builds and runs again).
    static func loadForServiceTest(_ loaded: inout LoadedCase, _ sub: TraceSubgraph, tagged: [Int], options: AnalysisOptions,
                                   stage: inout Int) throws -> Bool {
        if stage < 2 {
            let named = loaded.namedClusters(tagged: tagged, options: options)
            if stage == 0 {
                try sub.loadMembers(ofClusters: Array(named))
            } else {
                try sub.loadNeighborhoods(of: named.flatMap { ServiceClusters.examined($0, clusters: loaded.clusters) })
            }
            stage += 1
            if sub.hasChanged { return true }
        }
        let missing = loaded.testServices(tagged: tagged, options: options).filter { !sub.isComplete($0) }
        guard !missing.isEmpty, stage < 2 + ServiceClusters.batchSteps + 1 else { return false }
        try sub.loadNeighborhoods(of: missing.sorted())
        stage += 1
        return sub.hasChanged
    }

    /// Loads the receipts of each cold-store candidate in chain order, `batch` transactions at a time, and stops
    /// as soon as those loaded rule it out (`SiteExpansion.rulesOutColdStore`: the first disqualifying receipt
    /// decides, so the prefix is enough); a candidate never ruled out ends up complete. An exchange's deposit
    /// address paid by a site's sweep thus costs its first receipts, not its history.
    public static func judgeColdStores(_ addresses: [Int], _ sub: TraceSubgraph, batch: Int = 1_000) throws {
        for a in Set(addresses).sorted() where !sub.isJudgedAsColdStore(a) {
            let ids = try sub.receiptTransactions(of: a)
            var start = 0
            var ruledOut = false
            while start < ids.count && !ruledOut {
                let chunk = ids[start ..< min(start + batch, ids.count)]
                try sub.load(transactions: chunk)
                start += chunk.count
                ruledOut = SiteExpansion.rulesOutColdStore(a, graph: sub.index(ofLoaded: ids[..<start]))
            }
            if ruledOut { sub.markRuledOutColdStore(a) } else { try sub.loadNeighborhoods(of: [a]) }
        }
    }
}
