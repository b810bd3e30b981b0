import ChainIndex
import Tracing

/// The traces a report runs, in one list: each payer cluster's funding (two hops back) and the trace the
/// parameters ask for, from the site's payments. The report reads their results; the loader of part of a chain
/// runs the same traces to find what they reach that it has not loaded yet (`CaseSubgraph`), so no other
/// statement of the tracer's walk rules exists.
struct CaseTraces {
    /// Funding of each payer cluster (>= 0), by cluster.
    var funding: [Int: FlowResult] = [:]
    /// The requested trace, one result per direction (back then forward for `both`).
    var requested: [FlowResult] = []

    /// Tracing stops at tagged clusters (an exchange, a service), never at the site itself.
    static func stopClusters(tagged: [Int], clusters: ClusterAssignment, site: SiteCluster) -> Set<Int> {
        var stops = Set(tagged.map { clusters.cluster(of: $0) })
        for c in site.clusters { stops.remove(c) }
        return stops
    }

    /// `earlier`: the traces of the same site and payments on a smaller graph; those of them that reached no
    /// transaction missing there are kept instead of run again, since they walk the same transactions on any
    /// graph that holds those.
    init(graph: ChainIndex, clusters: ClusterAssignment, tagged: [Int], site: SiteCluster, payments: [SitePayment],
         options: AnalysisOptions, keeping earlier: CaseTraces? = nil) {
        let tracer = FlowTracer(graph: graph, clusters: clusters,
                                stopClusters: Self.stopClusters(tagged: tagged, clusters: clusters, site: site))
        for (c, ps) in Dictionary(grouping: payments, by: \.payerCluster) where c >= 0 {
            if let kept = earlier?.funding[c], kept.reachedOnlyLoaded { funding[c] = kept; continue }
            var start: [Int: Int64] = [:]
            for p in ps { start[p.output, default: 0] += p.value }
            funding[c] = tracer.trace(from: start, direction: .back, policy: options.policy, hops: 2)
        }
        if let kept = earlier?.requested, kept.allSatisfy(\.reachedOnlyLoaded) { requested = kept; return }
        let directions: [TraceDirection] = options.direction == .both ? [.back, .forward] : [options.direction]
        var start: [Int: Int64] = [:]
        for p in payments { start[p.output, default: 0] += p.value }
        requested = directions.map { tracer.trace(from: start, direction: $0, policy: options.policy, hops: options.hops) }
    }

    /// The traces of a loaded case (`earlier`: as above).
    init(_ loaded: LoadedCase, tagged: [Int], options: AnalysisOptions, keeping earlier: CaseTraces? = nil) {
        self.init(graph: loaded.graph, clusters: loaded.clusters, tagged: tagged, site: loaded.site, payments: loaded.payments,
                  options: options, keeping: earlier)
    }

    private var all: [FlowResult] { funding.keys.sorted().compactMap { funding[$0] } + requested }

    /// Satoshis the traces left at transactions not loaded.
    var stoppedAtLoadLimit: Int64 { all.reduce(0) { $0 + $1.stoppedAtLoadLimit } }
    /// Inputs whose funding transaction, and outputs whose spending transaction, a trace reached but the index
    /// does not hold.
    var inputsNotLoaded: Set<Int> { all.reduce(into: []) { $0.formUnion($1.inputsNotLoaded) } }
    var outputsNotLoaded: Set<Int> { all.reduce(into: []) { $0.formUnion($1.outputsNotLoaded) } }
}
