/// The investigation report, version `Report.schemaVersion`, described by `Schema/report.schema.json`.
/// Field names are snake_case so other tools read it without a mapping; every array is sorted so the same
/// inputs give byte-identical output.
public struct Report: Codable, Sendable, Equatable {
    public static let schemaVersion = "1.7.0"
    public static let schemaID = "https://spoor.invalid/schema/report-1.7.0.json"

    public var schemaVersion: String
    public var manifest: Manifest
    public var siteCluster: SiteClusterSection
    public var payerClusters: [PayerCluster]
    public var ads: [AdEntry]
    public var sharedContacts: [SharedContact]
    public var multiContactPayers: [MultiContactPayer]
    public var traces: [TraceSection]
    public var tagConflicts: [TagConflict]
    public var caveats: [String]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", manifest, siteCluster = "site_cluster", payerClusters = "payer_clusters"
        case ads, sharedContacts = "shared_contacts", multiContactPayers = "multi_contact_payers", traces
        case tagConflicts = "tag_conflicts", caveats
    }

    public struct Manifest: Codable, Sendable, Equatable {
        public var tool: String
        public var toolVersion: String
        public var profile: Profile
        public var inputs: [InputFile]
        /// The chain data the case database was ingested from (`ChainInputStore`). Since 1.7.0.
        public var chainInputs: [ChainInputEntry]?
        public var chain: Chain
        public var database: DatabaseCounts
        public var parameters: Parameters
        /// The profile's error rates measured on the sample-chain corpus (`Heuristics/error-rates.json`); nil when
        /// the profile used was never measured. Since 1.6.0.
        public var errorRates: ErrorRates?
        enum CodingKeys: String, CodingKey {
            case tool, toolVersion = "tool_version", profile, inputs, chainInputs = "chain_inputs", chain, database, parameters
            case errorRates = "error_rates"
        }
    }
    /// One profile's figures from `Tests/Benchmarks/corpus.sh` (`spoor evaluate` on every sample chain with
    /// ground truth), cited by every report made with that profile.
    public struct ErrorRates: Codable, Sendable, Equatable {
        public var profile: Profile
        public var corpus: Corpus
        public var figures: [Figure]
        /// What the figures do not show (a leave-one-chain-out fold that picked otherwise, a target missed).
        public var notes: [String]
        public init(profile: Profile, corpus: Corpus, figures: [Figure], notes: [String]) {
            self.profile = profile; self.corpus = corpus; self.figures = figures; self.notes = notes
        }
    }
    public struct Corpus: Codable, Sendable, Equatable {
        public var chains: [String]
        /// SHA-256 over every file of the chains' blocks/, case/ and truth/ (`Tests/Benchmarks/corpus-table.py`).
        public var sha256: String
        /// The day the figures were measured (YYYY-MM-DD).
        public var measured: String
        public init(chains: [String], sha256: String, measured: String) {
            self.chains = chains; self.sha256 = sha256; self.measured = measured
        }
    }
    /// One `spoor evaluate` figure over the corpus: per chain, mean and worst (Heuristics/README.md, Evaluation).
    public struct Figure: Codable, Sendable, Equatable {
        public var name: String
        public var better: String
        public var mean: Double
        public var worst: Double
        public var worstChain: String
        public var perChain: [String: Double]
        public init(name: String, better: String, mean: Double, worst: Double, worstChain: String, perChain: [String: Double]) {
            self.name = name; self.better = better; self.mean = mean; self.worst = worst
            self.worstChain = worstChain; self.perChain = perChain
        }
        enum CodingKeys: String, CodingKey {
            case name, better, mean, worst, worstChain = "worst_chain", perChain = "per_chain"
        }
    }
    public struct Profile: Codable, Sendable, Equatable {
        public var id: String
        public var hash: String
        public init(id: String, hash: String) {
            self.id = id
            self.hash = hash
        }
    }
    public struct InputFile: Codable, Sendable, Equatable {
        public var role: String
        public var file: String
        public var sha256: String
        public var bytes: Int
    }
    /// One chain input of the case: a file (`sha256` of its bytes, or of its decompressed text when `sha256_of`
    /// is `decompressed`), a node (`chain`, the heights read and the hash at the top), or an Esplora server (the
    /// blocks fetched from).
    public struct ChainInputEntry: Codable, Sendable, Equatable {
        public var kind: String
        /// Files: the folder and file name (`blocks/blk00000.dat`); servers: the URL.
        public var name: String
        public var sha256: String?
        public var sha256Of: String?
        public var bytes: Int?
        public var chain: String?
        public var firstHeight: Int?
        public var tipHeight: Int?
        public var tipHash: String?
        public var blocks: [String]?
        public init(kind: String, name: String) { self.kind = kind; self.name = name }
        enum CodingKeys: String, CodingKey {
            case kind, name, sha256, sha256Of = "sha256_of", bytes, chain, firstHeight = "first_height"
            case tipHeight = "tip_height", tipHash = "tip_hash", blocks
        }
    }
    public struct Chain: Codable, Sendable, Equatable {
        public var network: String?
        public var tipHeight: Int?
        public var tipHash: String?
        enum CodingKeys: String, CodingKey { case network, tipHeight = "tip_height", tipHash = "tip_hash" }
    }
    public struct DatabaseCounts: Codable, Sendable, Equatable {
        public var blocks: Int
        public var transactions: Int
        public var inputs: Int
        public var outputs: Int
        public var addresses: Int
        public var unresolvedInputs: Int
        enum CodingKeys: String, CodingKey {
            case blocks, transactions, inputs, outputs, addresses, unresolvedInputs = "unresolved_inputs"
        }
    }
    public struct Parameters: Codable, Sendable, Equatable {
        public var windowBeforeMinutes: Int
        public var windowAfterMinutes: Int
        public var tolerancePercent: Double
        public var tracePolicy: String
        public var traceDirection: String
        public var traceHops: Int
        public var siteRules: [String]
        /// Reused receiving addresses that make a cluster a service. Since 1.6.0.
        public var minServiceAddresses: Int?
        /// Outputs that make a transaction a batch payout for the batch-chain service rule; nil: off. Since 1.6.0.
        public var serviceBatchOutputs: Int?
        enum CodingKeys: String, CodingKey {
            case minServiceAddresses = "min_service_addresses", serviceBatchOutputs = "service_batch_outputs"
            case windowBeforeMinutes = "window_before_minutes", windowAfterMinutes = "window_after_minutes"
            case tolerancePercent = "tolerance_percent", tracePolicy = "trace_policy"
            case traceDirection = "trace_direction", traceHops = "trace_hops", siteRules = "site_rules"
        }
    }

    public struct SiteEvidenceEntry: Codable, Sendable, Equatable {
        public var rule: String
        public var txid: String?
        public var address: String
        public var clusters: [Int]
        public var addressesAdded: Int
        public var explanation: String
        enum CodingKeys: String, CodingKey {
            case rule, txid, address, clusters, addressesAdded = "addresses_added", explanation
        }
    }
    /// The clustering's stored merge that put an address in its cluster (`spoor explain` gives full chains).
    public struct MembershipEvidence: Codable, Sendable, Equatable {
        public var address: String
        public var linkedTo: String
        public var txid: String
        public var heuristics: [String]
        enum CodingKeys: String, CodingKey { case address, linkedTo = "linked_to", txid, heuristics }
    }
    public struct SiteClusterSection: Codable, Sendable, Equatable {
        public var clusterID: Int
        public var size: Int
        public var clusters: [Int]
        public var watchlist: [String]
        public var watchlistNotFound: [String]
        public var addresses: [String]
        public var addedByClustering: [String]
        public var clusteringEvidence: [MembershipEvidence]
        public var evidence: [SiteEvidenceEntry]
        public var paymentsReceived: Int
        public var totalReceivedSat: Int64
        public var labels: [String]
        enum CodingKeys: String, CodingKey {
            case clusterID = "cluster_id", size, clusters, watchlist, watchlistNotFound = "watchlist_not_found"
            case addresses, addedByClustering = "added_by_clustering", clusteringEvidence = "clustering_evidence", evidence
            case paymentsReceived = "payments_received", totalReceivedSat = "total_received_sat", labels
        }
    }

    public struct PaymentRef: Codable, Sendable, Equatable {
        public var txid: String
        public var vout: Int
        public var valueSat: Int64
        public var outputValueSat: Int64
        public var blockTime: Int64
        public var blockTimeISO: String
        public var height: Int
        public var address: String
        enum CodingKeys: String, CodingKey {
            case txid, vout, valueSat = "value_sat", outputValueSat = "output_value_sat", blockTime = "block_time"
            case blockTimeISO = "block_time_iso", height, address
        }
    }
    public struct FundingSource: Codable, Sendable, Equatable {
        public var kind: String
        public var clusterID: Int?
        public var amountSat: Int64
        public var minHops: Int
        public var labels: [String]
        /// `service` or `wallet`: what the funding cluster behaves like (nil for endpoints without a cluster).
        public var clusterKind: String?
        enum CodingKeys: String, CodingKey {
            case kind, clusterID = "cluster_id", amountSat = "amount_sat", minHops = "min_hops", labels
            case clusterKind = "cluster_kind"
        }
    }
    public struct PayerCluster: Codable, Sendable, Equatable {
        public var clusterID: Int
        public var size: Int
        public var addresses: [String]
        public var addressesTruncated: Bool
        public var payments: [PaymentRef]
        public var totalPaidSat: Int64
        public var firstPayment: String
        public var lastPayment: String
        public var ads: [String]
        public var contacts: [String]
        public var labels: [String]
        public var fundingSources: [FundingSource]
        public var notes: [String]
        /// `service` (behaves like an exchange: pays on its customers' behalf) or `wallet`. Since 1.5.0.
        public var kind: String?
        /// A service's withdrawals to the site, with the ads each paid: what to ask the service. Since 1.6.0.
        public var serviceLeads: [ServiceLead]?
        enum CodingKeys: String, CodingKey {
            case kind, serviceLeads = "service_leads"
            case clusterID = "cluster_id", size, addresses, addressesTruncated = "addresses_truncated", payments
            case totalPaidSat = "total_paid_sat", firstPayment = "first_payment", lastPayment = "last_payment"
            case ads, contacts, labels, fundingSources = "funding_sources", notes
        }
    }

    /// One withdrawal by a service payer: the service knows which customer asked for it.
    public struct ServiceLead: Codable, Sendable, Equatable {
        public var txid: String
        public var vout: Int
        public var valueSat: Int64
        public var ads: [String]
        enum CodingKeys: String, CodingKey { case txid, vout, valueSat = "value_sat", ads }
    }

    public struct Candidate: Codable, Sendable, Equatable {
        public var txid: String
        public var vout: Int
        public var payerCluster: Int
        public var valueSat: Int64
        enum CodingKeys: String, CodingKey { case txid, vout, payerCluster = "payer_cluster", valueSat = "value_sat" }
    }
    public struct AdEntry: Codable, Sendable, Equatable {
        public var adID: String
        public var postedAt: Int64
        public var postedAtISO: String
        public var priceBTC: String?
        public var priceUSD: String?
        public var expectedSat: Int64?
        public var contact: String
        public var status: String
        public var payment: PaymentRef?
        public var payerCluster: Int?
        public var confidence: Double
        public var basis: String
        public var reason: String
        public var candidates: [Candidate]
        public var interchangeableWith: [String]
        /// Other ads paid by the same payment (basis `covers-several`); empty otherwise. Since 1.2.0.
        public var coveredWith: [String]
        enum CodingKeys: String, CodingKey {
            case adID = "ad_id", postedAt = "posted_at", postedAtISO = "posted_at_iso", priceBTC = "price_btc"
            case priceUSD = "price_usd", expectedSat = "expected_sat", contact, status, payment
            case payerCluster = "payer_cluster", confidence, basis, reason, candidates
            case interchangeableWith = "interchangeable_with", coveredWith = "covered_with"
        }
    }

    /// A contact listed by the matched ads of several payer clusters (`SharedContacts` in Tracing says how
    /// the kind is decided). `kind`, `main_contact_of`, `borrowers` and `explanation` since 1.3.0.
    public struct SharedContact: Codable, Sendable, Equatable {
        public var contact: String
        public var payerClusters: [Int]
        public var ads: [String]
        /// `between-advertisers` or `plausibly-one-advertiser`.
        public var kind: String
        public var mainContactOf: [Int]
        public var borrowers: [Borrower]
        public var explanation: String
        enum CodingKeys: String, CodingKey {
            case contact, payerClusters = "payer_clusters", ads, kind, mainContactOf = "main_contact_of", borrowers, explanation
        }
    }
    public struct Borrower: Codable, Sendable, Equatable {
        public var clusterID: Int
        public var mainContacts: [String]
        public var adsWithContact: Int
        public var ads: Int
        enum CodingKeys: String, CodingKey {
            case clusterID = "cluster_id", mainContacts = "main_contacts", adsWithContact = "ads_with_contact", ads
        }
    }
    public struct MultiContactPayer: Codable, Sendable, Equatable {
        public var clusterID: Int
        public var contacts: [String]
        public var ads: [String]
        enum CodingKeys: String, CodingKey { case clusterID = "cluster_id", contacts, ads }
    }

    public struct TraceSection: Codable, Sendable, Equatable {
        public var policy: String
        public var direction: String
        public var hops: Int
        public var startSat: Int64
        public var endpointsSat: Int64
        public var conserved: Bool
        public var transactionsVisited: Int
        public var endpoints: [FundingSource]
        enum CodingKeys: String, CodingKey {
            case policy, direction, hops, startSat = "start_sat", endpointsSat = "endpoints_sat", conserved
            case transactionsVisited = "transactions_visited", endpoints
        }
    }
}
