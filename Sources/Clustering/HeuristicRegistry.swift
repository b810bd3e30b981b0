/// The one list of every heuristic Spoor knows (BlockSci's lesson: one registry, no drifting copies).
public enum HeuristicRegistry {
    // Each id is spelled here once; everything else (the heuristics' own `id`, profiles' defaults, the planner,
    // the evidence mask) names these constants.
    public static let multiInput: HeuristicID = "cospend.multi-input"
    public static let cospendIDs: [HeuristicID] = [multiInput]

    public static let coinbase: HeuristicID = "exclude.coinbase"
    public static let genericCoinJoin: HeuristicID = "exclude.coinjoin.generic"
    public static let fundedGenericCoinJoin: HeuristicID = "exclude.coinjoin.generic-funded"
    public static let wasabi1: HeuristicID = "exclude.coinjoin.wasabi1"
    public static let wasabi2: HeuristicID = "exclude.coinjoin.wasabi2"
    public static let whirlpool: HeuristicID = "exclude.coinjoin.whirlpool"
    public static let joinMarket: HeuristicID = "exclude.coinjoin.joinmarket"

    public static let exclusions: [any TransactionExclusion] = [
        CoinbaseExclusion(), GenericCoinJoinExclusion(), FundedGenericCoinJoinExclusion(), Wasabi1Exclusion(), Wasabi2Exclusion(),
        WhirlpoolExclusion(), JoinMarketExclusion(),
    ]
    public static var exclusionIDs: [HeuristicID] { exclusions.map(\.id) }
    /// What the default profile applies: every exclusion, with BlockSci's rule in its funded form only.
    public static var defaultExclusionIDs: [HeuristicID] { exclusionIDs.filter { $0 != genericCoinJoin } }

    public static let freshAddress: HeuristicID = "change.fresh-address"
    public static let optimalChange: HeuristicID = "change.optimal"
    public static let addressType: HeuristicID = "change.address-type"
    public static let roundPayment: HeuristicID = "change.round-payment"
    public static let reuse: HeuristicID = "change.reuse"
    public static let fingerprint: HeuristicID = "change.fingerprint"
    public static let peelChain: HeuristicID = "change.peel-chain"
    public static let changeIDs: [HeuristicID] = [
        freshAddress, optimalChange, addressType, roundPayment, reuse, fingerprint, peelChain, walletType, sameBlockSpend,
        largestInput,
    ]
    /// Learned per cluster by the clusterer as it goes (see `WalletChangeTypeChange`).
    public static let walletType: HeuristicID = "change.wallet-type"
    /// Reads spenders in the same block (see `SameBlockSpendChange`).
    public static let sameBlockSpend: HeuristicID = "change.same-block-spend"
    public static let largestInput: HeuristicID = "change.largest-input"

    /// Links between clusters from how they pay, applied after the chain walk (see `DepositLinks`).
    public static let depositAddress: HeuristicID = "link.deposit-address"
    public static let linkIDs: [HeuristicID] = [depositAddress]

    /// Guards are recorded in the same evidence log as exclusions.
    public static let entityGuard: HeuristicID = "guard.entity-tags"
    public static let growthGuard: HeuristicID = "guard.max-merge-growth"
    public static let collapseGuard: HeuristicID = "guard.collapse"
    /// Refuses joining what receives the site's payments with what pays them (see `ObservedRoles`).
    public static let roleGuard: HeuristicID = "guard.roles"

    /// Allowed parameters of each heuristic and their valid ranges.
    public static let parameters: [HeuristicID: [String: ClosedRange<Int>]] = [
        roundPayment: ["digits": 1...15, "significant_digits": 1...8],
        depositAddress: ["min_service_addresses": 2...1_000_000],
    ]

    /// Checks a profile's parameters of `id` against `parameters`: every name known, every value in range.
    /// - Throws: `DecodingError.dataCorrupted` at `path` + the parameter's name.
    static func checkParameters(_ given: [String: Int], of id: HeuristicID, at path: [any CodingKey]) throws {
        let allowed = parameters[id] ?? [:]
        for (name, value) in given.sorted(by: { $0.key < $1.key }) {
            guard let range = allowed[name] else {
                throw DecodingError.dataCorrupted(.init(codingPath: path + [AnyKey(name)], debugDescription: "\(id) has no parameter \"\(name)\""))
            }
            guard range.contains(value) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path + [AnyKey(name)],
                    debugDescription: "\(id) parameter \(name) = \(value) is outside \(range.lowerBound)…\(range.upperBound)"))
            }
        }
    }

    public static func exclusion(_ id: HeuristicID) -> (any TransactionExclusion)? {
        exclusions.first { $0.id == id }
    }

    public static func change(_ id: HeuristicID, parameters: [String: Int] = [:]) -> (any ChangeHeuristic)? {
        switch id {
        case freshAddress: return FreshAddressChange()
        case optimalChange: return OptimalChange()
        case addressType: return AddressTypeChange()
        case roundPayment:
            return RoundPaymentChange(digits: parameters["digits"] ?? RoundPaymentChange.defaultDigits,
                                      significantDigits: parameters["significant_digits"])
        case reuse: return ReuseChange()
        case fingerprint: return FingerprintChange()
        case peelChain: return PeelChainChange()
        case walletType: return WalletChangeTypeChange()
        case sameBlockSpend: return SameBlockSpendChange()
        case largestInput: return LargestInputChange()
        default: return nil
        }
    }

    /// Every id in a fixed order: bit i of an evidence record's heuristic mask is `allIDs[i]`. Stored
    /// evidence holds these bits, so the order never changes: new heuristics are appended at the end.
    public static let allIDs: [HeuristicID] = [
        multiInput,
        coinbase, genericCoinJoin, fundedGenericCoinJoin, wasabi1, wasabi2, whirlpool, joinMarket,
        freshAddress, optimalChange, addressType, roundPayment, reuse, fingerprint, peelChain,
        entityGuard, growthGuard,
        walletType,
        sameBlockSpend, largestInput,
        depositAddress,
        collapseGuard,
        roleGuard,
    ]

    public static func bit(of id: HeuristicID) -> Int? { allIDs.firstIndex(of: id) }

    public static func ids(inMask mask: UInt32) -> [HeuristicID] {
        allIDs.indices.filter { mask & (1 << UInt32($0)) != 0 }.map { allIDs[$0] }
    }
}
