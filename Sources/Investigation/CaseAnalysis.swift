import BitcoinAddresses
import BitcoinPrimitives
import CaseStore
import ChainIndex
import Foundation
import Tracing

/// Everything a report depends on besides the database: file paths and parameters.
public struct AnalysisOptions: Sendable {
    public var matching: AdMatchingParameters
    public var siteRules: SiteExpansionRules
    public var policy: FlowPolicy
    public var direction: TraceDirection
    /// Cluster hops for `trace`: hop 1 is the payers, hop 2 whoever funded them, and so on.
    public var hops: Int
    /// Addresses listed per payer cluster (the rest are counted).
    public var addressLimit: Int
    /// Load the whole best chain and every cluster assignment (the reference the subgraph is checked against)
    /// instead of only the transactions the analysis reads.
    public var loadWholeChain: Bool
    /// Transactions the trace cones may load beyond the site's own; past it, tracing stops with a caveat.
    public var coneTransactionLimit: Int
    /// Reused receiving addresses that make a payer or funding cluster a service (`ServiceClusters`).
    public var minServiceAddresses: Int
    /// Outputs that make a transaction a batch payout for the batch-chain service rule (`Int.max`: off).
    public var serviceBatchOutputs: Int
    /// The measured error rates of every shipped profile (`Heuristics/error-rates.json`): the report cites the
    /// entry of the profile the clustering used, matched by the profile file's hash.
    public var errorRates: [Report.ErrorRates]

    public init(matching: AdMatchingParameters = AdMatchingParameters(), siteRules: SiteExpansionRules = SiteExpansionRules(),
                policy: FlowPolicy = .haircut, direction: TraceDirection = .back, hops: Int = 2, addressLimit: Int = 50,
                loadWholeChain: Bool = false, coneTransactionLimit: Int = 250_000,
                minServiceAddresses: Int = AnalysisOptions.defaultMinServiceAddresses,
                serviceBatchOutputs: Int = AnalysisOptions.defaultServiceBatchOutputs,
                errorRates: [Report.ErrorRates] = []) {
        self.matching = matching; self.siteRules = siteRules; self.policy = policy; self.direction = direction
        self.hops = hops; self.addressLimit = addressLimit
        self.loadWholeChain = loadWholeChain; self.coneTransactionLimit = coneTransactionLimit
        self.minServiceAddresses = minServiceAddresses
        self.serviceBatchOutputs = serviceBatchOutputs
        self.errorRates = errorRates
    }

    /// Chosen leave-one-chain-out (Heuristics/README.md, choice C4).
    public static let defaultMinServiceAddresses = 10
    /// Chosen leave-one-chain-out (Heuristics/README.md, choice C4c: batch chains with one payer).
    public static let defaultServiceBatchOutputs = 10
}

/// The analysis results before they are written: the report plus what the pictures need.
///
/// An investigation runs in three steps, each in its own file: the case files are read and parsed
/// (`CaseFiles.read`), the store is read for them (`CaseFacts.load`: the part of the chain and the clustering the
/// case needs, site expansion and the site's payments on them, and the names the report uses), and the report is
/// assembled from those values (`ReportAssembly`: ad matching, funding traces, the requested trace, every
/// section), which reads no file and no database.
public struct CaseAnalysis: Sendable {
    public var report: Report
    /// Transactions held in memory for the analysis (the whole chain with `loadWholeChain`).
    public var transactionsLoaded: Int = 0

    /// Reads the case files and what the case database holds for them, and runs site expansion, payment
    /// search, ad matching and tracing. Deterministic for the same database and files.
    public static func run(database: CaseDatabase, files: CaseFiles, options: AnalysisOptions = AnalysisOptions()) throws -> CaseAnalysis {
        let contents = try files.read()
        if let network = try database.network() {
            let invalid = TagAddressCheck.split(contents.watchlist, network: network).invalid
            if let first = invalid.first {
                throw InputError(file: files.watchlist.path, "\(invalid.count) of the \(contents.watchlist.count) watchlist "
                                 + "entries are not \(network.rawValue) addresses (the case database's network); the "
                                 + "first: \(first.error)")
            }
        }
        let facts = try CaseFacts.load(database, watchlist: contents.watchlist, options: options)
        let report = ReportAssembly(files: contents, facts: facts, options: options).report()
        return CaseAnalysis(report: report, transactionsLoaded: facts.chain.graph.txCount)
    }
}

/// Ad ids sort numerically when they are numbers, else as text.
func adOrder(_ a: String, _ b: String) -> Bool {
    switch (Int(a), Int(b)) {
    case let (x?, y?): return x < y
    case (_?, nil): return true
    case (nil, _?): return false
    default: return a < b
    }
}

public enum ReportInfo {
    public static let caveats: [String] = [
        "Clustering heuristics are probabilistic. Common-input clustering assumes every input of a transaction has one owner; CoinJoins break that assumption (Spoor excludes the ones it detects), and PayJoins (BIP78) break it invisibly: a PayJoin merges the payer's and the receiver's wallets into one cluster.",
        "A payer cluster is a set of addresses that the heuristics tie together; one person may control several payer clusters (fresh addresses, no merging transaction), and a custodial service (an exchange) paying on behalf of customers appears as one cluster for all of them.",
        "Ad matching relies on the site publishing an ad soon after its payment, at the listed price. Payments of the same price inside the same time window cannot be told apart by the chain; such ads are reported as ambiguous, not guessed, except where as many ads as payments compete and posting order decides with a posterior probability of at least 0.95 under a delay density fitted to the case's unique matches (basis `posting-order`; this assumes each of those ads was paid by one of those payments). Outputs of equal value in one transaction are interchangeable: which one paid which ad is a convention (posting order).",
        "USD-priced ads are converted with the day's rate and matched within the stated tolerance; a different rate source or rounding by the site can move a true payment outside it.",
        "Fund tracing follows a stated policy (poison, haircut, FIFO or TIHO). None is a fact about ownership of coins: they are conventions for dividing mixed funds, and different policies give different answers.",
        "Confidence figures are ordinal (unique > forced by exclusion > interchangeable > contact affinity > one payment covering several ads > posting order > fewest contacts per payer), not calibrated probabilities.",
    ]
}
