/// What a reader needs first, derived from a finished `Report`: how many advertisers paid the site and how
/// much, how the ads fared, and where to ask next. Pure (a report in, figures out) and not part of
/// report.json: every figure here is a count or a selection of fields the report already holds, so the JSON
/// stays the one record and the HTML's summary can never disagree with it.
public struct ReportFindings: Sendable, Equatable {
    /// Payer clusters with at least one matched ad, and all payer clusters (some pay without a matching ad).
    public var advertisers: Int
    public var payerClusters: Int
    public var payments: Int
    public var paidSat: Int64
    /// First and last payment into the site (ISO 8601), nil without payments.
    public var firstPayment: String?
    public var lastPayment: String?
    public var ads: Int
    public var matched: Int
    public var ambiguous: [AdNote]
    public var unmatched: [AdNote]
    /// Clusters funding two or more payer clusters: the first place to ask who controls those payers.
    public var sharedFunders: [Funder]
    /// The payer clusters with the most matched ads (then the most paid).
    public var topPayers: [PayerLead]
    /// Payer clusters that behave like a service (an exchange paying on its customers' behalf).
    public var servicePayers: [PayerLead]

    public struct AdNote: Sendable, Equatable {
        public var adID: String
        public var reason: String
    }

    public struct Funder: Sendable, Equatable {
        public var clusterID: Int
        public var labels: [String]
        /// `service` or `wallet`, as the report's funding source says (nil when it does not say).
        public var kind: String?
        public var payerClusters: [Int]
        public var amountSat: Int64
    }

    public struct PayerLead: Sendable, Equatable {
        public var clusterID: Int
        public var labels: [String]
        public var ads: Int
        public var contacts: [String]
        public var paidSat: Int64
        /// The payer's first payment into the site (`txid:vout`): the transaction to quote when asking.
        public var firstPayment: String?
    }

    public init(report: Report, leads: Int = 3) {
        let payers = report.payerClusters
        advertisers = payers.filter { !$0.ads.isEmpty }.count
        payerClusters = payers.count
        let allPayments = payers.flatMap(\.payments).sorted { ($0.blockTime, $0.txid, $0.vout) < ($1.blockTime, $1.txid, $1.vout) }
        payments = allPayments.count
        paidSat = payers.reduce(0) { $0 + $1.totalPaidSat }
        firstPayment = allPayments.first?.blockTimeISO
        lastPayment = allPayments.last?.blockTimeISO
        ads = report.ads.count
        matched = report.ads.filter { $0.status == "matched" }.count
        ambiguous = report.ads.filter { $0.status == "ambiguous" }.map { AdNote(adID: $0.adID, reason: $0.reason) }
        unmatched = report.ads.filter { $0.status == "unmatched" }.map { AdNote(adID: $0.adID, reason: $0.reason) }
        sharedFunders = Self.funders(of: payers).filter { $0.payerClusters.count >= 2 }
        let byWeight = payers.filter { !$0.ads.isEmpty }
            .sorted { ($0.ads.count, $0.totalPaidSat, -$0.clusterID) > ($1.ads.count, $1.totalPaidSat, -$1.clusterID) }
        topPayers = byWeight.prefix(leads).map(Self.lead)
        servicePayers = payers.filter { $0.kind == "service" }.map(Self.lead)
    }

    static func lead(_ p: Report.PayerCluster) -> PayerLead {
        let first = p.payments.min { ($0.blockTime, $0.txid, $0.vout) < ($1.blockTime, $1.txid, $1.vout) }
        return PayerLead(clusterID: p.clusterID, labels: p.labels, ads: p.ads.count, contacts: p.contacts,
                         paidSat: p.totalPaidSat, firstPayment: first.map { "\($0.txid):\($0.vout)" })
    }

    /// Every funding cluster with the payer clusters it funded, most payers first.
    static func funders(of payers: [Report.PayerCluster]) -> [Funder] {
        var byCluster: [Int: Funder] = [:]
        for p in payers {
            for s in p.fundingSources where s.kind != "fee" {
                guard let c = s.clusterID, c != p.clusterID else { continue }
                var f = byCluster[c] ?? Funder(clusterID: c, labels: s.labels, kind: s.clusterKind, payerClusters: [], amountSat: 0)
                if !f.payerClusters.contains(p.clusterID) { f.payerClusters.append(p.clusterID) }
                f.amountSat += s.amountSat
                byCluster[c] = f
            }
        }
        return byCluster.values
            .map { var f = $0; f.payerClusters.sort(); return f }
            .sorted { ($0.payerClusters.count, $0.amountSat, -$0.clusterID) > ($1.payerClusters.count, $1.amountSat, -$1.clusterID) }
    }
}
