import ArgumentParser
import CaseStore
import Foundation
import Investigation
import Reports

/// `spoor trace --watchlist FILE`: the site's cluster, the payments into it, the payers and where their
/// money came from (or where the site's went).
struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "Trace funds to or from a watchlist's clusters.",
        discussion: """
            Expands the watchlist to its clusters (and the site's cold-sweep destinations), lists every payment \
            into them grouped by payer cluster, and follows the funds N cluster hops back or forward under the \
            chosen policy. Amounts are conserved for haircut, fifo and tiho; poison reports value touched.
            """)
    @Option(name: .long, help: "Watchlist (JSON or CSV) of the addresses to start from.") var watchlist: String
    @Option(name: .long, help: "The case database.") var db: String = CaseDatabase.defaultPath
    @OptionGroup var trace: TraceOptions
    @OptionGroup var matching: MatchingOptions
    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        var clustering: ClusteringUsed?
        var siteCluster: Report.SiteClusterSection
        var payerClusters: [Report.PayerCluster]
        var traces: [Report.TraceSection]
        var caveats: [String]
        enum CodingKeys: String, CodingKey {
            case clustering, siteCluster = "site_cluster", payerClusters = "payer_clusters", traces, caveats
        }
    }

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        try database.requireChainData()
        let analysis = try CaseAnalysis.run(database: database, files: CaseFiles(watchlist: URL(fileURLWithPath: watchlist)),
                                            options: try analysisOptions(matching, trace))
        let r = analysis.report
        let clustering = try ClusteringUsed.read(database)
        if output.json {
            try printJSON(Result(clustering: clustering, siteCluster: r.siteCluster, payerClusters: r.payerClusters, traces: r.traces, caveats: r.caveats))
            return
        }
        let s = r.siteCluster
        print(ClusteringUsed.line(clustering))
        print("site cluster \(s.clusterID): \(s.size) addresses (\(s.addedByClustering.count) added by clustering and sweeps), \(s.paymentsReceived) payments, \(s.totalReceivedSat) sat")
        for e in s.evidence where e.rule != "seed.watchlist" {
            print("  \(e.rule) \(e.txid ?? "") +\(e.addressesAdded): \(e.explanation)")
        }
        print("payer clusters: \(r.payerClusters.count)")
        for p in r.payerClusters {
            let top = p.fundingSources.sorted { $0.amountSat > $1.amountSat }.prefix(3)
                .map { "\($0.kind)\($0.clusterID.map { " \($0)" } ?? "")\($0.labels.isEmpty ? "" : " [\($0.labels.joined(separator: ","))]") \($0.amountSat)" }
            print(VisibleText.shown("  cluster \(p.clusterID) (\(p.size) addr): \(p.payments.count) payments, \(p.totalPaidSat) sat; from: \(top.joined(separator: "; "))"))
        }
        for t in r.traces {
            print("trace \(t.direction) \(t.policy) \(t.hops) hops: start \(t.startSat) sat, endpoints \(t.endpointsSat) sat\(t.conserved ? " (conserved)" : ""), \(t.transactionsVisited) transactions")
            for e in t.endpoints.sorted(by: { $0.amountSat > $1.amountSat }).prefix(10) {
                print(VisibleText.shown("  \(e.kind) \(e.clusterID.map(String.init) ?? "-") \(e.labels.joined(separator: ",")) \(e.amountSat) sat, \(e.minHops) hops"))
            }
        }
    }
}
