import Clustering

/// Several chains scored at once: each chain's figures, and per headline figure the mean and the worst chain.
/// A figure measured on one chain is one draw from a family of chains; the worst chain is what a case on an
/// unseen chain should be held to.
public struct CorpusEvaluation: Sendable, Codable {
    public var chains: [ChainEvaluation]
    public var figures: [Figure]

    /// One headline figure over the chains.
    public struct Figure: Sendable, Codable, Equatable {
        public var name: String
        /// `higher` or `lower`: which way is better.
        public var better: String
        public var perChain: [String: Double]
        public var mean: Double
        public var worst: Double
        public var worstChain: String
        enum CodingKeys: String, CodingKey {
            case name, better, mean, worst
            case perChain = "per_chain", worstChain = "worst_chain"
        }
    }

    /// The headline figures, in print order: (name, higher is better, value of a chain or nil when not measured).
    static let headline: [(String, Bool, @Sendable (ChainEvaluation) -> Double?)] = [
        ("clustering.precision", true, { $0.clustering.precision }),
        ("clustering.recall", true, { $0.clustering.recall }),
        ("clustering.largest_share", false, { $0.clustering.largestShare }),
        ("site.coverage", true, { $0.site?.coverage }),
        ("site.foreign", false, { $0.site.map { Double($0.foreign) } }),
        ("payers.own_wallet_found_share", true, { $0.payers.map { share($0.ownWalletFound, $0.ownWalletAdvertisers) } }),
        ("payers.custodial_marked_service_share", true, { $0.payers.map { share($0.custodialMarkedService, $0.custodialMatched) } }),
        ("payers.wallets_marked_service", false, { $0.payers.map { Double($0.walletsMarkedService) } }),
        ("ads.right_transaction_share", true, { $0.ads?.rightTransactionShare }),
        ("ads.right_output_share", true, { $0.ads?.rightOutputShare }),
        ("ads.wrong_share", false, { $0.ads?.wrongShare }),
        ("ads.ambiguous", false, { $0.ads.map { Double($0.ambiguous) } }),
        ("ads.unmatched", false, { $0.ads.map { Double($0.unmatched) } }),
        ("shared_contacts.pairs_found_share", true, { $0.sharedContacts.map { share($0.pairsFound, $0.truthPairs) } }),
        ("shared_contacts.false_one_advertiser", false, { $0.sharedContacts.map { Double($0.falseOneAdvertiser) } }),
        ("shared_contacts.service_claims", false, { $0.sharedContacts.map { Double($0.serviceClaims) } }),
    ]

    static func share(_ n: Int, _ of: Int) -> Double { of == 0 ? 1 : Double(n) / Double(of) }

    public init(chains: [ChainEvaluation]) {
        self.chains = chains
        figures = Self.headline.compactMap { name, higher, value in
            var perChain: [String: Double] = [:]
            for c in chains { if let v = value(c) { perChain[c.chain] = v } }
            guard !perChain.isEmpty else { return nil }
            // The worst chain; on a tie, the first in name order.
            var worst = (key: "", value: higher ? Double.infinity : -Double.infinity)
            for (chain, v) in perChain.sorted(by: { $0.key < $1.key }) where higher ? v < worst.value : v > worst.value {
                worst = (chain, v)
            }
            return Figure(name: name, better: higher ? "higher" : "lower", perChain: perChain,
                          mean: perChain.values.reduce(0, +) / Double(perChain.count), worst: worst.value, worstChain: worst.key)
        }
    }
}
