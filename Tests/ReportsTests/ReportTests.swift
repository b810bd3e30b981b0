import BitcoinPrimitives
import CaseStore
import ChainSources
import Clustering
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Investigation
import Reports
import SpoorTestSupport
import Testing
import Tracing

/// The bundled sample chain ingested and clustered once into a case database shared by these tests.
enum SampleCase {
    static let folder = Fixtures.sampleChains.appendingPathComponent("small-seed1")
    static let caseFolder = folder.appendingPathComponent("case")

    static let databasePath: Result<String, any Error> = Result {
        let dir = try Fixtures.temporaryDirectory("spoor-report")
        let path = dir.appendingPathComponent("case.sqlite").path
        let database = try CaseDatabase(path: path)
        let source = NodeJSONSource(path: folder.appendingPathComponent("rpc/blocks.jsonl.gz").path, network: nil)
        _ = try Ingestor(database: database).ingest(source)
        try ClusterRunner.run(database, profile: HeuristicProfile.builtInDefault)
        return path
    }

    static func database() throws -> CaseDatabase { try CaseDatabase(path: try databasePath.get()) }

    static var files: CaseFiles {
        CaseFiles(watchlist: caseFolder.appendingPathComponent("watchlist.json"),
                  ads: caseFolder.appendingPathComponent("ads.csv"), rates: caseFolder.appendingPathComponent("rates.csv"))
    }

    static func validator() throws -> JSONSchemaValidator { try JSONSchemaValidator(schemaData: ReportWriter.schemaData()) }
}

@Suite(.serialized) struct ReportTests {
    @Test func reportFollowsTheSchemaAndIsByteIdentical() throws {
        let database = try SampleCase.database()
        let first = try ReportWriter.json(CaseAnalysis.run(database: database, files: SampleCase.files).report)
        let second = try ReportWriter.json(CaseAnalysis.run(database: database, files: SampleCase.files).report)
        #expect(first == second)
        let violations = try SampleCase.validator().validate(first)
        #expect(violations.isEmpty, "\(violations.prefix(5))")

        let report = try JSONDecoder().decode(Report.self, from: first)
        // The manifest names every input with its SHA-256, the chain tip and the profile.
        let ads = try Data(contentsOf: SampleCase.caseFolder.appendingPathComponent("ads.csv"))
        #expect(report.manifest.inputs.map(\.role) == ["watchlist", "ads", "rates"])
        #expect(report.manifest.inputs[1].sha256 == Hex.encode(Hashing.sha256([UInt8](ads)).bytes))
        #expect(report.manifest.chain.tipHeight == 336)
        #expect(report.manifest.profile.id == HeuristicProfile.builtInDefault.id)
        #expect(report.manifest.profile.hash == HeuristicProfile.builtInDefault.hash)
        #expect(report.manifest.database.transactions == 2470)
        // Every ad is reported, with a reason whenever it is not matched, and matched ads name a payer.
        #expect(report.ads.count == 111)
        for ad in report.ads {
            #expect(!ad.reason.isEmpty)
            if ad.status == "matched" { #expect(ad.payment != nil && ad.payerCluster != nil) }
        }
        // Payer clusters' totals add up to their payments, and their ads are the matched ones.
        for p in report.payerClusters { #expect(p.totalPaidSat == p.payments.reduce(0) { $0 + $1.valueSat }) }
        let matchedAds = Set(report.ads.filter { $0.status == "matched" }.map(\.adID))
        #expect(Set(report.payerClusters.flatMap(\.ads)) == matchedAds)
        // Amounts are conserved by the report's trace (haircut by default).
        #expect(report.traces.allSatisfy { $0.conserved && $0.startSat == $0.endpointsSat })
    }

    /// The manifest cites the measured figures of the profile the stored clustering used — same id *and* same
    /// file hash — and the HTML shows them; a profile never measured (or edited since) gets none and a caveat.
    @Test func reportCitesItsProfilesErrorRatesOnly() throws {
        let database = try SampleCase.database()
        let profile = Report.Profile(id: HeuristicProfile.builtInDefault.id, hash: HeuristicProfile.builtInDefault.hash)
        let corpus = Report.Corpus(chains: ["chain-a", "chain-b"], sha256: String(repeating: "ab", count: 32), measured: "2026-12-02")
        let figure = Report.Figure(name: "ads.wrong_share", better: "lower", mean: 0.0125, worst: 0.025,
                                   worstChain: "chain-b", perChain: ["chain-a": 0, "chain-b": 0.025])
        let measured = Report.ErrorRates(profile: profile, corpus: corpus, figures: [figure], notes: ["a fold picked otherwise"])
        var edited = measured
        edited.profile.hash = String(repeating: "0", count: 64)
        edited.figures[0].worst = 0.5
        var other = measured
        other.profile.id = "change"

        let cited = try CaseAnalysis.run(database: database, files: SampleCase.files,
                                         options: AnalysisOptions(errorRates: [other, edited, measured])).report
        #expect(cited.manifest.errorRates == measured)
        #expect(cited.caveats.contains { $0.contains("were measured with this profile on 2 chains") && $0.contains("never validated on mainnet") })
        let json = try ReportWriter.json(cited)
        let violations = try SampleCase.validator().validate(json)
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        #expect(try JSONDecoder().decode(Report.self, from: json) == cited)
        let html = HTML.render(cited)
        #expect(html.contains("<h2 id=\"error-rates\">Known error rates</h2>"))
        #expect(html.contains("on the worst of 2 simulated chains with ground truth, ads matched wrongly 0.0250"))
        #expect(html.contains("<tr><td>ads.wrong_share</td><td>0.0125</td><td>0.0250</td><td>chain-b</td></tr>"))
        #expect(html.contains("a fold picked otherwise"))

        let unknown = try CaseAnalysis.run(database: database, files: SampleCase.files,
                                           options: AnalysisOptions(errorRates: [other, edited])).report
        #expect(unknown.manifest.errorRates == nil)
        #expect(unknown.caveats.contains { $0.contains("this report's error rates are unknown") })
        #expect(HTML.render(unknown).contains("was never measured"))
    }

    @Test func theSchemaRejectsWhatItShould() throws {
        let validator = try SampleCase.validator()
        let report = try CaseAnalysis.run(database: try SampleCase.database(), files: SampleCase.files).report
        var object = try JSONSerialization.jsonObject(with: ReportWriter.json(report)) as! [String: Any]
        object.removeValue(forKey: "shared_contacts")
        var ads = object["ads"] as! [[String: Any]]
        ads[0]["status"] = "probably"
        object["ads"] = ads
        let violations = try validator.validate(try JSONSerialization.data(withJSONObject: object))
        #expect(violations.contains { $0.message.contains("shared_contacts") })
        #expect(violations.contains { $0.path == "/ads/0/status" })
    }

    @Test(.enabled(if: TestRun.all, Comment(rawValue: TestRun.slow)), arguments: [FlowPolicy.poison, .haircut, .fifo, .tiho], [TraceDirection.back, .forward, .both])
    func everyPolicyAndDirectionGivesAValidReport(policy: FlowPolicy, direction: TraceDirection) throws {
        let options = AnalysisOptions(policy: policy, direction: direction, hops: 3)
        let report = try CaseAnalysis.run(database: try SampleCase.database(), files: SampleCase.files, options: options).report
        let data = try ReportWriter.json(report)
        #expect(try SampleCase.validator().validate(data).isEmpty)
        #expect(report.traces.count == (direction == .both ? 2 : 1))
        for t in report.traces {
            if policy == .poison { #expect(t.endpointsSat >= t.startSat) } else { #expect(t.conserved) }
        }
    }

    @Test func graphExportsAreWellFormed() throws {
        let report = try CaseAnalysis.run(database: try SampleCase.database(), files: SampleCase.files).report
        let g = TrailGraph(report: report)
        #expect(g.nodes.contains { $0.role == .site })
        #expect(g.nodes.filter { $0.role == .payer }.count == min(40, report.payerClusters.count))
        let xml = g.graphML()
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse(), "GraphML does not parse: \(String(describing: parser.parserError))")
        #expect(xml.components(separatedBy: "<node ").count - 1 == g.nodes.count)
        #expect(xml.components(separatedBy: "<edge ").count - 1 == g.edges.count)
        let dot = g.dot()
        #expect(dot.hasPrefix("digraph trail {") && dot.hasSuffix("}\n"))
        #expect(dot.components(separatedBy: " -> ").count - 1 == g.edges.count)
    }
}

@Suite(.serialized) struct HostileInputTests {
    static let hostile = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>&amp;"

    @Test func htmlEscapesEveryUntrustedString() throws {
        let dir = try Fixtures.temporaryDirectory("spoor-hostile")
        let ads = try String(contentsOf: SampleCase.caseFolder.appendingPathComponent("ads.csv"), encoding: .utf8)
        // Every contact replaced by a hostile one (quoted: it holds commas and quotes).
        var lines = ads.split(whereSeparator: \.isNewline).map(String.init)
        for i in 1 ..< lines.count {
            var f = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            f[4] = "\"" + (Self.hostile + f[4]).replacingOccurrences(of: "\"", with: "\"\"") + "\""
            lines[i] = f.joined(separator: ",")
        }
        let adsURL = dir.appendingPathComponent("ads.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: adsURL, atomically: true, encoding: .utf8)
        let watch = try String(contentsOf: SampleCase.caseFolder.appendingPathComponent("watchlist.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"adsite\"", with: "\"adsite <b onmouseover=alert(2)>\"")
        let watchURL = dir.appendingPathComponent("watchlist.json")
        try watch.write(to: watchURL, atomically: true, encoding: .utf8)

        let path = dir.appendingPathComponent("case.sqlite").path
        try FileManager.default.copyItem(atPath: try SampleCase.databasePath.get(), toPath: path)
        let database = try CaseDatabase(path: path)
        let pack = """
            title: hostile
            creator: test
            label: "</title><script>alert(3)</script>"
            category: exchange
            is_cluster_definer: true
            tags:
            - address: \(try firstPayerAddress(database))
            """
        try TagStore.insert(try TagParser.parseTagPack(text: pack, file: "hostile.yaml").tags.map { StoredTag($0) },
                            into: database)
        let report = try CaseAnalysis.run(database: database, files: CaseFiles(
            watchlist: watchURL, ads: adsURL, rates: SampleCase.caseFolder.appendingPathComponent("rates.csv"))).report
        #expect(report.ads.contains { $0.contact.hasPrefix(Self.hostile) })
        #expect(report.payerClusters.contains { $0.labels.contains("</title><script>alert(3)</script>") })
        let html = HTML.render(report)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<b onmouseover"))
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;"))
        // Self-contained: no URL that a browser would fetch.
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url("))
        #expect(html.contains("Content-Security-Policy"))
        let xml = TrailGraph(report: report).graphML()
        #expect(XMLParser(data: Data(xml.utf8)).parse())
    }

    func firstPayerAddress(_ database: CaseDatabase) throws -> String {
        let report = try CaseAnalysis.run(database: database, files: SampleCase.files).report
        return try #require(report.payerClusters.first?.addresses.first)
    }
}
