import BitcoinPrimitives
import CaseStore
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

    public init(matching: AdMatchingParameters = AdMatchingParameters(), siteRules: SiteExpansionRules = SiteExpansionRules(),
                policy: FlowPolicy = .haircut, direction: TraceDirection = .back, hops: Int = 2, addressLimit: Int = 50,
                loadWholeChain: Bool = false, coneTransactionLimit: Int = 250_000) {
        self.matching = matching; self.siteRules = siteRules; self.policy = policy; self.direction = direction
        self.hops = hops; self.addressLimit = addressLimit
        self.loadWholeChain = loadWholeChain; self.coneTransactionLimit = coneTransactionLimit
    }
}

public struct CaseFiles: Sendable {
    public var watchlist: URL
    public var ads: URL?
    public var rates: URL?
    public init(watchlist: URL, ads: URL? = nil, rates: URL? = nil) {
        self.watchlist = watchlist; self.ads = ads; self.rates = rates
    }
}

/// The analysis results before they are written: the report plus what the pictures need.
public struct CaseAnalysis: Sendable {
    public var report: Report
    /// Transactions held in memory for the analysis (the whole chain with `loadWholeChain`).
    public var transactionsLoaded: Int = 0

    /// Loads the database and the case files, and runs site expansion, payment search, ad matching and
    /// tracing. Deterministic for the same database and files.
    public static func run(database: CaseDatabase, files: CaseFiles, options: AnalysisOptions = AnalysisOptions(),
                           graph preloaded: ChainGraph? = nil) throws -> CaseAnalysis {
        func read(_ url: URL, role: String) throws -> (Data, Report.InputFile) {
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw InputError(file: url.path, "cannot read the \(role) file: \(error.localizedDescription)")
            }
            let digest = Hashing.sha256([UInt8](data))
            return (data, Report.InputFile(role: role, file: url.lastPathComponent, sha256: Hex.encode(digest.bytes),
                                           bytes: data.count))
        }
        var inputs: [Report.InputFile] = []
        let (_, wlFile) = try read(files.watchlist, role: "watchlist")
        inputs.append(wlFile)
        let watch = try TagParser.parse(fileURL: files.watchlist).tags
        guard !watch.isEmpty else { throw InputError(file: files.watchlist.path, "the watchlist lists no address") }
        var ads: [Ad] = []
        if let url = files.ads {
            let (data, f) = try read(url, role: "ads")
            inputs.append(f)
            guard let text = String(data: data, encoding: .utf8) else { throw InputError(file: url.path, "not UTF-8 text") }
            ads = try CaseInputs.parseAds(text: text, file: url.path)
        }
        var rates = RateTable()
        if let url = files.rates {
            let (data, f) = try read(url, role: "rates")
            inputs.append(f)
            guard let text = String(data: data, encoding: .utf8) else { throw InputError(file: url.path, "not UTF-8 text") }
            rates = try CaseInputs.parseRates(text: text, file: url.path)
        }
        if ads.contains(where: { if case .usdCents = $0.price { return true } else { return false } }) && files.rates == nil {
            throw InputError(file: files.ads?.path ?? "ads", "some ads are priced in USD: pass --rates with USD per BTC by day")
        }

        let storedTags = try TagStore.all(in: database)
        let stats = try StoreQueries.stats(database)
        let ids = try TraceGraphLoader.addressIDs(watch.map(\.address), in: database)
        let seeds = watch.compactMap { ids[$0.address] }
        let notFound = watch.map(\.address).filter { ids[$0] == nil }.sorted()
        let taggedIDs = storedTags.compactMap(\.addressID)

        let loaded = try (preloaded != nil || options.loadWholeChain)
            ? wholeChain(database, preloaded: preloaded, seeds: seeds, options: options)
            : subgraph(database, seeds: seeds, tagged: taggedIDs, options: options)
        let (graph, clusters, persisted, site, payments) = (loaded.graph, loaded.clusters, loaded.persisted, loaded.site, loaded.payments)
        let matches = AdMatching.match(ads: ads, payments: payments, rates: rates, parameters: options.matching,
                                       paymentNames: payments.map { "\(graph.txids[$0.tx].digest.displayHex):\($0.vout)" })

        // Labels per cluster: definer tags label the whole cluster; other tags only their address (and so,
        // through it, the address's cluster).
        var clusterLabels: [Int: Set<String>] = [:]
        var memberLabels: [Int: Set<String>] = [:]
        for t in storedTags {
            guard let id = t.addressID else { continue }
            memberLabels[clusters.cluster(of: id), default: []].insert(t.label)
            if t.isClusterDefiner { clusterLabels[clusters.cluster(of: id), default: []].insert(t.label) }
        }
        let resolved = ClusterLabels.resolve(
            tags: storedTags.map { (Tag(address: $0.address, label: $0.label, isClusterDefiner: $0.isClusterDefiner,
                                        origin: $0.origin), $0.addressID) },
            clusterOf: { clusters.cluster(of: $0) })
        let stopClusters = Self.stopClusters(tagged: taggedIDs, clusters: clusters, site: site)
        func labels(ofCluster c: Int) -> [String] {
            (clusterLabels[c] ?? []).union(memberLabels[c] ?? []).sorted()
        }
        var payerIDs = Set(payments.map(\.payerCluster))
        payerIDs.remove(-1)
        let payerSummaries = try TraceClusterLoader.summaries(of: Array(payerIDs), limit: options.addressLimit, in: database)
        let siteMemberClusters = Set(site.members.map { clusters.cluster(of: $0) })

        // Address strings needed by the report, fetched once.
        var needed = Set(site.members)
        for c in payerIDs { needed.formUnion(payerSummaries[c]?.first ?? []) }
        for p in payments { needed.insert(p.address) }
        for e in site.evidence { needed.insert(e.address) }
        // The clustering's evidence for every site address that came in through a cluster.
        let watchSet = Set(seeds)
        let viaClusters = site.members.filter { !watchSet.contains($0) && !site.extraAddresses.contains($0) }
        let membership = try TraceEvidenceLoader.membership(of: viaClusters, in: database)
        for m in membership.values { needed.insert(m.linkedTo) }
        let names = try TraceGraphLoader.addressStrings(Array(needed), in: database)
        func name(_ a: Int) -> String { names[a] ?? "#\(a)" }

        func paymentRef(_ p: SitePayment) -> Report.PaymentRef {
            Report.PaymentRef(txid: graph.txids[p.tx].digest.displayHex, vout: p.vout, valueSat: p.value,
                              outputValueSat: p.outputValue, blockTime: p.time, blockTimeISO: CaseInputs.isoTime(p.time),
                              height: Int(p.height), address: name(p.address))
        }

        // Site section.
        let watchIDs = Set(seeds)
        let viaClustering = site.members.filter { !watchIDs.contains($0) }
        let siteEvidence = site.evidence.map { e -> Report.SiteEvidenceEntry in
            let txid = e.tx.map { graph.txids[$0].digest.displayHex }
            let explanation: String
            switch e.rule {
            case .watchlist: explanation = "listed in the watchlist"
            case .clustering: explanation = "the watchlist address's cluster (profile \(persisted.profileID ?? "none")); `spoor explain` shows each merge"
            case .coldSweep: explanation = "consolidation with one output into the site's cold address \(name(e.address)); every payment into that address is such a sweep or change back to it"
            case .payjoinReceiver: explanation = "probable PayJoin receiver input: the only input of the paid address's script type, smaller than the site's output (address added alone, not its cluster)"
            }
            return Report.SiteEvidenceEntry(rule: e.rule.rawValue, txid: txid, address: name(e.address),
                                            clusters: e.clusters, addressesAdded: e.addressesAdded, explanation: explanation)
        }
        let siteSection = Report.SiteClusterSection(
            clusterID: site.id, size: site.members.count, clusters: site.clusters, watchlist: watch.map(\.address).sorted(),
            watchlistNotFound: notFound, addresses: site.members.map(name).sorted(),
            addedByClustering: viaClustering.map(name).sorted(),
            clusteringEvidence: membership.values.map {
                Report.MembershipEvidence(address: name($0.address), linkedTo: name($0.linkedTo),
                                          txid: $0.txid.digest.displayHex, heuristics: $0.heuristics)
            }.sorted { $0.address < $1.address },
            evidence: siteEvidence,
            paymentsReceived: payments.count, totalReceivedSat: payments.reduce(0) { $0 + $1.value },
            labels: Array(Set(site.clusters.flatMap(labels(ofCluster:)))).sorted())

        // Ads.
        var adsOfPayer: [Int: [String]] = [:]
        var contactsOfPayer: [Int: Set<String>] = [:]
        var contactCounts: [Int: [String: Int]] = [:]
        var adsOfContact: [String: [String]] = [:]
        let adEntries = matches.map { m -> Report.AdEntry in
            let ad = ads[m.ad]
            var priceBTC: String?, priceUSD: String?
            switch ad.price {
            case .btc(let a): priceBTC = a.btcString
            case .usdCents(let c): priceUSD = "\(c / 100).\(c % 100 < 10 ? "0" : "")\(c % 100)"
            }
            let payment = m.payment.map { payments[$0] }
            if let payment, m.status == .matched {
                adsOfPayer[payment.payerCluster, default: []].append(ad.id)
                if !ad.contact.isEmpty {
                    contactsOfPayer[payment.payerCluster, default: []].insert(ad.contact)
                    contactCounts[payment.payerCluster, default: [:]][ad.contact, default: 0] += 1
                    adsOfContact[ad.contact, default: []].append(ad.id)
                }
            }
            return Report.AdEntry(
                adID: ad.id, postedAt: ad.postedAt, postedAtISO: CaseInputs.isoTime(ad.postedAt), priceBTC: priceBTC,
                priceUSD: priceUSD, expectedSat: m.expectedSat, contact: ad.contact, status: m.status.rawValue,
                payment: payment.map(paymentRef), payerCluster: payment?.payerCluster,
                confidence: m.confidence, basis: m.basis.rawValue, reason: m.reason,
                candidates: m.candidates.map { q in
                    Report.Candidate(txid: graph.txids[payments[q].tx].digest.displayHex, vout: payments[q].vout,
                                     payerCluster: payments[q].payerCluster, valueSat: payments[q].value)
                },
                interchangeableWith: m.interchangeableWith.map { ads[$0].id }.sorted(by: adOrder),
                coveredWith: m.coveredWith.map { ads[$0].id }.sorted(by: adOrder))
        }.sorted { adOrder($0.adID, $1.adID) }

        // Payer clusters with funding sources.
        let tracer = FlowTracer(graph: graph, clusters: clusters, stopClusters: stopClusters)
        var stoppedAtLoadLimit: Int64 = 0
        var payers: [Report.PayerCluster] = []
        let byPayer = Dictionary(grouping: payments, by: \.payerCluster)
        for c in byPayer.keys.sorted() where c >= 0 {
            let ps = byPayer[c] ?? []
            let summary = payerSummaries[c] ?? (1, [c])
            var start: [Int: Int64] = [:]
            for p in ps { start[p.output, default: 0] += p.value }
            let funding = tracer.trace(from: start, direction: .back, policy: options.policy, hops: 2)
            stoppedAtLoadLimit += funding.stoppedAtLoadLimit
            var notes: [String] = []
            if siteMemberClusters.contains(c) {
                notes.append("this cluster also holds a site address: common-input clustering merged them through a transaction that is probably a PayJoin; treat the payer and the site as separate owners")
            }
            if ps.contains(where: { $0.inputClusters.count > 1 }) {
                notes.append("some payments mix inputs of several clusters (CoinJoin or PayJoin); the payer is the cluster that put in the most value")
            }
            payers.append(Report.PayerCluster(
                clusterID: c, size: summary.size, addresses: summary.first.prefix(options.addressLimit).map(name).sorted(),
                addressesTruncated: summary.size > options.addressLimit, payments: ps.map(paymentRef),
                totalPaidSat: ps.reduce(0) { $0 + $1.value },
                firstPayment: CaseInputs.isoTime(ps.map(\.time).min() ?? 0),
                lastPayment: CaseInputs.isoTime(ps.map(\.time).max() ?? 0),
                ads: (adsOfPayer[c] ?? []).sorted(by: adOrder), contacts: (contactsOfPayer[c] ?? []).sorted(),
                labels: labels(ofCluster: c), fundingSources: sources(funding, exclude: c, labels: labels(ofCluster:)),
                notes: notes))
        }

        let shared = SharedContacts.find(contactCounts: contactCounts).map { f in
            let explanation: String
            switch f.kind {
            case .plausiblyOneAdvertiser:
                explanation = "the main contact (listed in most of their matched ads) of every one of these \(f.clusters.count) payer clusters: nothing in the ads separates them, so they are plausibly one advertiser whose payments fall into several clusters (fresh addresses never spent together); advertisers sharing one phone in all their ads would look the same"
            case .betweenAdvertisers:
                let who = f.borrowers.map { b in
                    "cluster \(b.cluster) lists it in \(b.adsWithContact) of \(b.ads) ads, mostly \(b.mainContacts.joined(separator: " / "))"
                }.joined(separator: "; ")
                let owners = f.mainContactOf.isEmpty ? "no cluster lists it as its main contact"
                    : "it is the main contact of cluster(s) \(f.mainContactOf.map(String.init).joined(separator: ", "))"
                explanation = "listed by payer clusters that otherwise use different contacts: \(who); \(owners). An ad listing another advertiser's phone links the two advertisers (or one advertiser uses several phones)"
            }
            return Report.SharedContact(
                contact: f.contact, payerClusters: f.clusters, ads: (adsOfContact[f.contact] ?? []).sorted(by: adOrder),
                kind: f.kind.rawValue, mainContactOf: f.mainContactOf,
                borrowers: f.borrowers.map { Report.Borrower(clusterID: $0.cluster, mainContacts: $0.mainContacts,
                                                             adsWithContact: $0.adsWithContact, ads: $0.ads) },
                explanation: explanation)
        }
        let multi = contactsOfPayer.filter { $0.value.count > 1 }.map { c, contacts in
            Report.MultiContactPayer(clusterID: c, contacts: contacts.sorted(), ads: (adsOfPayer[c] ?? []).sorted(by: adOrder))
        }.sorted { $0.clusterID < $1.clusterID }

        // The trace the parameters ask for, from the site's received payments.
        var traces: [Report.TraceSection] = []
        let directions: [TraceDirection] = options.direction == .both ? [.back, .forward] : [options.direction]
        var start: [Int: Int64] = [:]
        for p in payments { start[p.output, default: 0] += p.value }
        for d in directions {
            let r = tracer.trace(from: start, direction: d, policy: options.policy, hops: options.hops)
            stoppedAtLoadLimit += r.stoppedAtLoadLimit
            traces.append(Report.TraceSection(
                policy: r.policy.rawValue, direction: d.rawValue, hops: r.hops, startSat: r.startAmount,
                endpointsSat: r.endpointTotal, conserved: r.endpointTotal == r.startAmount,
                transactionsVisited: r.transactionsVisited, endpoints: sources(r, exclude: nil, labels: labels(ofCluster:))))
        }

        let profile = Report.Profile(id: persisted.profileID ?? (persisted.clustered ? "unknown" : "none"),
                                     hash: persisted.profileHash ?? "")
        var rules: [String] = []
        if options.siteRules.coldSweep { rules.append(SiteEvidence.Rule.coldSweep.rawValue) }
        if options.siteRules.payjoinReceiver { rules.append(SiteEvidence.Rule.payjoinReceiver.rawValue) }
        let manifest = Report.Manifest(
            tool: "spoor", toolVersion: ReportInfo.toolVersion, profile: profile, inputs: inputs,
            chain: Report.Chain(network: stats.network, tipHeight: stats.bestHeight, tipHash: stats.tip?.digest.displayHex),
            database: Report.DatabaseCounts(blocks: stats.blocks, transactions: stats.transactions, inputs: stats.inputs,
                                            outputs: stats.outputs, addresses: stats.addresses,
                                            unresolvedInputs: stats.unresolvedInputs),
            parameters: Report.Parameters(
                windowBeforeMinutes: options.matching.windowBeforeMinutes, windowAfterMinutes: options.matching.windowAfterMinutes,
                tolerancePercent: options.matching.tolerancePercent, tracePolicy: options.policy.rawValue,
                traceDirection: options.direction.rawValue, traceHops: options.hops, siteRules: rules))

        var caveats = ReportInfo.caveats
        if !persisted.clustered {
            caveats.insert("No clustering has been run on this database: every address is its own cluster, so the site and payer clusters are single addresses. Run `spoor cluster` first.", at: 0)
        }
        if persisted.linkedByDeposits {
            caveats.append("The clustering (profile \(profile.id)) also joined clusters that paid one exchange deposit address (`link.deposit-address`): a customer reuses the deposit address the exchange gave them, so its payers are taken as one customer. A payment to someone else's deposit address (a gift, a trade) would join two people; `spoor explain` names the deposit address and both payments of each such link.")
        }
        if !notFound.isEmpty {
            caveats.append("\(notFound.count) watchlist address(es) do not appear in the database.")
        }
        if stoppedAtLoadLimit > 0 {
            caveats.append("Tracing was cut short: following the funds further would have read more than \(options.coneTransactionLimit) transactions (--max-trace-transactions; many hops, or a hop into a very large cluster such as an exchange). \(stoppedAtLoadLimit) sat, summed over the payers' funding traces and the requested trace, stopped there and are counted as hop-limit endpoints of the cluster they had reached.")
        }
        let report = Report(schemaVersion: Report.schemaVersion, manifest: manifest, siteCluster: siteSection,
                            payerClusters: payers, ads: adEntries, sharedContacts: shared, multiContactPayers: multi,
                            traces: traces, tagConflicts: resolved.conflicts, caveats: caveats)
        return CaseAnalysis(report: report, transactionsLoaded: loaded.graph.txCount)
    }

    struct Loaded {
        var graph: ChainGraph
        var clusters: ClusterAssignment
        var persisted: TraceClusterLoader.Persisted
        var site: SiteCluster
        var payments: [SitePayment]
    }

    /// Tracing stops at tagged clusters (an exchange, a service), never at the site itself.
    static func stopClusters(tagged: [Int], clusters: ClusterAssignment, site: SiteCluster) -> Set<Int> {
        var stops = Set(tagged.map { clusters.cluster(of: $0) })
        for c in site.clusters { stops.remove(c) }
        return stops
    }

    /// The reference: every transaction of the best chain and every cluster assignment in memory.
    static func wholeChain(_ database: CaseDatabase, preloaded: ChainGraph?, seeds: [Int],
                           options: AnalysisOptions) throws -> Loaded {
        let graph = try preloaded ?? TraceGraphLoader.load(database)
        let persisted = try TraceClusterLoader.load(database, addressCapacity: graph.addressCapacity)
        let clusters = ClusterAssignment(clusterOf: persisted.clusterOf)
        let site = SiteExpansion.expand(seeds: seeds, graph: graph, clusters: clusters, rules: options.siteRules)
        let payments = SitePayments.find(site: site, graph: graph, clusters: clusters)
        return Loaded(graph: graph, clusters: clusters, persisted: persisted, site: site, payments: payments)
    }

    /// Only what the analysis reads, loaded in stages through the store's indexes: the watchlist's clusters
    /// and every transaction paying or spending a site address, grown until site expansion runs on complete
    /// data (every site address is loaded whole, every cluster it took has all its members, every cold-store
    /// candidate's receipts are loaded whole or, in chain order, far enough to rule it out); then the
    /// cones the traces follow (`TraceSubgraph.loadCone`), and a last run of site
    /// expansion and payment search on the final graph. The algorithms are the same as on the whole chain and
    /// read the same data, so the report is the same.
    static func subgraph(_ database: CaseDatabase, seeds: [Int], tagged: [Int], options: AnalysisOptions) throws -> Loaded {
        let persisted = try TraceClusterLoader.state(database)
        let sub = try TraceSubgraph(database, coneTransactionLimit: options.coneTransactionLimit)
        try sub.lookUpClusters(seeds + tagged)
        try sub.loadMembers(ofClusters: seeds.compactMap { sub.cluster(of: $0) })
        var conesLoaded = false
        while true {
            let built = try sub.build()
            let site = SiteExpansion.expand(seeds: seeds, graph: built.graph, clusters: built.clusters, rules: options.siteRules)
            let missingClusters = site.clusters.filter { !sub.hasMembers(ofCluster: $0) }
            let missingAddresses = site.members.filter { !sub.isComplete($0) }
            let unjudged = site.coldCandidates.filter { !sub.isJudgedAsColdStore($0) }
            if !missingClusters.isEmpty || !missingAddresses.isEmpty || !unjudged.isEmpty {
                try sub.loadMembers(ofClusters: missingClusters)
                try sub.loadNeighborhoods(of: missingAddresses)
                try sub.loadColdStoreCandidates(unjudged)
                continue
            }
            let payments = SitePayments.find(site: site, graph: built.graph, clusters: built.clusters)
            if !conesLoaded {
                conesLoaded = true
                let stops = stopClusters(tagged: tagged, clusters: built.clusters, site: site)
                let starts = payments.map { built.outputStoreIDs[$0.output] }
                // Payer funding is always traced 2 hops back; the report's trace as the options say.
                let back = options.direction == .forward ? 2 : max(2, options.hops)
                try sub.loadCone(from: starts, direction: .back, hops: back, stopClusters: stops)
                if options.direction != .back {
                    try sub.loadCone(from: starts, direction: .forward, hops: options.hops, stopClusters: stops)
                }
                if sub.hasChanged { continue }
            }
            return Loaded(graph: built.graph, clusters: built.clusters, persisted: persisted, site: site, payments: payments)
        }
    }

    static func sources(_ r: FlowResult, exclude: Int?, labels: (Int) -> [String]) -> [Report.FundingSource] {
        r.endpoints.keys.sorted().compactMap { e in
            if let exclude, e.cluster == exclude && e.kind == .hopLimit { return nil }
            return Report.FundingSource(kind: e.kind.rawValue, clusterID: e.cluster >= 0 ? e.cluster : nil,
                                        amountSat: r.endpoints[e] ?? 0, minHops: r.minimumHops[e] ?? 0,
                                        labels: e.cluster >= 0 ? labels(e.cluster) : [])
        }
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
    /// Set by the command layer to the CLI's version (Reports does not depend on the commands).
    nonisolated(unsafe) public static var toolVersion = "0.1.0"

    public static let caveats: [String] = [
        "Clustering heuristics are probabilistic. Common-input clustering assumes every input of a transaction has one owner; CoinJoins break that assumption (Spoor excludes the ones it detects), and PayJoins (BIP78) break it invisibly: a PayJoin merges the payer's and the receiver's wallets into one cluster.",
        "A payer cluster is a set of addresses that the heuristics tie together; one person may control several payer clusters (fresh addresses, no merging transaction), and a custodial service (an exchange) paying on behalf of customers appears as one cluster for all of them.",
        "Ad matching relies on the site publishing an ad soon after its payment, at the listed price. Payments of the same price inside the same time window cannot be told apart by the chain; such ads are reported as ambiguous, not guessed, except where as many ads as payments compete and posting order decides with a posterior probability of at least 0.95 under a delay density fitted to the case's unique matches (basis `posting-order`; this assumes each of those ads was paid by one of those payments). Outputs of equal value in one transaction are interchangeable: which one paid which ad is a convention (posting order).",
        "USD-priced ads are converted with the day's rate and matched within the stated tolerance; a different rate source or rounding by the site can move a true payment outside it.",
        "Fund tracing follows a stated policy (poison, haircut, FIFO or TIHO). None is a fact about ownership of coins: they are conventions for dividing mixed funds, and different policies give different answers.",
        "Confidence figures are ordinal (unique > forced by exclusion > interchangeable > contact affinity > one payment covering several ads > posting order > fewest contacts per payer), not calibrated probabilities.",
    ]
}
