import ArgumentParser
import CaseStore
import Foundation
import Investigation
import Reports

/// `spoor report --watchlist FILE [--ads … --rates …] --out report.json [--html …] [--graph …]`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write the investigation report (JSON, HTML, GraphML/DOT).",
        discussion: """
            The JSON follows the versioned schema in Sources/Reports/Schema/report.schema.json (print it with \
            --print-schema). The same database and inputs give byte-identical files. The manifest records the \
            tool version, clustering profile id and hash, every input file's SHA-256, the chain tip, database \
            counts and every parameter.
            """)
    @Option(name: .long, help: "Watchlist (JSON or CSV) of the ad site's addresses.") var watchlist: String?
    @Option(name: .long, help: "Ads CSV.") var ads: String?
    @Option(name: .long, help: "Rates CSV.") var rates: String?
    @Option(name: .long, help: "Where to write the JSON report.") var out: String?
    @Option(name: .long, help: "Also write a self-contained HTML report here.") var html: String?
    @Option(name: .long, help: "Also write the trail as GraphML (.graphml) or Graphviz (.dot).") var graph: String?
    @Flag(name: .long, help: "Print the report's JSON Schema and exit.") var printSchema = false
    @Option(name: .long, help: "The case database.") var db: String = CaseDatabase.defaultPath
    @OptionGroup var trace: TraceOptions
    @OptionGroup var matching: MatchingOptions

    func run() async throws {
        if printSchema {
            Console.write(ReportWriter.schemaData())
            return
        }
        guard let watchlist, let out else { throw CommandFailure("--watchlist and --out are required") }
        var outputs = OutputGuard()
        outputs.protect(database: db)
        outputs.protect(watchlist, as: "the --watchlist input")
        if let ads { outputs.protect(ads, as: "the --ads input") }
        if let rates { outputs.protect(rates, as: "the --rates input") }
        try outputs.check(out, as: "--out")
        if let html { try outputs.check(html, as: "--html") }
        if let graph { try outputs.check(graph, as: "--graph") }
        let database = try CaseDatabase(path: db, mode: .readOnly)
        try database.requireChainData()
        let files = CaseFiles(watchlist: URL(fileURLWithPath: watchlist), ads: ads.map { URL(fileURLWithPath: $0) },
                              rates: rates.map { URL(fileURLWithPath: $0) })
        let analysis = try CaseAnalysis.run(database: database, files: files, options: try analysisOptions(matching, trace))
        let report = analysis.report
        try ReportFiles.write(report, json: out, html: html, graph: graph)
        let counts = Dictionary(grouping: report.ads, by: \.status).mapValues(\.count)
        print(ClusteringUsed.line(try ClusteringUsed.read(database)))
        print("wrote \(out): site cluster \(report.siteCluster.size) addresses, \(report.payerClusters.count) payer clusters, ads \(counts["matched"] ?? 0) matched / \(counts["ambiguous"] ?? 0) ambiguous / \(counts["unmatched"] ?? 0) unmatched, \(report.sharedContacts.count) shared contacts; analysis read \(analysis.transactionsLoaded) transactions")
    }
}

enum ReportFiles {
    static func write(_ report: Report, json: String, html: String?, graph: String?) throws {
        try ReportWriter.json(report).write(to: URL(fileURLWithPath: json), options: .atomic)
        if let html {
            try Data(HTML.render(report).utf8).write(to: URL(fileURLWithPath: html), options: .atomic)
        }
        if let graph {
            let g = TrailGraph(report: report)
            let lower = graph.lowercased()
            let text: String
            if lower.hasSuffix(".graphml") || lower.hasSuffix(".xml") { text = g.graphML() }
            else if lower.hasSuffix(".dot") || lower.hasSuffix(".gv") { text = g.dot() }
            else { throw CommandFailure("\(graph): --graph must end in .graphml or .dot") }
            try Data(text.utf8).write(to: URL(fileURLWithPath: graph), options: .atomic)
        }
    }
}
