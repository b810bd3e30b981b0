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
    /// Once stage 1 is done, the site is carried from round to round instead of expanded again on each new
    /// graph: every transaction paying or spending a site address, and every cold-store candidate's receipts as
    /// far as they decide, are loaded by then, and nothing else is what expansion reads, so what stages 2 and 3
    /// load cannot change it. It is expanded once more on the last graph (the evidence names that graph's
    /// transactions), which also proves it unchanged; were it not, the rounds go on from stage 1. With the site
    /// carried, so are the traces that reached nothing unloaded (`CaseTraces`): each round runs only the others.
    ///
    /// The algorithms are the same as on the whole chain and end up reading the same data, so the report is
    /// the same (`SubgraphEqualityTests`).
    static func load(_ database: CaseDatabase, seeds: [Int], tagged: [Int], options: AnalysisOptions) throws -> LoadedCase {
        let persisted = try TraceClusterLoader.state(database)
        let sub = try TraceSubgraph(database, coneTransactionLimit: options.coneTransactionLimit)
        try sub.lookUpClusters(seeds + tagged)
        try sub.loadMembers(ofClusters: seeds.compactMap { sub.cluster(of: $0) })
        var serviceStage = 0
        var settled: SiteCluster?
        var traces: CaseTraces?
        while true {
            let built = try sub.build()
            let clusters = ClusterAssignment(partial: built.clusterOf, members: built.members)
            let site = settled ?? SiteExpansion.expand(seeds: seeds, graph: built.index, clusters: clusters, rules: options.siteRules)
            if settled == nil, try loadWhatExpansionLacks(site, sub) { continue }
            let payments = SitePayments.find(site: site, graph: built.index, clusters: clusters)
            var loaded = LoadedCase(graph: built.index, clusters: clusters, persisted: persisted, site: site, payments: payments)
            let run = CaseTraces(loaded, tagged: tagged, options: options, keeping: settled == nil ? nil : traces)
            traces = run
            var grew = try loadCones(reachedBy: run, sub, built)
            if !grew { grew = try loadForServiceTest(&loaded, traces: run, sub, options: options, stage: &serviceStage) }
            if grew { settled = site; continue }
            guard let carried = settled else { return loaded }
            let final = SiteExpansion.expand(seeds: seeds, graph: built.index, clusters: clusters, rules: options.siteRules)
            guard final.members == carried.members, final.extraAddresses == carried.extraAddresses,
                  final.coldCandidates == carried.coldCandidates else { settled = nil; continue }
            loaded.site = final
            return loaded
        }
    }

    /// 1. Loads what site expansion read but the subgraph lacks; returns whether anything was missing.
    static func loadWhatExpansionLacks(_ site: SiteCluster, _ sub: TraceSubgraph) throws -> Bool {
        let missingClusters = site.clusters.filter { !sub.hasMembers(ofCluster: $0) }
        let missingAddresses = site.members.filter { !sub.isComplete($0) }
        let unjudged = site.coldCandidates.filter { !sub.isJudgedAsColdStore($0) }
        guard !missingClusters.isEmpty || !missingAddresses.isEmpty || !unjudged.isEmpty else { return false }
        try sub.loadMembers(ofClusters: missingClusters)
        try sub.loadNeighborhoods(of: missingAddresses)
        try judgeColdStores(unjudged, sub)
        return true
    }

    /// 2. Loads the transactions the traces reached but `built` lacks, within the cone budget; returns whether
    ///    anything new was loaded.
    static func loadCones(reachedBy traces: CaseTraces, _ sub: TraceSubgraph, _ built: TraceSubgraph.Built) throws -> Bool {
        guard !sub.coneLimitReached else { return false }
        let inputs = traces.inputsNotLoaded, outputs = traces.outputsNotLoaded
        guard !inputs.isEmpty || !outputs.isEmpty else { return false }
        return try sub.loadLinks(fundingOf: inputs.sorted(), spendersOf: outputs.sorted(), in: built) != .nothingNew
    }

    /// 3. What the service test reads (`ServiceClusters`): the named clusters' first members, then their
    ///    receipts, then, a batch at a time, the funding transactions the batch-chain rule walks back through.
    ///    Returns whether anything new was loaded (the caller then builds and runs again).
    static func loadForServiceTest(_ loaded: inout LoadedCase, traces: CaseTraces, _ sub: TraceSubgraph,
                                   options: AnalysisOptions, stage: inout Int) throws -> Bool {
        if stage < 2 {
            let named = loaded.namedClusters(traces)
            if stage == 0 {
                try sub.loadMembers(ofClusters: Array(named))
            } else {
                try sub.loadNeighborhoods(of: named.flatMap { ServiceClusters.examined($0, clusters: loaded.clusters) })
            }
            stage += 1
            if sub.hasChanged { return true }
        }
        let missing = loaded.testServices(traces, options: options).filter { !sub.isComplete($0) }
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
