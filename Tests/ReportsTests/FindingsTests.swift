import CaseStore
import Foundation
import Investigation
@testable import Reports
import SpoorTestSupport
import Testing

/// The report's first screen: the findings in plain words, derived from the report (sample chain small-seed1,
/// built-in default profile; figures measured on it and pinned).
@Suite(.serialized) struct FindingsTests {
    static func report() throws -> Report {
        try CaseAnalysis.run(database: try CaseDatabase(path: try SampleCase.databasePath.get(), mode: .readOnly), files: SampleCase.files).report
    }

    @Test func findingsCountWhatTheReportHolds() throws {
        let report = try Self.report()
        let f = ReportFindings(report: report)
        #expect(f.payerClusters == 50)
        #expect(f.advertisers == 41)
        #expect(f.payments == 98)
        #expect(f.paidSat == 38_453_300)
        #expect(f.paidSat == report.payerClusters.reduce(0) { $0 + $1.totalPaidSat })
        #expect((f.ads, f.matched, f.ambiguous.count, f.unmatched.count) == (111, 88, 13, 10))
        #expect(f.ambiguous.allSatisfy { !$0.reason.isEmpty })
        // Cluster 15 (the exchange of the simulation) funds 8 payer clusters: the first lead.
        #expect(f.sharedFunders.first?.clusterID == 15)
        #expect(f.sharedFunders.first?.payerClusters.count == 8)
        #expect(f.topPayers.map(\.clusterID) == [51, 23, 2740])
        #expect(f.topPayers.first?.ads == 16)
        let first = try #require(report.payerClusters.first { $0.clusterID == 51 }?.payments.min { $0.blockTime < $1.blockTime })
        #expect(f.topPayers.first?.firstPayment == "\(first.txid):\(first.vout)")
    }

    @Test func theHTMLOpensWithTheFindingsInPlainWords() throws {
        let report = try Self.report()
        let html = HTML.render(report)
        let firstHeading = try #require(html.range(of: "<h2"))
        #expect(html[firstHeading.lowerBound...].hasPrefix("<h2>Findings</h2>"))
        let findings = try #require(html.range(of: "<section id=\"findings\">")?.lowerBound)
        let trail = try #require(html.range(of: "<h2>The trail</h2>")?.lowerBound)
        let legend = try #require(html.range(of: "id=\"legend\"")?.lowerBound)
        #expect(findings < trail && trail < legend)
        let summary = String(html[findings ..< trail])
        #expect(summary.contains("<b>41 advertisers</b>"))
        #expect(summary.contains("<b>111 ads</b>: 88 matched to a payment, 13 ambiguous, 10 unmatched."))
        #expect(summary.contains("<b>0.38453300 BTC</b> in 98 payments"))
        // The exchange that funds 8 payers is named as a service (issue 15 item 5).
        #expect(summary.contains("Cluster 15, which behaves like a service (an exchange) funded <b>8 of the 50 payer clusters</b>"))
        #expect(summary.contains("compete for"), "the ambiguous ads' reasons are on the first screen")
        // Counted nouns agree with their number; Markdown is rendered, not shown.
        #expect(!html.contains("(s)"))
        #expect(!html.contains(": 1 ads"))
        #expect(!html.contains("`"))
        #expect(html.contains("(basis <code>posting-order</code>;"))
    }

    @Test func markdownCodeIsRenderedAndAnUnpairedBacktickKept() {
        #expect(HTML.withCode("basis `posting-order`; and `x`") == "basis <code>posting-order</code>; and <code>x</code>")
        #expect(HTML.withCode("one ` alone") == "one ` alone")
        #expect(HTML.count(1, "ad") == "1 ad" && HTML.count(0, "ad") == "0 ads" && HTML.count(2, "address", "addresses") == "2 addresses")
    }
}
