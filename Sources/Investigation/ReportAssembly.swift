import BitcoinPrimitives
import CaseStore
import ChainIndex
import ChainSources
import Clustering
import Foundation
import Tracing

/// Turns the case files and the store's facts into the report: ad matching, the payers' funding traces, the
/// requested trace, and every section's names and explanations. Pure: no files, no database.
struct ReportAssembly {
    let files: CaseFileContents
    let facts: CaseFacts
    let options: AnalysisOptions
    let labels: ClusterLabelIndex
    let traces: CaseTraces

    init(files: CaseFileContents, facts: CaseFacts, options: AnalysisOptions) {
        self.files = files; self.facts = facts; self.options = options
        let chain = facts.chain
        labels = ClusterLabelIndex(tags: facts.tags, clusters: chain.clusters)
        traces = CaseTraces(graph: chain.graph, clusters: chain.clusters, tagged: facts.taggedAddresses, site: chain.site,
                            payments: chain.payments, options: options)
    }

    var graph: ChainIndex { facts.chain.graph }
    var payments: [SitePayment] { facts.chain.payments }
    func name(_ a: Int) -> String { facts.names[a] ?? "#\(a)" }

    func report() -> Report {
        let chain = facts.chain
        let matches = AdMatching.match(ads: files.ads, payments: payments, rates: files.rates, parameters: options.matching,
                                       paymentNames: payments.map { "\(graph.txids[$0.tx].digest.displayHex):\($0.vout)" })
        let resolved = ClusterLabels.resolve(
            tags: facts.tags, clusterOf: { chain.clusters.cluster(of: $0) })
        let ads = adSection(matches)
        let manifest = self.manifest()
        return Report(schemaVersion: Report.schemaVersion, manifest: manifest, siteCluster: siteSection(),
                      payerClusters: payerClusters(ads), ads: ads.entries, sharedContacts: sharedContacts(ads),
                      multiContactPayers: multiContactPayers(ads), traces: requestedTraces(), tagConflicts: resolved.conflicts,
                      caveats: caveats(profileID: manifest.profile.id, stoppedAtLoadLimit: traces.stoppedAtLoadLimit))
    }

    func paymentRef(_ p: SitePayment) -> Report.PaymentRef {
        Report.PaymentRef(txid: graph.txids[p.tx].digest.displayHex, vout: p.vout, valueSat: p.value,
                          outputValueSat: p.outputValue, blockTime: p.time, blockTimeISO: CaseInputs.isoTime(p.time),
                          height: Int(p.height), address: name(p.address))
    }

    // MARK: The site

    func siteSection() -> Report.SiteClusterSection {
        let site = facts.chain.site
        let watchIDs = Set(facts.seeds)
        let viaClustering = site.members.filter { !watchIDs.contains($0) }
        return Report.SiteClusterSection(
            clusterID: site.id, size: site.members.count, clusters: site.clusters,
            watchlist: files.watchlist.map(\.address).sorted(), watchlistNotFound: facts.watchlistNotFound,
            addresses: site.members.map(name).sorted(), addedByClustering: viaClustering.map(name).sorted(),
            clusteringEvidence: facts.membership.values.map {
                Report.MembershipEvidence(address: name($0.address), linkedTo: name($0.linkedTo),
                                          txid: $0.txid.digest.displayHex,
                                          heuristics: HeuristicRegistry.ids(inMask: $0.heuristics).map(\.rawValue))
            }.sorted { $0.address < $1.address },
            evidence: site.evidence.map(siteEvidence),
            paymentsReceived: payments.count, totalReceivedSat: payments.reduce(0) { $0 + $1.value },
            labels: Array(Set(site.clusters.flatMap(labels.of(cluster:)))).sorted())
    }

    func siteEvidence(_ e: SiteEvidence) -> Report.SiteEvidenceEntry {
        let txid = e.tx.map { graph.txids[$0].digest.displayHex }
        let explanation: String
        switch e.rule {
        case .watchlist: explanation = "listed in the watchlist"
        case .consolidation: explanation = "spent together with site coins in a one-output consolidation (one owner moving its coins); none of these inputs belongs to a cluster that pays the site"
        case .cospend: explanation = "spent together with site coins in a transaction that pays no site address (the site paying someone else); none of these inputs belongs to a cluster that pays the site"
        case .coldSweep: explanation = "consolidation with one output into the site's cold address \(name(e.address)); every payment into that address is such a sweep or change back to it"
        case .payjoinReceiver: explanation = "probable PayJoin receiver input: the only input of the paid address's script type, smaller than the site's output (address added alone, not its cluster)"
        }
        return Report.SiteEvidenceEntry(rule: e.rule.rawValue, txid: txid, address: name(e.address),
                                        clusters: e.clusters, addressesAdded: e.addressesAdded, explanation: explanation)
    }

    // MARK: Ads and contacts

    /// The ad entries, and what the matched ones say about each payer cluster and contact.
    struct AdSection {
        var entries: [Report.AdEntry] = []
        var adsOfPayer: [Int: [String]] = [:]
        var contactsOfPayer: [Int: Set<String>] = [:]
        var contactCounts: [Int: [String: Int]] = [:]
        var adsOfContact: [String: [String]] = [:]
        /// Ads matched to each payment, by "txid:vout".
        var adsOfPayment: [String: [String]] = [:]
    }

    func adSection(_ matches: [AdMatch]) -> AdSection {
        var section = AdSection()
        section.entries = matches.map { m -> Report.AdEntry in
            let ad = files.ads[m.ad]
            var priceBTC: String?, priceUSD: String?
            switch ad.price {
            case .btc(let a): priceBTC = a.btcString
            case .usdCents(let c): priceUSD = "\(c / 100).\(c % 100 < 10 ? "0" : "")\(c % 100)"
            }
            let payment = m.payment.map { payments[$0] }
            if let payment, m.status == .matched {
                section.adsOfPayer[payment.payerCluster, default: []].append(ad.id)
                section.adsOfPayment["\(graph.txids[payment.tx].digest.displayHex):\(payment.vout)", default: []].append(ad.id)
                if !ad.contact.isEmpty {
                    section.contactsOfPayer[payment.payerCluster, default: []].insert(ad.contact)
                    section.contactCounts[payment.payerCluster, default: [:]][ad.contact, default: 0] += 1
                    section.adsOfContact[ad.contact, default: []].append(ad.id)
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
                interchangeableWith: m.interchangeableWith.map { files.ads[$0].id }.sorted(by: adOrder),
                coveredWith: m.coveredWith.map { files.ads[$0].id }.sorted(by: adOrder))
        }.sorted { adOrder($0.adID, $1.adID) }
        return section
    }

    func sharedContacts(_ ads: AdSection) -> [Report.SharedContact] {
        // A service pays for its customers: its ads' contacts are evidence about nobody's identity.
        SharedContacts.find(contactCounts: ads.contactCounts.filter { !services.contains($0.key) }).map { f in
            let explanation: String
            switch f.kind {
            case .plausiblyOneAdvertiser:
                explanation = "the main contact (listed in most of their matched ads) of every one of these \(f.clusters.count) payer clusters: nothing in the ads separates them, so they are plausibly one advertiser whose payments fall into several clusters (fresh addresses never spent together); advertisers sharing one phone in all their ads would look the same"
            case .betweenAdvertisers:
                let who = f.borrowers.map { b in
                    "cluster \(b.cluster) lists it in \(b.adsWithContact) of \(b.ads) ads, mostly \(b.mainContacts.joined(separator: " / "))"
                }.joined(separator: "; ")
                let owners = f.mainContactOf.isEmpty ? "no cluster lists it as its main contact"
                    : "it is the main contact of \(f.mainContactOf.count == 1 ? "cluster" : "clusters") \(f.mainContactOf.map(String.init).joined(separator: ", "))"
                explanation = "listed by payer clusters that otherwise use different contacts: \(who); \(owners). An ad listing another advertiser's phone links the two advertisers (or one advertiser uses several phones)"
            }
            return Report.SharedContact(
                contact: f.contact, payerClusters: f.clusters, ads: (ads.adsOfContact[f.contact] ?? []).sorted(by: adOrder),
                kind: f.kind.rawValue, mainContactOf: f.mainContactOf,
                borrowers: f.borrowers.map { Report.Borrower(clusterID: $0.cluster, mainContacts: $0.mainContacts,
                                                             adsWithContact: $0.adsWithContact, ads: $0.ads) },
                explanation: explanation)
        }
    }

    func multiContactPayers(_ ads: AdSection) -> [Report.MultiContactPayer] {
        ads.contactsOfPayer.filter { $0.value.count > 1 && !services.contains($0.key) }.map { c, contacts in
            Report.MultiContactPayer(clusterID: c, contacts: contacts.sorted(), ads: (ads.adsOfPayer[c] ?? []).sorted(by: adOrder))
        }.sorted { $0.clusterID < $1.clusterID }
    }

    // MARK: Payers and traces

    /// Payer clusters with their funding sources (traced two hops back).
    func payerClusters(_ ads: AdSection) -> [Report.PayerCluster] {
        let siteMemberClusters = Set(facts.chain.site.members.map { facts.chain.clusters.cluster(of: $0) })
        var payers: [Report.PayerCluster] = []
        let byPayer = Dictionary(grouping: payments, by: \.payerCluster)
        for c in byPayer.keys.sorted() where c >= 0 {
            let ps = byPayer[c] ?? []
            let summary = facts.payerSummaries[c] ?? (1, [c])
            var notes: [String] = []
            if siteMemberClusters.contains(c) {
                notes.append("this cluster also holds a site address: common-input clustering merged them through a transaction that is probably a PayJoin; treat the payer and the site as separate owners")
            }
            if ps.contains(where: { $0.inputClusters.count > 1 }) {
                notes.append("some payments mix inputs of several clusters (CoinJoin or PayJoin); the payer is the cluster that put in the most value")
            }
            let isService = services.contains(c)
            if isService {
                notes.append("this cluster behaves like a service (an exchange or custodial wallet: at least \(options.minServiceAddresses) of its addresses are each paid by two or more outsiders, as customers pay their deposit addresses): its payments are withdrawals on customers' behalf, so each advertiser it paid for is one of its customers, not the cluster's owner; ask the service which customer requested each withdrawal in service_leads. Its payments for different contacts say nothing about those contacts being one advertiser")
            }
            payers.append(Report.PayerCluster(
                clusterID: c, size: summary.size, addresses: summary.first.prefix(options.addressLimit).map(name).sorted(),
                addressesTruncated: summary.size > options.addressLimit, payments: ps.map(paymentRef),
                totalPaidSat: ps.reduce(0) { $0 + $1.value },
                firstPayment: CaseInputs.isoTime(ps.map(\.time).min() ?? 0),
                lastPayment: CaseInputs.isoTime(ps.map(\.time).max() ?? 0),
                ads: (ads.adsOfPayer[c] ?? []).sorted(by: adOrder), contacts: (ads.contactsOfPayer[c] ?? []).sorted(),
                labels: labels.of(cluster: c), fundingSources: traces.funding[c].map { sources($0, exclude: c) } ?? [],
                notes: notes, kind: clusterKind(c) ?? "wallet", serviceLeads: isService ? serviceLeads(ps, ads) : nil))
        }
        return payers
    }

    /// A service payer's withdrawals: each payment with the ads matched to it, the question to put to the service.
    func serviceLeads(_ ps: [SitePayment], _ ads: AdSection) -> [Report.ServiceLead] {
        ps.map { p in
            let ref = paymentRef(p)
            return Report.ServiceLead(txid: ref.txid, vout: ref.vout, valueSat: ref.valueSat,
                                      ads: (ads.adsOfPayment["\(ref.txid):\(ref.vout)"] ?? []).sorted(by: adOrder))
        }
    }

    /// The trace the parameters ask for, from the site's received payments.
    func requestedTraces() -> [Report.TraceSection] {
        traces.requested.map { r in
            Report.TraceSection(
                policy: r.policy.rawValue, direction: r.direction.rawValue, hops: r.hops, startSat: r.startAmount,
                endpointsSat: r.endpointTotal, conserved: r.endpointTotal == r.startAmount,
                transactionsVisited: r.transactionsVisited, endpoints: sources(r, exclude: nil))
        }
    }

    func sources(_ r: FlowResult, exclude: Int?) -> [Report.FundingSource] {
        r.endpoints.keys.sorted().compactMap { e in
            if let exclude, e.cluster == exclude && e.kind == .hopLimit { return nil }
            return Report.FundingSource(kind: e.kind.rawValue, clusterID: e.cluster >= 0 ? e.cluster : nil,
                                        amountSat: r.endpoints[e] ?? 0, minHops: r.minimumHops[e] ?? 0,
                                        labels: e.cluster >= 0 ? labels.of(cluster: e.cluster) : [],
                                        clusterKind: clusterKind(e.cluster))
        }
    }

    /// `service` or `wallet` for a cluster the service test read (payers and their funders), else nil.
    func clusterKind(_ c: Int) -> String? {
        guard facts.chain.serviceTested.contains(c) else { return nil }
        return facts.chain.services.contains(c) ? "service" : "wallet"
    }

    var services: Set<Int> { facts.chain.services }

    // MARK: Manifest and caveats

    func manifest() -> Report.Manifest {
        let persisted = facts.chain.persisted, stats = facts.stats
        let profile = Report.Profile(id: persisted.profileID ?? (persisted.clustered ? "unknown" : "none"),
                                     hash: persisted.profileHash ?? "")
        var rules: [String] = []
        if options.siteRules.coldSweep { rules.append(SiteEvidence.Rule.coldSweep.rawValue) }
        if options.siteRules.payjoinReceiver { rules.append(SiteEvidence.Rule.payjoinReceiver.rawValue) }
        return Report.Manifest(
            tool: "spoor", toolVersion: SpoorVersion.current, profile: profile, inputs: files.inputs,
            chainInputs: facts.chainInputs.map(Self.entry).sorted { ($0.kind, $0.name, $0.sha256 ?? "", $0.tipHeight ?? 0) < ($1.kind, $1.name, $1.sha256 ?? "", $1.tipHeight ?? 0) },
            chain: Report.Chain(network: stats.network, tipHeight: stats.bestHeight, tipHash: stats.tip?.digest.displayHex),
            database: Report.DatabaseCounts(blocks: stats.blocks, transactions: stats.transactions, inputs: stats.inputs,
                                            outputs: stats.outputs, addresses: stats.addresses,
                                            unresolvedInputs: stats.unresolvedInputs),
            parameters: Report.Parameters(
                windowBeforeMinutes: options.matching.windowBeforeMinutes, windowAfterMinutes: options.matching.windowAfterMinutes,
                tolerancePercent: options.matching.tolerancePercent, tracePolicy: options.policy.rawValue,
                traceDirection: options.direction.rawValue, traceHops: options.hops, siteRules: rules,
                minServiceAddresses: options.minServiceAddresses,
                serviceBatchOutputs: options.serviceBatchOutputs == Int.max ? nil : options.serviceBatchOutputs),
            errorRates: measuredErrorRates(profile))
    }

    /// A chain input as the manifest names it: a file by its folder and name (the full path would tie the report
    /// to one machine), a server by its URL.
    static func entry(_ input: ChainInput) -> Report.ChainInputEntry {
        var name = input.location
        if input.kind == .file {
            let url = URL(fileURLWithPath: input.location)
            name = url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
        }
        var e = Report.ChainInputEntry(kind: input.kind.rawValue, name: name)
        e.sha256 = input.sha256
        e.sha256Of = input.kind == .file ? (input.decompressed ? "decompressed" : "file") : nil
        e.bytes = input.bytes
        e.chain = input.chain
        e.firstHeight = input.firstHeight
        e.tipHeight = input.tipHeight
        e.tipHash = input.tipHash?.digest.displayHex
        e.blocks = input.kind == .esplora ? input.blockHashes.map(\.digest.displayHex) : nil
        return e
    }

    /// The measured figures of the profile the stored clustering used: same id and same file hash (a profile
    /// edited since it was measured has no known error rates).
    func measuredErrorRates(_ profile: Report.Profile) -> Report.ErrorRates? {
        options.errorRates.first { $0.profile == profile }
    }

    func caveats(profileID: String, stoppedAtLoadLimit: Int64) -> [String] {
        let persisted = facts.chain.persisted
        var caveats = ReportInfo.caveats
        if !persisted.clustered {
            caveats.insert("No clustering has been run on this database: every address is its own cluster, so the site and payer clusters are single addresses. Run `spoor cluster` first.", at: 0)
        }
        if persisted.linkedByDeposits {
            caveats.append("The clustering (profile \(profileID)) also joined clusters that paid one exchange deposit address (`link.deposit-address`): a customer reuses the deposit address the exchange gave them, so its payers are taken as one customer. A payment to someone else's deposit address (a gift, a trade) would join two people; `spoor explain` names the deposit address and both payments of each such link.")
        }
        if !facts.watchlistNotFound.isEmpty {
            caveats.append("\(facts.watchlistNotFound.count) watchlist address(es) do not appear in the database.")
        }
        if let rates = measuredErrorRates(Report.Profile(id: profileID, hash: persisted.profileHash ?? "")) {
            caveats.append("The error rates in `manifest.error_rates` were measured with this profile on \(rates.corpus.chains.count) chains made by real Bitcoin Core wallets driven by a simulator (\(rates.corpus.chains.joined(separator: ", ")); corpus SHA-256 \(rates.corpus.sha256)), each scored against its ground truth. They were never validated on mainnet, whose wallets, exchanges and users behave in ways the simulator does not (other wallet software, coin control, custodial services of other designs), so they are the rates on that corpus, not a bound on this case.")
        } else if persisted.clustered {
            caveats.append("The clustering's profile (\(profileID), hash \(persisted.profileHash ?? "none")) is not one whose error rates were measured (Heuristics/error-rates.json): this report's error rates are unknown.")
        }
        if !services.isEmpty {
            caveats.append("Payer and funding clusters marked `service` behave like an exchange or custodial wallet (at least \(options.minServiceAddresses) of their addresses each paid by two or more outsiders). A service's payment is a withdrawal on a customer's behalf: the advertiser is one of its customers, whom only the service can name (`service_leads`); a service's payments for different contacts are not evidence that they are one advertiser, and no shared-contact or multi-contact entry rests on one. The test reads at most \(ServiceClusters.memberLimit) addresses per cluster; a service whose first addresses are not deposit addresses, or one whose customers never reuse them, reads as `wallet`.")
        }
        if stoppedAtLoadLimit > 0 {
            caveats.append("Tracing was cut short: following the funds further would have read more than \(options.coneTransactionLimit) transactions (--max-trace-transactions; many hops, or a hop into a very large cluster such as an exchange). \(stoppedAtLoadLimit) sat, summed over the payers' funding traces and the requested trace, stopped there and are counted as hop-limit endpoints of the cluster they had reached.")
        }
        return caveats
    }
}

/// Labels per cluster: definer tags label the whole cluster; other tags only their address (and so, through
/// it, the address's cluster).
struct ClusterLabelIndex {
    private var clusterLabels: [Int: Set<String>] = [:]
    private var memberLabels: [Int: Set<String>] = [:]

    init(tags: [StoredTag], clusters: ClusterAssignment) {
        for t in tags {
            guard let id = t.addressID else { continue }
            memberLabels[clusters.cluster(of: id), default: []].insert(t.label)
            if t.isClusterDefiner { clusterLabels[clusters.cluster(of: id), default: []].insert(t.label) }
        }
    }

    func of(cluster c: Int) -> [String] { (clusterLabels[c] ?? []).union(memberLabels[c] ?? []).sorted() }
}
