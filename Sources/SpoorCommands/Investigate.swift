import ArgumentParser
import CaseStore
import Clustering
import Foundation
import Investigation
import Reports

/// `spoor investigate SOURCE --case DIR --out DIR`: ingest → cluster → match → report in one run.
struct Investigate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "investigate", abstract: "Ingest, cluster, match and report in one run.",
        discussion: """
            The case folder holds watchlist.json (or .csv), ads.csv and rates.csv. Writes report.json, \
            report.html, trail.graphml and trail.dot into --out, with the case database (case.sqlite) beside \
            them unless --db says otherwise. Running it again reuses what is already ingested.
            """)
    @Argument(help: "Chain data: a blocks directory, node JSON lines (.jsonl[.gz]), raw blocks or transaction hex.")
    var source: String
    @Option(name: .long, help: "Case folder with watchlist.json, ads.csv, rates.csv.") var `case`: String
    @Option(name: .long, help: "Output folder (created when absent).") var out: String
    @Option(name: .long, help: "The case database (default: OUT/case.sqlite).") var db: String?
    /// Payer wallets need their change outputs joined to be seen whole (an advertiser who pays from fresh
    /// addresses is otherwise one cluster per payment), so the whole-job command clusters with `change`.
    @Option(name: .long, help: "Heuristic profile: a name in Heuristics/profiles (default, conservative, change) or a JSON file.")
    var profile: String = "change"
    @OptionGroup var trace: TraceOptions
    @OptionGroup var matching: MatchingOptions
    @OptionGroup var output: OutputOptions

    struct Timings: Encodable {
        var ingestSeconds: Double
        var clusterSeconds: Double
        var analysisSeconds: Double
        var writeSeconds: Double
        var afterIngestSeconds: Double
        enum CodingKeys: String, CodingKey {
            case ingestSeconds = "ingest_seconds", clusterSeconds = "cluster_seconds"
            case analysisSeconds = "analysis_seconds", writeSeconds = "write_seconds", afterIngestSeconds = "after_ingest_seconds"
        }
    }
    struct Summary: Encodable {
        var report: String
        var html: String
        var graphml: String
        var dot: String
        var database: String
        var siteClusterSize: Int
        var payerClusters: Int
        var adsMatched: Int
        var adsAmbiguous: Int
        var adsUnmatched: Int
        var sharedContacts: Int
        var sharedContactsBetweenAdvertisers: Int
        /// Transactions the analysis held in memory (the whole chain only with --whole-chain).
        var transactionsLoaded: Int
        var timings: Timings
        enum CodingKeys: String, CodingKey {
            case report, html, graphml, dot, database, siteClusterSize = "site_cluster_size", payerClusters = "payer_clusters"
            case adsMatched = "ads_matched", adsAmbiguous = "ads_ambiguous", adsUnmatched = "ads_unmatched"
            case sharedContacts = "shared_contacts", sharedContactsBetweenAdvertisers = "shared_contacts_between_advertisers"
            case transactionsLoaded = "transactions_loaded", timings
        }
    }

    func run() async throws {
        let fm = FileManager.default
        let caseDir = URL(fileURLWithPath: `case`)
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: caseDir.path, isDirectory: &isDir), isDir.boolValue else {
            throw CommandFailure("\(caseDir.path): no such case folder")
        }
        guard let watchlist = CaseFolder.watchlist(in: caseDir) else { throw CommandFailure("\(caseDir.path): no watchlist.json or watchlist.csv") }
        let ads = caseDir.appendingPathComponent("ads.csv")
        let rates = caseDir.appendingPathComponent("rates.csv")
        let outDir = URL(fileURLWithPath: out)
        try fm.createDirectory(at: outDir, withIntermediateDirectories: true)
        let dbPath = db ?? outDir.appendingPathComponent("case.sqlite").path

        var outputs = OutputGuard()
        outputs.protect(database: dbPath)
        outputs.protect(tree: source, as: "a file of the chain source")
        for input in [watchlist, ads, rates] { outputs.protect(input.path, as: "a case file") }
        let paths = ["report.json", "report.html", "trail.graphml", "trail.dot"].map { outDir.appendingPathComponent($0).path }
        for path in paths { try outputs.check(path, as: "--out") }

        let heuristics = try ProfileOption.resolve(profile)
        let t0 = Date()
        let database = try CaseDatabase(path: dbPath)
        let source = try openChainSource(source, network: try database.network())
        _ = try Ingestor(database: database).ingest(source)
        let t1 = Date()
        // The watchlist's addresses are the site `guard.roles` keeps apart from its payers.
        try ClusterRunner.run(database, profile: heuristics, entityTags: try TagStore.entityTagsByAddress(in: database),
                              site: try TagParser.parse(fileURL: watchlist).tags.map(\.address))
        let t2 = Date()
        let files = CaseFiles(watchlist: watchlist, ads: fm.fileExists(atPath: ads.path) ? ads : nil,
                              rates: fm.fileExists(atPath: rates.path) ? rates : nil)
        let analysis = try CaseAnalysis.run(database: database, files: files, options: try analysisOptions(matching, trace))
        let report = analysis.report
        let t3 = Date()
        try ReportFiles.write(report, json: paths[0], html: paths[1], graph: paths[2])
        try ReportFiles.write(report, json: paths[0], html: nil, graph: paths[3])
        let t4 = Date()

        let counts = Dictionary(grouping: report.ads, by: \.status).mapValues(\.count)
        let timings = Timings(ingestSeconds: t1.timeIntervalSince(t0), clusterSeconds: t2.timeIntervalSince(t1),
                              analysisSeconds: t3.timeIntervalSince(t2), writeSeconds: t4.timeIntervalSince(t3),
                              afterIngestSeconds: t4.timeIntervalSince(t1))
        let summary = Summary(report: paths[0], html: paths[1], graphml: paths[2], dot: paths[3], database: dbPath,
                              siteClusterSize: report.siteCluster.size, payerClusters: report.payerClusters.count,
                              adsMatched: counts["matched"] ?? 0, adsAmbiguous: counts["ambiguous"] ?? 0,
                              adsUnmatched: counts["unmatched"] ?? 0, sharedContacts: report.sharedContacts.count,
                              sharedContactsBetweenAdvertisers: report.sharedContacts.filter { $0.kind == "between-advertisers" }.count,
                              transactionsLoaded: analysis.transactionsLoaded, timings: timings)
        if output.json { try printJSON(summary); return }
        print("""
            site cluster: \(summary.siteClusterSize) addresses; payer clusters: \(summary.payerClusters)
            ads: \(summary.adsMatched) matched, \(summary.adsAmbiguous) ambiguous, \(summary.adsUnmatched) unmatched; shared contacts: \(summary.sharedContacts) (\(summary.sharedContactsBetweenAdvertisers) between advertisers)
            wrote \(paths.joined(separator: ", "))
            analysis read \(summary.transactionsLoaded) transactions of the chain
            time: ingest \(String(format: "%.2f", timings.ingestSeconds)) s, cluster \(String(format: "%.2f", timings.clusterSeconds)) s, analysis \(String(format: "%.2f", timings.analysisSeconds)) s, write \(String(format: "%.2f", timings.writeSeconds)) s (after ingest: \(String(format: "%.2f", timings.afterIngestSeconds)) s)
            """)
    }
}

