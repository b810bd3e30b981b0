import BitcoinPrimitives

/// The state of one `AdMatching.match` run, rule by rule. Each step reads what the earlier ones decided.
///
/// Cost: finding candidates is a binary search per ad plus its candidates; each matching round solves one
/// assignment problem (`OptimalAssignments`) and then answers every ad's question from the ad's own
/// candidates. Nothing re-solves a problem per ad, so many ads competing for a few payments (a scrape whose
/// ads share one `posted_at`) costs about ads × candidates, not its cube.
struct AdMatcher {
    let ads: [Ad]
    let payments: [SitePayment]
    let parameters: AdMatchingParameters
    /// Per ad: the price in satoshis, or why there is none.
    let price: [Result<Int64, AdMatching.Unpriced>]
    let expected: [Int64?]
    /// Per ad: the payments that fit its price and window, ascending.
    let candidates: [[Int]]

    /// Round 1's certain matches.
    var certain: [Int: (payment: Int, basis: AdMatch.Basis)] = [:]
    /// Candidates less the payments certain matches took (what rounds 2 and 3 work on).
    var openEdges: [[Int]] = []
    var decided: [Int: (status: AdMatch.Status, basis: AdMatch.Basis)] = [:]
    var finalPayment: [Int: Int] = [:]
    var postingOrder = PostingOrder.Result()
    /// Ads paid by interchangeable outputs of one transaction: the other ads of the group.
    var groupOf: [Int: [Int]] = [:]
    var combined = CombinedPayments.Result()
    var coveredWith: [Int: [Int]] = [:]

    init(ads: [Ad], payments: [SitePayment], rates: RateTable, parameters: AdMatchingParameters) {
        self.ads = ads
        self.payments = payments
        self.parameters = parameters
        price = ads.map { AdMatching.price(of: $0, rates: rates) }
        expected = price.map { try? $0.get() }
        candidates = Self.findCandidates(ads: ads, payments: payments, price: price, parameters: parameters)
    }

    /// Same transaction, same value: the chain cannot tell these outputs apart as payments.
    func sameClass(_ q: Int, _ r: Int) -> Bool { payments[q].tx == payments[r].tx && payments[q].value == payments[r].value }

    /// Payments whose block lies in the ad's window and whose value fits its price, by binary search over
    /// the payments sorted by time.
    static func findCandidates(ads: [Ad], payments: [SitePayment], price: [Result<Int64, AdMatching.Unpriced>],
                               parameters p: AdMatchingParameters) -> [[Int]] {
        let byTime = payments.indices.sorted { (payments[$0].time, $0) < (payments[$1].time, $1) }
        let times = byTime.map { payments[$0].time }
        return ads.indices.map { a in
            guard case .success(let want) = price[a] else { return [] }
            let lo = AdMatching.shifted(ads[a].postedAt, byMinutes: p.windowBeforeMinutes, earlier: true)
            let hi = AdMatching.shifted(ads[a].postedAt, byMinutes: p.windowAfterMinutes)
            var k = AdMatching.lowerBound(times, lo)
            var found: [Int] = []
            while k < times.count, times[k] <= hi {
                if AdMatching.priceFits(ads[a], expected: want, value: payments[byTime[k]].value, parameters: p) {
                    found.append(byTime[k])
                }
                k += 1
            }
            return found.sorted()
        }
    }

    // MARK: Round 1 — certain matches

    /// Matches that hold in every assignment matching the most ads: the only candidate nobody else wants
    /// (`unique`), a payment every such assignment gives the ad (`forcedByExclusion`), or outputs of one
    /// transaction and value that the ad is sure to take one of (`interchangeableOutputs`).
    mutating func findCertainMatches() {
        let unitEdges = candidates.map { $0.map { OptimalAssignments.Edge(column: $0, weight: .match()) } }
        let most = OptimalAssignments(rowCount: ads.count, columnCount: payments.count, edges: unitEdges)
        var wantedBy = Array(repeating: [Int](), count: payments.count)
        for (a, cs) in candidates.enumerated() { for q in cs { wantedBy[q].append(a) } }
        var wantingCache: [[Int]: Int] = [:]
        for a in ads.indices {
            // Each rule below implies the ad is matched in every such assignment, so in this one too.
            guard let pay = most.columnOfRow[a] else { continue }
            if candidates[a].count == 1 && wantedBy[pay].count == 1 {
                certain[a] = (pay, .unique)
            } else if !most.someOptimumAvoids(a, { $0 == pay }) {
                certain[a] = (pay, .forcedByExclusion)
            } else if candidates[a].allSatisfy({ sameClass($0, pay) }) {
                // Which of these outputs paid which ad is unknowable but immaterial, provided no more ads want
                // them than there are outputs, or every such assignment pays this ad.
                let wanting = wantingCache[candidates[a]] ?? Set(candidates[a].flatMap { wantedBy[$0] }).count
                wantingCache[candidates[a]] = wanting
                if wanting <= candidates[a].count || !most.someOptimumLeavesUnassigned(a) {
                    certain[a] = (pay, .interchangeableOutputs)
                }
            }
        }
    }

    // MARK: Round 2 — the assignments matching the most ads, then agreeing best with the contact evidence

    /// The ads round 1 left open, with the payments it left: an ad is matched when every assignment that
    /// matches the most ads and, among those, agrees best with the certain matches (a payer cluster that
    /// already paid certain ads listing a contact is preferred for other ads listing it) gives it the same
    /// payment, up to interchangeable outputs.
    mutating func weighOpenAds() {
        let fixed = Set(certain.values.filter { $0.basis != .interchangeableOutputs }.map(\.payment))
        for (a, c) in certain where c.basis != .interchangeableOutputs { finalPayment[a] = c.payment }
        openEdges = candidates.map { $0.filter { !fixed.contains($0) } }
        let open = ads.indices.filter { a in
            if let c = certain[a], c.basis != .interchangeableOutputs { return false }
            return !openEdges[a].isEmpty
        }
        let affinity = contactAffinity()
        func edges(_ weight: (Int, Int) -> MatchWeight) -> [[OptimalAssignments.Edge]] {
            open.map { a in openEdges[a].map { OptimalAssignments.Edge(column: $0, weight: weight(a, $0)) } }
        }
        let best = OptimalAssignments(rowCount: open.count, columnCount: payments.count,
                                      edges: edges { a, q in .match(affinity: affinity(a, q)) })
        let most = OptimalAssignments(rowCount: open.count, columnCount: payments.count, edges: edges { _, _ in .match() })
        for (row, a) in open.enumerated() {
            guard let q = best.columnOfRow[row] else {
                decided[a] = best.someOptimumAssignsAny(row) ? (.ambiguous, .none) : (.unmatched, .none)
                continue
            }
            if best.someOptimumAvoids(row, { sameClass($0, q) }) {
                decided[a] = (.ambiguous, .none)
            } else {
                decided[a] = (.matched, most.someOptimumAvoids(row, { sameClass($0, q) }) ? .contactAffinity : .forcedByExclusion)
                finalPayment[a] = q
            }
        }
    }

    /// Per (ad, payment): how many certain matches paid by the payment's payer cluster list the ad's contact.
    func contactAffinity() -> (Int, Int) -> Int {
        var counts: [String: [Int: Int]] = [:]
        for (a, c) in certain { counts[ads[a].contact, default: [:]][payments[c.payment].payerCluster, default: 0] += 1 }
        return { [ads, payments] a, q in counts[ads[a].contact]?[payments[q].payerCluster] ?? 0 }
    }

    // MARK: Round 3 — posting order

    mutating func applyPostingOrder() {
        let affinity = contactAffinity()
        let unique = certain.filter { $0.value.basis == .unique }.sorted { $0.key < $1.key }
        postingOrder = PostingOrder.resolve(
            ambiguous: ads.indices.filter { decided[$0]?.status == .ambiguous }, edges: openEdges,
            taken: Set(finalPayment.values), ads: ads, payments: payments, expected: expected, parameters: parameters,
            model: PostingOrder.DelayModel(delays: unique.map { ads[$0.key].postedAt &- payments[$0.value.payment].time }),
            weight: { .match(affinity: affinity($0, $1)) }, sameClass: sameClass)
        for (a, q) in postingOrder.assigned {
            decided[a] = (.matched, postingOrder.byContacts.contains(a) ? .fewestContacts : .postingOrder)
            finalPayment[a] = q
        }
        for (a, c) in certain where c.basis == .interchangeableOutputs {
            if let d = decided[a], d.status == .matched, d.basis == .postingOrder || d.basis == .fewestContacts { continue }
            if decided[a]?.status == .matched || finalPayment[a] != nil { decided[a] = (.matched, .interchangeableOutputs) }
        }
    }

    // MARK: Interchangeable outputs and combined payments

    /// Interchangeable outputs (same transaction, same value) go to ads in posting order and outputs in vout
    /// order: a stated convention, since the chain cannot say which output paid which ad.
    mutating func assignInterchangeableOutputs() {
        struct PaymentClass: Hashable { var tx: Int; var value: Int64 }
        var byClass: [PaymentClass: [Int]] = [:]
        for (a, q) in finalPayment { byClass[PaymentClass(tx: payments[q].tx, value: payments[q].value), default: []].append(a) }
        for group in byClass.values where group.count > 1 {
            let orderedAds = group.sorted { (ads[$0].postedAt, $0) < (ads[$1].postedAt, $1) }
            let orderedPays = group.compactMap { finalPayment[$0] }.sorted()
            // Only ads that could each take any of these outputs are interchangeable.
            guard orderedAds.allSatisfy({ a in orderedPays.allSatisfy { candidates[a].contains($0) } }) else { continue }
            for (a, q) in zip(orderedAds, orderedPays) { finalPayment[a] = q }
            for a in group { groupOf[a] = group.filter { $0 != a }.sorted() }
        }
    }

    /// One payment covering several ads: only for ads and payments nothing above explains.
    mutating func findCombinedPayments() {
        combined = CombinedPayments.find(ads: ads, payments: payments, candidates: candidates, expected: expected,
                                         matched: finalPayment, parameters: parameters)
        for cover in combined.accepted {
            for a in cover.ads {
                finalPayment[a] = cover.payment
                coveredWith[a] = cover.ads.filter { $0 != a }.sorted()
            }
        }
    }
}
