import CaseStore
import ChainIndex
import ChainSources
import Clustering
import Tracing

/// Everything the report is made from that the case database holds: the part of the chain and the clustering
/// the analysis reads, with site expansion and the site's payments run on them, and the lookups the report
/// names things with. The one place the investigation reads the store; `ReportAssembly` takes it from here.
struct CaseFacts {
    var tags: [StoredTag]
    var stats: StoreStats
    var chainInputs: [ChainInput]
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
            ? LoadedCase.wholeChain(database, seeds: seeds, tagged: tagged, options: options)
            : CaseSubgraph.load(database, seeds: seeds, tagged: tagged, options: options)
        var facts = CaseFacts(tags: tags, stats: stats, chainInputs: try database.chainInputs(), seeds: seeds, watchlistNotFound: notFound, chain: chain,
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
    /// The payer clusters and the clusters their funding traces end in, each tested with `ServiceClusters`; and
    /// those that are services.
    var serviceTested: Set<Int> = []
    var services: Set<Int> = []

    /// The reference: every transaction of the best chain and every cluster assignment in memory.
    static func wholeChain(_ database: CaseDatabase, seeds: [Int], tagged: [Int], options: AnalysisOptions) throws -> LoadedCase {
        let graph = try TraceGraphLoader.load(database)
        let persisted = try TraceClusterLoader.load(database, addressCapacity: graph.addressCapacity)
        let clusters = ClusterAssignment(clusterOf: persisted.clusterOf)
        let site = SiteExpansion.expand(seeds: seeds, graph: graph, clusters: clusters, rules: options.siteRules)
        let payments = SitePayments.find(site: site, graph: graph, clusters: clusters)
        var loaded = LoadedCase(graph: graph, clusters: clusters, persisted: persisted, site: site, payments: payments)
        loaded.testServices(CaseTraces(loaded, tagged: tagged, options: options), options: options)
        return loaded
    }

    /// The clusters the report names as payers or as ends of the payers' funding traces (`traces`, run on this
    /// case).
    func namedClusters(_ traces: CaseTraces) -> Set<Int> {
        var named = Set(payments.map(\.payerCluster))
        for r in traces.funding.values { for e in r.endpoints.keys { named.insert(e.cluster) } }
        named.remove(-1)
        return named
    }

    /// Tests the named clusters (`traces`: run on this case); returns the input addresses whose funding
    /// transactions the batch-chain rule needs and the graph does not hold (empty on the whole chain).
    @discardableResult
    mutating func testServices(_ traces: CaseTraces, options: AnalysisOptions) -> Set<Int> {
        serviceTested = namedClusters(traces)
        let deposits = ServiceClusters.services(among: serviceTested, graph: graph, clusters: clusters,
                                                minimum: options.minServiceAddresses)
        var missing = Set<Int>()
        let batches = ServiceClusters.batchChainServices(among: serviceTested, graph: graph, clusters: clusters,
                                                         depositServices: deposits, batch: options.serviceBatchOutputs,
                                                         missing: &missing)
        services = deposits.union(batches)
        return missing
    }
}
