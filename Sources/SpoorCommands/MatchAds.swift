import ArgumentParser
import CaseStore
import Foundation
import Investigation
import Reports

/// `spoor match-ads --ads ads.csv [--rates rates.csv] --site WATCHLIST`.
struct MatchAds: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match-ads", abstract: "Match scraped ads to payments into the ad site's cluster.",
        discussion: """
            An ad matches a payment into the site whose value equals its BTC price (or its USD price converted \
            with the day's rate, within --tolerance percent) and whose block time lies between --window-before \
            minutes before and --window-after minutes after posted_at. Each payment serves one ad. Ads with \
            several equally good candidates are reported as ambiguous, never guessed.
            """)
    @Option(name: .long, help: "Ads CSV: ad_id,posted_at,price_btc,price_usd,contact.") var ads: String
    @Option(name: .long, help: "Rates CSV: day,usd_per_btc (needed for USD prices).") var rates: String?
    @Option(name: .long, help: "Watchlist of the ad site's addresses.") var site: String
    @Option(name: .long, help: "The case database.") var db: String = CaseDatabase.defaultPath
    @OptionGroup var matching: MatchingOptions
    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        var clustering: ClusteringUsed?
        var ads: [Report.AdEntry]
        var payerClusters: [Report.PayerCluster]
        var sharedContacts: [Report.SharedContact]
        var multiContactPayers: [Report.MultiContactPayer]
        enum CodingKeys: String, CodingKey {
            case clustering, ads, payerClusters = "payer_clusters", sharedContacts = "shared_contacts", multiContactPayers = "multi_contact_payers"
        }
    }

    func run() async throws {
        let database = try CaseDatabase(path: db, mode: .readOnly)
        try database.requireChainData()
        let files = CaseFiles(watchlist: URL(fileURLWithPath: site), ads: URL(fileURLWithPath: ads),
                              rates: rates.map { URL(fileURLWithPath: $0) })
        let r = try CaseAnalysis.run(database: database, files: files, options: try analysisOptions(matching, nil)).report
        let clustering = try ClusteringUsed.read(database)
        if output.json {
            try printJSON(Result(clustering: clustering, ads: r.ads, payerClusters: r.payerClusters, sharedContacts: r.sharedContacts,
                                 multiContactPayers: r.multiContactPayers))
            return
        }
        let counts = Dictionary(grouping: r.ads, by: \.status).mapValues(\.count)
        print(ClusteringUsed.line(clustering))
        print("\(r.ads.count) ads: \(counts["matched"] ?? 0) matched, \(counts["ambiguous"] ?? 0) ambiguous, \(counts["unmatched"] ?? 0) unmatched")
        for a in r.ads {
            let pay = a.payment.map { "\($0.txid):\($0.vout) payer \(a.payerCluster ?? -1)" } ?? "-"
            print("  ad \(VisibleText.shown(a.adID))\t\(a.status)\t\(pay)\t\(a.confidence)\t\(VisibleText.shown(a.reason))")
        }
        for p in r.payerClusters where !p.ads.isEmpty {
            print(VisibleText.shown("payer cluster \(p.clusterID): ads \(p.ads.joined(separator: ",")); contacts \(p.contacts.joined(separator: ", "))"))
        }
        for s in r.sharedContacts { print(VisibleText.shown("shared contact \(s.contact) (\(s.kind)): payer clusters \(s.payerClusters.map(String.init).joined(separator: ", ")): \(s.explanation)")) }
        for m in r.multiContactPayers { print(VisibleText.shown("payer cluster \(m.clusterID) uses \(m.contacts.count) contacts: \(m.contacts.joined(separator: ", "))")) }
    }
}
