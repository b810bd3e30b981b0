/// The stable name of a heuristic, exclusion or guard (`"cospend.multi-input"`). Once shipped, an id
/// is never renamed: evidence in old case databases and reports refers to it.
public struct HeuristicID: Hashable, Comparable, Sendable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
    public static func < (a: HeuristicID, b: HeuristicID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }
}

/// A published source for a heuristic, printed into the heuristic documents and reports.
public struct Reference: Hashable, Sendable, Codable {
    public let short: String
    public let link: String
    public init(_ short: String, _ link: String) {
        self.short = short
        self.link = link
    }

    public static let meiklejohn2013 = Reference(
        "Meiklejohn et al., A Fistful of Bitcoins, IMC 2013", "https://doi.org/10.1145/2504730.2504747")
    public static let androulaki2013 = Reference(
        "Androulaki et al., Evaluating User Privacy in Bitcoin, FC 2013", "https://doi.org/10.1007/978-3-642-39884-1_4")
    public static let nick2015 = Reference(
        "J. D. Nick, Data-Driven De-Anonymization in Bitcoin, ETH Zürich 2015",
        "https://nickler.ninja/papers/thesis.pdf")
    public static let blocksci2020 = Reference(
        "Kalodner et al., BlockSci, USENIX Security 2020",
        "https://www.usenix.org/conference/usenixsecurity20/presentation/kalodner")
    public static let blocksciCoinjoin = Reference(
        "BlockSci src/heuristics/tx_identification.cpp, isCoinjoin",
        "https://github.com/citp/BlockSci/blob/14ccc9358443b2eb5730bb2902c4b11ab7928abf/src/heuristics/tx_identification.cpp#L48")
    public static let graphsenseCoinjoin = Reference(
        "graphsense-lib, ingest is_coinjoin (port of BlockSci's rule, dust values 546 and 2730)",
        "https://github.com/graphsense/graphsense-lib")
    public static let dumplings = Reference(
        "Dumplings (nopara73, crocs-muni) Scanning/Scanner.cs and Constants.cs: Wasabi 1/2, Samourai and other-CoinJoin rules",
        "https://github.com/crocs-muni/Dumplings")
    public static let svenda2025 = Reference(
        "Svenda et al., CoinJoin ecosystem insights for Wasabi 1.x, Wasabi 2.x and Whirlpool, PETS 2025",
        "https://github.com/crocs-muni/coinjoin-analysis")
    public static let moser2022 = Reference(
        "Möser & Narayanan, Resurrecting Address Clustering in Bitcoin, FC 2022",
        "https://doi.org/10.1007/978-3-031-18283-9_19")
    public static let ermilov2017 = Reference(
        "Ermilov et al., Automatic Bitcoin Address Clustering, ICMLA 2017", "https://doi.org/10.1109/ICMLA.2017.0-118")
    public static let kappos2022 = Reference(
        "Kappos et al., How to Peel a Million: Validating and Expanding Bitcoin Clusters, USENIX Security 2022 (wallet fingerprints, change type consistency)",
        "https://www.usenix.org/conference/usenixsecurity22/presentation/kappos")
    public static let coreChangeType = Reference(
        "Bitcoin Core src/wallet/wallet.cpp, CWallet::TransactionChangeType (-changetype, or the payee's type for P2WPKH/P2TR)",
        "https://github.com/bitcoin/bitcoin/blob/master/src/wallet/wallet.cpp")
    public static let coreTrustedSpend = Reference(
        "Bitcoin Core src/wallet/receive.cpp, CachedTxIsTrusted (an unconfirmed output is spent only if the wallet made its transaction from its own inputs; -spendzeroconfchange)",
        "https://github.com/bitcoin/bitcoin/blob/master/src/wallet/receive.cpp")
    public static let bitcoinWikiUnnecessaryInput = Reference(
        "Bitcoin Wiki, Privacy: Unnecessary input heuristic", "https://en.bitcoin.it/wiki/Privacy#Unnecessary_input_heuristic")
    public static let schnoering2023 = Reference(
        "Schnoering & Vazirgiannis / Kappos et al., peeling chains (How to Peel a Million, USENIX Security 2022)",
        "https://www.usenix.org/conference/usenixsecurity22/presentation/kappos")
}

/// A rule that says a transaction's inputs must not be linked at all (CoinJoins, coinbase).
public protocol TransactionExclusion: Sendable {
    var id: HeuristicID { get }
    var references: [Reference] { get }
    /// True when the transaction matches and its inputs (and change) must not be linked.
    ///
    /// Contract for every exclusion but `exclude.coinbase`: it matches only transactions with two or more
    /// inputs and two outputs of equal value. Clustering without change rules reads the full columns only for
    /// such transactions (`CospendIndex`); a rule that breaks this must change that filter first.
    /// - Complexity: O(inputs + outputs), O(n log n) where a sort is documented.
    func matches(_ tx: TxView) -> Bool
    /// False only when no transaction with these counts can match (a necessary condition of `matches`): the
    /// co-spend path skips decoding a candidate's columns when no rule of the profile may match it. The default,
    /// true, is always correct.
    func mayMatch(inputCount: Int, outputCount: Int) -> Bool
}

extension TransactionExclusion {
    public func mayMatch(inputCount: Int, outputCount: Int) -> Bool { true }
}

/// A change heuristic returns the outputs it identifies as possible change (BlockSci's meaning; an
/// empty set when it does not apply). Rules combine these sets; the clusterer links an output only when
/// the profile's rule leaves exactly one.
public protocol ChangeHeuristic: Sendable {
    var id: HeuristicID { get }
    var references: [Reference] { get }
    func candidates(in tx: TxView) -> OutputSet
}
