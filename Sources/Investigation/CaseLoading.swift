import CaseStore
import ChainIndex
import Clustering
import Tracing

/// Everything the report is made from that the case database holds: the part of the chain and the clustering
/// the analysis reads, with site expansion and the site's payments run on them, and the lookups the report
/// names things with. The one place the investigation reads the store; `ReportAssembly` takes it from here.
struct CaseFacts {
    var tags: [StoredTag]
    var stats: StoreStats
    /// Address ids of the watchlist addresses the database holds, in watchlist order.
    var seeds: [Int]
    var watchlistNotFound: [String]
    var chain: LoadedCase
    /// Size and first members of each payer cluster.
    var payerSummaries: [Int: (size: Int, first: [Int])]
    /// The clustering's stored merge for each site address that came in through its cluster.
    var membership: [Int: MembershipEvidence]
    /// Address strings of every address id the report names.
    var names: [Int: String]

    var taggedAddresses: [Int] { tags.compactMap(\.addressID) }
    /// Payer clusters of the site's payments (-1, no payer, left out).
    var payerClusters: Set<Int> {
        var ids = Set(chain.payments.map(\.payerCluster))
        ids.remove(-1)
        return ids
    }

    static func load(_ database: CaseDatabase, watchlist: [Tag], options: AnalysisOptions) throws -> CaseFacts {
        let tags = try TagStore.all(in: database)
        let stats = try StoreQueries.stats(database)
        let ids = try TraceGraphLoader.addressIDs(watchlist.map(\.address), in: database)
        let seeds = watchlist.compactMap { ids[$0.address] }
        let notFound = watchlist.map(\.address).filter { ids[$0] == nil }.sorted()
        let tagged = tags.compactMap(\.addressID)
        let chain = try options.loadWholeChain
            ? LoadedCase.wholeChain(database, seeds: seeds, options: options)
            : LoadedCase.subgraph(database, seeds: seeds, tagged: tagged, options: options)
        var facts = CaseFacts(tags: tags, stats: stats, seeds: seeds, watchlistNotFound: notFound, chain: chain,
                              payerSummaries: [:], membership: [:], names: [:])
        facts.payerSummaries = try TraceClusterLoader.summaries(of: Array(facts.payerClusters), limit: options.addressLimit,
                                                                in: database)
        // The clustering's evidence for every site address that came in through a cluster.
        let site = chain.site
        let watchSet = Set(seeds)
        let viaClusters = site.members.filter { !watchSet.contains($0) && !site.extraAddresses.contains($0) }
        facts.membership = try TraceEvidenceLoader.membership(of: viaClusters, in: database)
        facts.names = try TraceGraphLoader.addressStrings(Array(facts.namedAddresses), in: database)
        return facts
    }

    /// Address ids the report names: fetched in one go.
    var namedAddresses: Set<Int> {
        let site = chain.site
        var needed = Set(site.members)
        for c in payerClusters { needed.formUnion(payerSummaries[c]?.first ?? []) }
        for p in chain.payments { needed.insert(p.address) }
        for e in site.evidence { needed.insert(e.address) }
        for m in membership.values { needed.insert(m.linkedTo) }
        return needed
    }
}

/// The chain and clustering an analysis holds, with the site grown over them and its payments found.
struct LoadedCase {
    var graph: ChainIndex
    var clusters: ClusterAssignment
    var persisted: TraceClusterLoader.Persisted
    var site: SiteCluster
    var payments: [SitePayment]

    /// Tracing stops at tagged clusters (an exchange, a service), never at the site itself.
    static func stopClusters(tagged: [Int], clusters: ClusterAssignment, site: SiteCluster) -> Set<Int> {
        var stops = Set(tagged.map { clusters.cluster(of: $0) })
        for c in site.clusters { stops.remove(c) }
        return stops
    }

    /// The reference: every transaction of the best chain and every cluster assignment in memory.
    static func wholeChain(_ database: CaseDatabase, seeds: [Int], options: AnalysisOptions) throws -> LoadedCase {
        let graph = try TraceGraphLoader.load(database)
        let persisted = try TraceClusterLoader.load(database, addressCapacity: graph.addressCapacity)
        let clusters = ClusterAssignment(clusterOf: persisted.clusterOf)
        let site = SiteExpansion.expand(seeds: seeds, graph: graph, clusters: clusters, rules: options.siteRules)
        let payments = SitePayments.find(site: site, graph: graph, clusters: clusters)
        return LoadedCase(graph: graph, clusters: clusters, persisted: persisted, site: site, payments: payments)
    }

    /// Only what the analysis reads, loaded in stages through the store's indexes: the watchlist's clusters
    /// and every transaction paying or spending a site address, grown until site expansion runs on complete
    /// data (every site address is loaded whole, every cluster it took has all its members, every cold-store
    /// candidate's receipts are loaded whole or, in chain order, far enough to rule it out); then the
    /// cones the traces follow (`TraceSubgraph.loadCone`), and a last run of site
    /// expansion and payment search on the final graph. The algorithms are the same as on the whole chain and
    /// read the same data, so the report is the same.
    static func subgraph(_ database: CaseDatabase, seeds: [Int], tagged: [Int], options: AnalysisOptions) throws -> LoadedCase {
        let persisted = try TraceClusterLoader.state(database)
        let sub = try TraceSubgraph(database, coneTransactionLimit: options.coneTransactionLimit)
        try sub.lookUpClusters(seeds + tagged)
        try sub.loadMembers(ofClusters: seeds.compactMap { sub.cluster(of: $0) })
        var conesLoaded = false
        while true {
            let built = try sub.build()
            let site = SiteExpansion.expand(seeds: seeds, graph: built.index, clusters: built.clusters, rules: options.siteRules)
            let missingClusters = site.clusters.filter { !sub.hasMembers(ofCluster: $0) }
            let missingAddresses = site.members.filter { !sub.isComplete($0) }
            let unjudged = site.coldCandidates.filter { !sub.isJudgedAsColdStore($0) }
            if !missingClusters.isEmpty || !missingAddresses.isEmpty || !unjudged.isEmpty {
                try sub.loadMembers(ofClusters: missingClusters)
                try sub.loadNeighborhoods(of: missingAddresses)
                try sub.loadColdStoreCandidates(unjudged)
                continue
            }
            let payments = SitePayments.find(site: site, graph: built.index, clusters: built.clusters)
            if !conesLoaded {
                conesLoaded = true
                let stops = stopClusters(tagged: tagged, clusters: built.clusters, site: site)
                let starts = payments.map { built.outputStoreIDs[$0.output] }
                // Payer funding is always traced 2 hops back; the report's trace as the options say.
                let back = options.direction == .forward ? 2 : max(2, options.hops)
                try sub.loadCone(from: starts, direction: .back, hops: back, stopClusters: stops)
                if options.direction != .back {
                    try sub.loadCone(from: starts, direction: .forward, hops: options.hops, stopClusters: stops)
                }
                if sub.hasChanged { continue }
            }
            return LoadedCase(graph: built.index, clusters: built.clusters, persisted: persisted, site: site, payments: payments)
        }
    }
}
