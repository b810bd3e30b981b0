import CaseStore
import ChainSources
import Clustering
import Foundation
import Investigation
import Reports
import SpoorTestSupport
import Testing

/// The targets on the bundled chain, through the whole pipeline (ingest, `change`-profile clustering,
/// report), scored against `truth/` (read here only to score).
@Suite struct InvestigationTargetTests {
    @Test func targetsOnTheBundledChain() throws {
        let chain = Fixtures.sampleChains.appendingPathComponent("small-seed1")
        let dir = try Fixtures.temporaryDirectory("spoor-targets")
        let database = try CaseDatabase(path: dir.appendingPathComponent("case.sqlite").path)
        _ = try Ingestor(database: database).ingest(NodeJSONSource(path: chain.appendingPathComponent("rpc/blocks.jsonl.gz").path, network: nil))
        let profileFile = Fixtures.repositoryRoot.appendingPathComponent("Heuristics/profiles/change.json")
        try ClusterRunner.run(database, profile: try HeuristicProfile.load([UInt8](Data(contentsOf: profileFile)), file: profileFile.path))
        let caseDir = chain.appendingPathComponent("case")
        let report = try CaseAnalysis.run(database: database, files: CaseFiles(
            watchlist: caseDir.appendingPathComponent("watchlist.json"), ads: caseDir.appendingPathComponent("ads.csv"),
            rates: caseDir.appendingPathComponent("rates.csv"))).report

        let entities = try JSONSerialization.jsonObject(with: Data(contentsOf: chain.appendingPathComponent("truth/entities.json"))) as! [String: [String: Any]]
        var owner: [String: String] = [:]
        for (name, e) in entities { for a in (e["addresses"] as? [String: Any] ?? [:]).keys { owner[a] = name } }
        let siteUsed = (entities["adsite"]?["addresses"] as? [String: [String: Any]] ?? [:]).filter { $0.value["used"] as? Bool == true }.keys
        let members = Set(report.siteCluster.addresses)
        // ≥ 99 % of the site's on-chain addresses, none of another owner.
        #expect(Double(siteUsed.filter(members.contains).count) >= 0.99 * Double(siteUsed.count))
        #expect(members.allSatisfy { owner[$0] == "adsite" })

        // truth/ads.csv: ad_id(0) … advertiser(3) … payment_txid(8), vout(9) … status(13)
        var truth: [String: [String]] = [:]
        for line in try String(contentsOf: chain.appendingPathComponent("truth/ads.csv"), encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            truth[f[0]] = f
        }
        let paid = truth.values.filter { $0[13] == "paid" }.count
        var rightTx = 0, wrong = 0
        for ad in report.ads where ad.status == "matched" {
            if ad.payment?.txid == truth[ad.adID]?[8] { rightTx += 1 } else { wrong += 1 }
        }
        #expect(Double(wrong) <= 0.01 * Double(paid))
        #expect(Double(rightTx) >= 0.95 * Double(paid), "right transaction \(rightTx)/\(paid)")

        // Every advertiser with a paid ad shows up as a payer cluster; the truth's shared-contact pairs are reported.
        func ownerOf(_ cluster: Int) -> String? {
            report.payerClusters.first { $0.clusterID == cluster }?.addresses.compactMap { owner[$0] }.first
        }
        let payerOwners = Set(report.payerClusters.flatMap { $0.addresses.compactMap { owner[$0] } })
        let advertisers = entities.filter { $0.value["kind"] as? String == "advertiser" && ($0.value["ads_paid"] as? Int ?? 0) > 0 }.keys
        #expect(advertisers.allSatisfy(payerOwners.contains))
        var pairs = Set<Set<String>>()
        for s in report.sharedContacts {
            let owners = Set(s.payerClusters.compactMap(ownerOf))
            for a in owners { for b in owners where a != b { pairs.insert([a, b]) } }
        }
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: chain.appendingPathComponent("summary.json"))) as! [String: Any]
        for pair in summary["shared_contact_pairs"] as? [[String]] ?? [] { #expect(pairs.contains(Set(pair)), "\(pair)") }
        // …and each is among the entries marked between advertisers (a cluster listing a contact that is not
        // its main one), not among those marked plausibly one advertiser.
        var between = Set<Set<String>>()
        for s in report.sharedContacts where s.kind == "between-advertisers" {
            #expect(!s.borrowers.isEmpty && Set(s.borrowers.map(\.clusterID)).isSubset(of: s.payerClusters))
            let owners = Set(s.payerClusters.compactMap(ownerOf))
            for a in owners { for b in owners where a != b { between.insert([a, b]) } }
        }
        for s in report.sharedContacts where s.kind == "plausibly-one-advertiser" {
            #expect(s.borrowers.isEmpty && s.mainContactOf == s.payerClusters)
        }
        for pair in summary["shared_contact_pairs"] as? [[String]] ?? [] { #expect(between.contains(Set(pair)), "\(pair)") }
    }
}
