import CaseStore
import ChainSources
import Clustering
import Foundation
import Investigation
import Reports
import SpoorTestSupport
import Testing
import Tracing

/// The analysis reads only the transactions it needs (`TraceSubgraph`); the whole-chain graph stays as the
/// reference. On the bundled chain both must give byte-identical reports for every policy, direction and hop
/// count, under both built-in clusterings the commands use.
@Suite(.serialized, .enabled(if: TestRun.all, Comment(rawValue: TestRun.slow))) struct SubgraphEqualityTests {
    /// The bundled chain in databases of this suite's own (other suites hold `SampleCase`'s open), clustered
    /// with the default profile and with `change` (what `investigate` uses).
    static func clustered(_ profile: HeuristicProfile) throws -> String {
        let dir = try Fixtures.temporaryDirectory("spoor-subgraph")
        let path = dir.appendingPathComponent("case.sqlite").path
        let database = try CaseDatabase(path: path)
        _ = try Ingestor(database: database).ingest(NodeJSONSource(
            path: SampleCase.folder.appendingPathComponent("rpc/blocks.jsonl.gz").path, network: nil))
        try ClusterRunner.run(database, profile: profile)
        return path
    }
    static let defaultDatabasePath: Result<String, any Error> = Result { try clustered(HeuristicProfile.builtInDefault) }
    static let changeDatabasePath: Result<String, any Error> = Result {
        let profileFile = Fixtures.repositoryRoot.appendingPathComponent("Heuristics/profiles/change.json")
        return try clustered(try HeuristicProfile.load([UInt8](Data(contentsOf: profileFile)), file: profileFile.path))
    }

    func compareAll(_ database: CaseDatabase, hops: [Int]) throws {
        let chainTransactions = try StoreQueries.stats(database).transactions
        var visited = 0
        for policy in FlowPolicy.allCases {
            for direction in TraceDirection.allCases {
                for h in hops {
                    var options = AnalysisOptions(policy: policy, direction: direction, hops: h)
                    let sub = try CaseAnalysis.run(database: database, files: SampleCase.files, options: options)
                    options.loadWholeChain = true
                    let whole = try CaseAnalysis.run(database: database, files: SampleCase.files, options: options)
                    let a = try ReportWriter.json(sub.report), b = try ReportWriter.json(whole.report)
                    #expect(a == b, "\(policy) \(direction) \(h) hops: the subgraph's report differs from the whole chain's")
                    #expect(whole.transactionsLoaded == chainTransactions)
                    #expect(sub.transactionsLoaded < chainTransactions)
                    if direction == .back && h <= 2 {
                        // The default analysis of the report reads a small part of the chain.
                        #expect(sub.transactionsLoaded < chainTransactions / 4, "\(policy) \(h): loaded \(sub.transactionsLoaded)")
                    }
                    visited += sub.report.traces.reduce(0) { $0 + $1.transactionsVisited }
                    #expect(!sub.report.caveats.contains { $0.hasPrefix("Tracing was cut short") })
                }
            }
        }
        // The traces did walk the chain (equal empty traces would prove nothing).
        #expect(visited > 100)
    }

    @Test func defaultProfileEveryPolicyDirectionAndHopCount() throws {
        try compareAll(try CaseDatabase(path: try Self.defaultDatabasePath.get()), hops: [0, 1, 2, 4])
    }

    @Test func changeProfileEveryPolicyDirectionAndHopCount() throws {
        try compareAll(try CaseDatabase(path: try Self.changeDatabasePath.get()), hops: [1, 3, 6])
    }

    @Test func siteRulesOffGiveTheSameReportToo() throws {
        let database = try CaseDatabase(path: try Self.changeDatabasePath.get())
        for rules in [SiteExpansionRules(coldSweep: false, payjoinReceiver: true), SiteExpansionRules(coldSweep: true, payjoinReceiver: false)] {
            var options = AnalysisOptions(siteRules: rules, direction: .both, hops: 3)
            let sub = try ReportWriter.json(CaseAnalysis.run(database: database, files: SampleCase.files, options: options).report)
            options.loadWholeChain = true
            let whole = try ReportWriter.json(CaseAnalysis.run(database: database, files: SampleCase.files, options: options).report)
            #expect(sub == whole, "\(rules)")
        }
    }

    /// The staged loader's shortcuts (the site carried between rounds once complete, the traces that reached
    /// nothing unloaded kept) save work without changing what it reads: these are the counts it read without them.
    @Test func theStagedLoaderReadsThePinnedPartOfTheChain() throws {
        let database = try CaseDatabase(path: try Self.changeDatabasePath.get())
        let cases: [(TraceDirection, FlowPolicy, Int)] = [(.back, .haircut, 657), (.forward, .haircut, 538), (.both, .poison, 657)]
        for (direction, policy, read) in cases {
            let options = AnalysisOptions(policy: policy, direction: direction, hops: 3)
            let loaded = try CaseAnalysis.run(database: database, files: SampleCase.files, options: options).transactionsLoaded
            #expect(loaded == read, "\(direction) \(policy): read \(loaded)")
        }
    }

    /// A cone that would need more transactions than allowed stops where it is, says so in the caveats, and
    /// still conserves amounts (what did not go further is a hop-limit endpoint).
    @Test func aCappedConeIsStatedInTheReport() throws {
        let database = try CaseDatabase(path: try Self.changeDatabasePath.get())
        let options = AnalysisOptions(policy: .haircut, direction: .both, hops: 6, coneTransactionLimit: 5)
        let capped = try CaseAnalysis.run(database: database, files: SampleCase.files, options: options)
        #expect(capped.report.caveats.contains { $0.hasPrefix("Tracing was cut short") && $0.contains("5 transactions") })
        #expect(capped.report.traces.allSatisfy { $0.conserved })
        let violations = try SampleCase.validator().validate(try ReportWriter.json(capped.report))
        #expect(violations.isEmpty, "\(violations.prefix(3))")
        // Site, payments and ads do not depend on the cap: only the traces are cut.
        let full = try CaseAnalysis.run(database: database, files: SampleCase.files,
                                        options: AnalysisOptions(policy: .haircut, direction: .both, hops: 6))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(capped.report.siteCluster) == encoder.encode(full.report.siteCluster))
        #expect(try encoder.encode(capped.report.ads) == encoder.encode(full.report.ads))
        #expect(try encoder.encode(capped.report.payerClusters.map(\.payments)) == encoder.encode(full.report.payerClusters.map(\.payments)))
        #expect(capped.report.traces.map(\.endpointsSat) != full.report.traces.map(\.endpointsSat)
                || capped.report.traces.map(\.transactionsVisited) != full.report.traces.map(\.transactionsVisited))
    }
}
