import Clustering
import Foundation
import Investigation

/// A case scored against its chain's truth: the stored clustering, and (with the case files) the site
/// cluster, payers, ads and shared contacts of the report the analysis makes. Pure: the caller reads the
/// database and runs the analysis. Definitions: Heuristics/README.md ("Evaluation").
public struct ChainEvaluation: Sendable, Codable {
    public var chain: String
    public var profile: Report.Profile
    /// The clustering stored in the case database.
    public var clustering: ClusteringScore
    /// Merges per heuristic from the stored evidence, and how many joined addresses of two owners.
    public var mergesPerHeuristic: [String: MergeCount]
    /// From an in-memory rerun of the stored profile (nil when its file was not found).
    public var rerun: EvaluationReport?
    public var site: SiteScore?
    public var payers: PayerScore?
    public var ads: AdScore?
    public var sharedContacts: ContactScore?

    enum CodingKeys: String, CodingKey {
        case chain, profile, clustering, rerun, site, payers, ads
        case mergesPerHeuristic = "merges_per_heuristic", sharedContacts = "shared_contacts"
    }

    public struct MergeCount: Sendable, Codable, Equatable {
        public var merges = 0
        /// Merges whose two addresses have different owners in the truth.
        public var wrong = 0
        public init(merges: Int = 0, wrong: Int = 0) {
            self.merges = merges
            self.wrong = wrong
        }
    }

    public struct SiteScore: Sendable, Codable, Equatable {
        public var addresses: Int
        public var siteUsedAddresses: Int
        public var covered: Int
        public var coverage: Double
        /// Site-cluster addresses the truth gives to another owner.
        public var foreign: Int
        enum CodingKeys: String, CodingKey {
            case addresses, covered, coverage, foreign
            case siteUsedAddresses = "site_used_addresses"
        }
        public init(addresses: Int, siteUsedAddresses: Int, covered: Int, coverage: Double, foreign: Int) {
            self.addresses = addresses; self.siteUsedAddresses = siteUsedAddresses; self.covered = covered
            self.coverage = coverage; self.foreign = foreign
        }
    }

    public struct PayerScore: Sendable, Codable, Equatable {
        public var payerClusters: Int
        /// Payer clusters holding addresses of two or more owners.
        public var mixed: Int
        /// Advertisers that paid at least one ad from their own wallet, and those some payer cluster belongs to.
        public var ownWalletAdvertisers: Int
        public var ownWalletFound: Int
        public var ownWalletMissing: [String]
        /// Paid ads whose payment the advertiser's wallet did not fund (a custodial withdrawal), those matched
        /// to the right transaction, and of those the ones whose payer cluster is marked `service`.
        public var custodialAds: Int
        public var custodialMatched: Int
        public var custodialMarkedService: Int
        /// Payer and funding clusters marked `service` that belong to an advertiser or user (should be none),
        /// and clusters of a truth service (exchange) among payers and funders, and of those marked `service`.
        public var walletsMarkedService: Int
        public var serviceClusters: Int
        public var serviceClustersMarked: Int
        enum CodingKeys: String, CodingKey {
            case mixed
            case payerClusters = "payer_clusters", ownWalletAdvertisers = "own_wallet_advertisers"
            case ownWalletFound = "own_wallet_found", ownWalletMissing = "own_wallet_missing"
            case custodialAds = "custodial_ads", custodialMatched = "custodial_matched"
            case custodialMarkedService = "custodial_marked_service", walletsMarkedService = "wallets_marked_service"
            case serviceClusters = "service_clusters", serviceClustersMarked = "service_clusters_marked"
        }
    }

    public struct AdScore: Sendable, Codable, Equatable {
        public var ads: Int
        public var paid: Int
        /// Matched to the payment's transaction, and also to its output.
        public var rightTransaction: Int
        public var rightOutput: Int
        /// Matched to another transaction, or matched although unpaid.
        public var wrong: Int
        public var ambiguous: Int
        public var unmatched: Int
        /// right_transaction ÷ paid, right_output ÷ paid, wrong ÷ ads.
        public var rightTransactionShare: Double
        public var rightOutputShare: Double
        public var wrongShare: Double
        /// Every ad not matched to its right transaction (paid ads missed, and wrong matches), one by one:
        /// what the report said and what the truth says, so misses can be classified by cause.
        public var misses: [AdMiss]
        enum CodingKeys: String, CodingKey {
            case ads, paid, wrong, ambiguous, unmatched, misses
            case rightTransaction = "right_transaction", rightOutput = "right_output"
            case rightTransactionShare = "right_transaction_share", rightOutputShare = "right_output_share"
            case wrongShare = "wrong_share"
        }
    }

    /// One ad the report did not match to its right transaction.
    public struct AdMiss: Sendable, Codable, Equatable {
        public var adID: String
        public var advertiser: String
        public var paid: Bool
        /// The report's status, basis and reason, and the transaction it matched (a wrong match), if any.
        public var status: String
        public var basis: String
        public var reason: String
        public var matchedTxid: String?
        /// The truth's payment transaction, its kind and senders; whether the advertiser's own wallet funded it.
        public var paymentTxid: String
        public var paymentKind: String?
        public var paymentSenders: [String]
        public var custodial: Bool
        /// The report listed the right transaction among the ad's candidates.
        public var paymentAmongCandidates: Bool
        public var candidates: Int
        enum CodingKeys: String, CodingKey {
            case advertiser, paid, status, basis, reason, custodial, candidates
            case adID = "ad_id", matchedTxid = "matched_txid", paymentTxid = "payment_txid"
            case paymentKind = "payment_kind", paymentSenders = "payment_senders"
            case paymentAmongCandidates = "payment_among_candidates"
        }
    }

    public struct ContactScore: Sendable, Codable, Equatable {
        /// Pairs of advertisers linked by an ad listing the other's contact, and those a shared-contact entry joins.
        public var truthPairs: Int
        public var pairsFound: Int
        public var entries: Int
        public var betweenAdvertisers: Int
        public var plausiblyOneAdvertiser: Int
        /// `plausibly-one-advertiser` entries whose payer clusters belong to two or more owners.
        public var falseOneAdvertiser: Int
        /// Shared-contact and multi-contact entries that rest on a payer cluster of a truth service.
        public var serviceClaims: Int
        enum CodingKeys: String, CodingKey {
            case entries
            case truthPairs = "truth_pairs", pairsFound = "pairs_found", betweenAdvertisers = "between_advertisers"
            case plausiblyOneAdvertiser = "plausibly_one_advertiser", falseOneAdvertiser = "false_one_advertiser"
            case serviceClaims = "service_claims"
        }
    }
}

extension ChainEvaluation {
    /// - Parameters:
    ///   - assignment: every address of the database with its stored cluster id.
    ///   - merges: the stored merges (address, address, heuristic ids).
    ///   - report: the analysis of the case files on this database (nil: clustering only).
    public init(truth: ChainTruth, profile: Report.Profile, assignment: [(address: String, cluster: Int64)],
                merges: [(a: String, b: String, heuristics: [String])], report: Report?, rerun: EvaluationReport?) {
        chain = truth.name
        self.profile = profile
        self.rerun = rerun
        // The population: addresses paid on chain that a wallet owns (as the reference figures count).
        var onChainOwner: [String: String] = [:]
        for t in truth.transactions.transactions.values {
            for o in t.outputs { if let a = o.address, let e = o.entity { onChainOwner[a] = e } }
        }
        var ownerIndex: [String: Int] = [:]
        var population: [(cluster: UInt64, owner: Int)] = []
        var ownersOfCluster: [Int64: [String: Int]] = [:]
        for (address, cluster) in assignment {
            guard let e = onChainOwner[address] ?? truth.owner[address] else { continue }
            ownersOfCluster[cluster, default: [:]][e, default: 0] += 1
            guard onChainOwner[address] != nil else { continue }
            let i: Int
            if let x = ownerIndex[e] { i = x } else { i = ownerIndex.count; ownerIndex[e] = i }
            population.append((UInt64(bitPattern: cluster), i))
        }
        clustering = ClusteringScore(members: population)
        var perHeuristic: [String: MergeCount] = [:]
        for m in merges {
            let wrong = truth.owner[m.a].flatMap { a in truth.owner[m.b].map { $0 != a } } ?? false
            for h in m.heuristics {
                perHeuristic[h, default: MergeCount()].merges += 1
                if wrong { perHeuristic[h, default: MergeCount()].wrong += 1 }
            }
        }
        mergesPerHeuristic = perHeuristic
        guard let report else { return }
        let clusterOwner = { (c: Int) -> String? in Self.mainOwner(ownersOfCluster[Int64(c)] ?? [:]) }
        site = Self.site(report, truth: truth)
        ads = Self.ads(report, truth: truth)
        payers = Self.payers(report, truth: truth, owners: ownersOfCluster, clusterOwner: clusterOwner)
        sharedContacts = Self.contacts(report, truth: truth, clusterOwner: clusterOwner)
    }

    /// The owner of most of a cluster's addresses (the smallest name on a tie).
    static func mainOwner(_ counts: [String: Int]) -> String? {
        counts.max { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }?.key
    }

    static func site(_ report: Report, truth: ChainTruth) -> SiteScore {
        let members = Set(report.siteCluster.addresses)
        let covered = truth.siteUsedAddresses.intersection(members).count
        let site = Set(truth.entityKind.filter { $0.value == "adsite" }.keys)
        let foreign = members.filter { a in truth.owner[a].map { !site.contains($0) } ?? false }.count
        let used = truth.siteUsedAddresses.count
        return SiteScore(addresses: members.count, siteUsedAddresses: used, covered: covered,
                         coverage: used == 0 ? 1 : Double(covered) / Double(used), foreign: foreign)
    }

    static func ads(_ report: Report, truth: ChainTruth) -> AdScore {
        let byID = Dictionary(truth.ads.map { ($0.adID, $0) }, uniquingKeysWith: { a, _ in a })
        var rightTx = 0, rightOut = 0, wrong = 0, ambiguous = 0, unmatched = 0
        var misses: [AdMiss] = []
        for ad in report.ads {
            switch ad.status {
            case "matched":
                guard let t = byID[ad.adID], t.paid, let p = ad.payment, p.txid == t.paymentTxid else {
                    wrong += 1
                    misses.append(miss(ad, byID[ad.adID], truth: truth))
                    continue
                }
                rightTx += 1
                if p.vout == t.vout { rightOut += 1 }
            case "ambiguous": ambiguous += 1
            default: unmatched += 1
            }
            if ad.status != "matched", let t = byID[ad.adID], t.paid { misses.append(miss(ad, t, truth: truth)) }
        }
        let paid = truth.ads.filter(\.paid).count, all = report.ads.count
        return AdScore(ads: all, paid: paid, rightTransaction: rightTx, rightOutput: rightOut, wrong: wrong,
                       ambiguous: ambiguous, unmatched: unmatched,
                       rightTransactionShare: paid == 0 ? 1 : Double(rightTx) / Double(paid),
                       rightOutputShare: paid == 0 ? 1 : Double(rightOut) / Double(paid),
                       wrongShare: all == 0 ? 0 : Double(wrong) / Double(all), misses: misses)
    }

    static func miss(_ ad: Report.AdEntry, _ t: ChainTruth.TruthAd?, truth: ChainTruth) -> AdMiss {
        let tx = t.flatMap { truth.transactions.transactions[$0.paymentTxid] }
        let senders = tx?.senders ?? []
        return AdMiss(adID: ad.adID, advertiser: t?.advertiser ?? "", paid: t?.paid ?? false, status: ad.status,
                      basis: ad.basis, reason: ad.reason, matchedTxid: ad.payment?.txid,
                      paymentTxid: t?.paymentTxid ?? "", paymentKind: tx?.kind, paymentSenders: senders,
                      custodial: (t?.paid ?? false) && tx != nil && !senders.contains(t?.advertiser ?? ""),
                      paymentAmongCandidates: ad.candidates.contains { $0.txid == t?.paymentTxid },
                      candidates: ad.candidates.count)
    }

    /// Paid ads whose payment transaction the advertiser's own wallet did not fund.
    static func custodialAds(_ truth: ChainTruth) -> [ChainTruth.TruthAd] {
        truth.ads.filter { ad in
            ad.paid && !(truth.transactions.transactions[ad.paymentTxid]?.senders.contains(ad.advertiser) ?? true)
        }
    }

    static func payers(_ report: Report, truth: ChainTruth, owners: [Int64: [String: Int]],
                       clusterOwner: (Int) -> String?) -> PayerScore {
        let payerOwners = Set(report.payerClusters.compactMap { clusterOwner($0.clusterID) })
        let custodial = custodialAds(truth)
        let custodialIDs = Set(custodial.map(\.adID))
        let ownWallet = Set(truth.ads.filter { $0.paid && !custodialIDs.contains($0.adID) }.map(\.advertiser))
        let byID = Dictionary(truth.ads.map { ($0.adID, $0) }, uniquingKeysWith: { a, _ in a })
        let payerKind = Dictionary(report.payerClusters.map { ($0.clusterID, $0.kind) }, uniquingKeysWith: { a, _ in a })
        var custodialMatched = 0, custodialService = 0
        for ad in report.ads where ad.status == "matched" && custodialIDs.contains(ad.adID) {
            guard let t = byID[ad.adID], ad.payment?.txid == t.paymentTxid else { continue }
            custodialMatched += 1
            if let c = ad.payerCluster, payerKind[c] == "service" { custodialService += 1 }
        }
        // Payers and funders, each cluster once, with the kind the report gives it.
        var kinds: [Int: String?] = [:]
        for p in report.payerClusters {
            kinds[p.clusterID] = p.kind
            for f in p.fundingSources { if let c = f.clusterID { kinds[c] = kinds[c] ?? f.clusterKind } }
        }
        var walletsMarked = 0, services = 0, servicesMarked = 0
        for (c, kind) in kinds {
            let isService = clusterOwner(c).map { truth.entityKind[$0] == "exchange" } ?? false
            if isService { services += 1; if kind == "service" { servicesMarked += 1 } } else if kind == "service" { walletsMarked += 1 }
        }
        return PayerScore(
            payerClusters: report.payerClusters.count,
            mixed: report.payerClusters.filter { (owners[Int64($0.clusterID)]?.count ?? 0) > 1 }.count,
            ownWalletAdvertisers: ownWallet.count, ownWalletFound: ownWallet.intersection(payerOwners).count,
            ownWalletMissing: ownWallet.subtracting(payerOwners).sorted(),
            custodialAds: custodial.count, custodialMatched: custodialMatched, custodialMarkedService: custodialService,
            walletsMarkedService: walletsMarked, serviceClusters: services, serviceClustersMarked: servicesMarked)
    }

    static func contacts(_ report: Report, truth: ChainTruth, clusterOwner: @escaping (Int) -> String?) -> ContactScore {
        var truthPairs = Set<Set<String>>()
        for ad in truth.ads where ad.paid && !ad.contactOwner.isEmpty && ad.contactOwner != ad.advertiser {
            truthPairs.insert([ad.advertiser, ad.contactOwner])
        }
        var found = Set<Set<String>>()
        var falseOne = 0, serviceClaims = 0
        let isService = { (c: Int) in clusterOwner(c).map { truth.entityKind[$0] == "exchange" } ?? false }
        for s in report.sharedContacts {
            let owners = Set(s.payerClusters.compactMap(clusterOwner))
            for a in owners { for b in owners where a < b { found.insert([a, b]) } }
            if s.kind == "plausibly-one-advertiser" && owners.count > 1 { falseOne += 1 }
            if s.payerClusters.contains(where: isService) { serviceClaims += 1 }
        }
        serviceClaims += report.multiContactPayers.filter { isService($0.clusterID) }.count
        return ContactScore(
            truthPairs: truthPairs.count, pairsFound: truthPairs.intersection(found).count,
            entries: report.sharedContacts.count,
            betweenAdvertisers: report.sharedContacts.filter { $0.kind == "between-advertisers" }.count,
            plausiblyOneAdvertiser: report.sharedContacts.filter { $0.kind == "plausibly-one-advertiser" }.count,
            falseOneAdvertiser: falseOne, serviceClaims: serviceClaims)
    }
}
