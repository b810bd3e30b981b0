import Clustering
import Evaluation
import Investigation
import Reports
import Foundation

/// The text form of `spoor evaluate`.
enum EvaluationText {
    static func f(_ x: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", x) }
    /// A count as an integer, a share with four decimals.
    static func g(_ x: Double) -> String { x == x.rounded() && abs(x) >= 2 ? String(Int(x)) : f(x) }

    static func print(_ c: ChainEvaluation) {
        Swift.print("== \(c.chain): profile \(c.profile.id) (sha256 \(c.profile.hash))")
        let s = c.clustering
        Swift.print("clustering: pairwise precision \(f(s.precision, 5))  recall \(f(s.recall))  clusters \(s.clusters) over \(s.addresses) owned addresses of \(s.owners) owners; \(s.mixedClusters) mix owners; largest \(s.largest) (\(f(s.largestShare, 3)) of the addresses, \(s.largestOwners) owners)")
        if let b = c.rerun?.clusteringBeforeLinks {
            Swift.print("  before the profile's links: precision \(f(b.precision, 5))  recall \(f(b.recall))  clusters \(b.clusters)  largest \(b.largest)")
        }
        Swift.print("  merges per heuristic (wrong = joined two owners): " + c.mergesPerHeuristic.sorted { $0.key < $1.key }
            .map { "\($0.key) \($0.value.merges) (\($0.value.wrong) wrong)" }.joined(separator: ", "))
        if let r = c.rerun {
            Swift.print("  CoinJoins: \(r.coinjoins.inTruth) in truth, \(r.coinjoins.detected) detected, \(r.coinjoins.flaggedOther.count) other transactions flagged")
            Swift.print("  change identification (named / precision / recall of true change outputs):")
            for row in r.change {
                let name = row.heuristic.hasPrefix("rule:") ? "the profile's change rule" : row.heuristic
                Swift.print("    \(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(row.named).leftPadded(6))  \(f(row.precision))  \(f(row.recall))")
            }
        }
        if let site = c.site {
            Swift.print("site cluster: \(site.addresses) addresses; \(site.covered) of the site's \(site.siteUsedAddresses) used addresses (\(f(site.coverage))); \(site.foreign) of other owners")
        }
        if let p = c.payers {
            Swift.print("payers: \(p.payerClusters) payer clusters (\(p.mixed) mix owners); own-wallet advertisers found \(p.ownWalletFound) of \(p.ownWalletAdvertisers)"
                        + (p.ownWalletMissing.isEmpty ? "" : " (missing: \(p.ownWalletMissing.joined(separator: ", ")))"))
            Swift.print("  custodial ads \(p.custodialAds), matched right \(p.custodialMatched), payer marked service \(p.custodialMarkedService); service clusters among payers and funders \(p.serviceClusters) (marked \(p.serviceClustersMarked)); wallets marked service \(p.walletsMarkedService)")
        }
        if let a = c.ads {
            Swift.print("ads: \(a.ads) (\(a.paid) paid): right transaction \(a.rightTransaction) (\(f(a.rightTransactionShare, 3))), right output \(a.rightOutput) (\(f(a.rightOutputShare, 3))), wrong \(a.wrong) (\(f(a.wrongShare, 3))), ambiguous \(a.ambiguous), unmatched \(a.unmatched)")
        }
        if let sc = c.sharedContacts {
            Swift.print("shared contacts: truth pairs found \(sc.pairsFound) of \(sc.truthPairs); \(sc.entries) entries (\(sc.betweenAdvertisers) between advertisers, \(sc.plausiblyOneAdvertiser) plausibly one advertiser, \(sc.falseOneAdvertiser) of them wrongly); claims resting on a service payer \(sc.serviceClaims)")
        }
    }

    static func printFigures(_ corpus: CorpusEvaluation) {
        let names = corpus.chains.map(\.chain)
        Swift.print("== over \(names.count) chains")
        Swift.print(("figure".padding(toLength: 40, withPad: " ", startingAt: 0)) + names.map { $0.leftPadded(14) }.joined()
                    + "mean".leftPadded(10) + "   worst")
        for fig in corpus.figures {
            let cells = names.map { n in fig.perChain[n].map { g($0) } ?? "—" }.map { $0.leftPadded(14) }.joined()
            Swift.print(fig.name.padding(toLength: 40, withPad: " ", startingAt: 0) + cells + f(fig.mean).leftPadded(10)
                        + "   \(g(fig.worst)) (\(fig.worstChain))")
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
