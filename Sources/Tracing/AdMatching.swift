import BitcoinPrimitives

/// Matching parameters; they go into every report's manifest.
public struct AdMatchingParameters: Sendable, Hashable, Codable {
    /// How long before `posted_at` the paying transaction's block may be (minutes).
    public var windowBeforeMinutes: Int
    /// How long after `posted_at` the block may be (minutes): blocks confirm a payment some time after the
    /// site saw it in the mempool and published the ad.
    public var windowAfterMinutes: Int
    /// Relative tolerance for USD-priced ads, in percent of the converted price (rates move within a day and
    /// sites round). BTC-priced ads must match to the satoshi.
    public var tolerancePercent: Double

    public init(windowBeforeMinutes: Int = 180, windowAfterMinutes: Int = 120, tolerancePercent: Double = 3) {
        self.windowBeforeMinutes = windowBeforeMinutes
        self.windowAfterMinutes = windowAfterMinutes
        self.tolerancePercent = tolerancePercent
    }
}

public struct AdMatch: Sendable, Hashable {
    public enum Status: String, Sendable, Codable { case matched, ambiguous, unmatched }
    public enum Basis: String, Sendable, Codable {
        /// The only payment of that price in the window, and no other ad wants it.
        case unique
        /// Several candidates, but every one-to-one assignment of the payments gives this one.
        case forcedByExclusion = "forced-by-exclusion"
        /// The alternatives are other outputs of the same value in the same transaction (same payer): the
        /// chain cannot tell which output paid which of these ads; outputs go to ads in posting order.
        case interchangeableOutputs = "interchangeable-outputs"
        /// Chosen among otherwise equal candidates because that payer cluster paid other, certain, ads
        /// listing the same contact.
        case contactAffinity = "contact-affinity"
        case none
    }
    public var ad: Int
    public var status: Status
    public var basis: Basis
    /// Index into the payments array.
    public var payment: Int?
    public var confidence: Double
    public var reason: String
    /// Every candidate payment (indices into the payments array).
    public var candidates: [Int]
    /// Ads (indices) whose payments are interchangeable with this one's.
    public var interchangeableWith: [Int]
    /// The price in satoshis the ad asked for (USD converted), when it could be computed.
    public var expectedSat: Int64?
}

public enum AdMatching {
    /// The price an ad asks for, in satoshis, or nil for a USD price on a day with no rate.
    public static func expectedSatoshis(_ ad: Ad, rates: RateTable) -> Int64? {
        switch ad.price {
        case .btc(let a): return a.satoshis
        case .usdCents(let cents):
            guard let rate = rates.rate(onDayOf: ad.postedAt), rate > 0 else { return nil }
            return Int64((Double(cents) / 100 / rate * 1e8).rounded())
        }
    }

    static func priceFits(_ ad: Ad, expected: Int64, value: Int64, parameters p: AdMatchingParameters) -> Bool {
        switch ad.price {
        case .btc: return value == expected
        case .usdCents:
            return Double(abs(value - expected)) <= Double(expected) * p.tolerancePercent / 100
        }
    }

    /// Matches ads to payments into the site. Deterministic: the same inputs give the same result.
    public static func match(ads: [Ad], payments: [SitePayment], rates: RateTable,
                             parameters p: AdMatchingParameters = AdMatchingParameters()) -> [AdMatch] {
        // Payments sorted by time for the window search.
        let byTime = payments.indices.sorted { (payments[$0].time, $0) < (payments[$1].time, $1) }
        let times = byTime.map { payments[$0].time }
        var candidates: [[Int]] = []
        var expected: [Int64?] = []
        for ad in ads {
            guard let want = expectedSatoshis(ad, rates: rates) else { candidates.append([]); expected.append(nil); continue }
            expected.append(want)
            let lo = ad.postedAt - Int64(p.windowBeforeMinutes) * 60
            let hi = ad.postedAt + Int64(p.windowAfterMinutes) * 60
            var k = lowerBound(times, lo)
            var c: [Int] = []
            while k < times.count, times[k] <= hi {
                let pi = byTime[k]
                if priceFits(ad, expected: want, value: payments[pi].value, parameters: p) { c.append(pi) }
                k += 1
            }
            candidates.append(c.sorted())
        }

        // Round 1: certain matches.
        var graph = Bipartite(edges: candidates)
        var matching = graph.maximumMatching()
        var certain = [Int: (Int, AdMatch.Basis)]()
        // Every candidate is an output of the same transaction with the same value, and no more ads want
        // those outputs than there are outputs: which output paid which ad is unknowable but immaterial.
        var adsWanting: [Int: Set<Int>] = [:]
        for (a, cs) in candidates.enumerated() { for q in cs { adsWanting[q, default: []].insert(a) } }
        func interchangeable(_ a: Int, _ pay: Int, among cands: [Int]) -> Bool {
            guard cands.allSatisfy({ q in q == pay || (payments[q].tx == payments[pay].tx && payments[q].value == payments[pay].value) })
            else { return false }
            var wanting = Set<Int>()
            for q in cands { wanting.formUnion(adsWanting[q] ?? []) }
            return wanting.count <= Set(cands).count || graph.isEssential(ad: a)
        }
        for a in ads.indices {
            guard let pay = matching[a] else { continue }
            if candidates[a].count == 1 && graph.competitors(of: pay) == 1 {
                certain[a] = (pay, .unique)
            } else if graph.isForced(ad: a, payment: pay) {
                certain[a] = (pay, .forcedByExclusion)
            } else if interchangeable(a, pay, among: candidates[a]) {
                certain[a] = (pay, .interchangeableOutputs)
            }
        }

        // Round 2: contact affinity, only where it is decisive (one best payer cluster with prior evidence,
        // every other candidate's cluster with none).
        var affinity: [String: [Int: Int]] = [:]
        for (a, (pay, _)) in certain { affinity[ads[a].contact, default: [:]][payments[pay].payerCluster, default: 0] += 1 }
        var restricted = candidates
        var affinityChosen = Set<Int>()
        for a in ads.indices where certain[a] == nil && candidates[a].count > 1 {
            let scores = candidates[a].map { affinity[ads[a].contact]?[payments[$0].payerCluster] ?? 0 }
            let best = scores.max() ?? 0
            if best >= 1 && scores.allSatisfy({ $0 == best || $0 == 0 }) {
                restricted[a] = zip(candidates[a], scores).filter { $0.1 == best }.map(\.0)
                affinityChosen.insert(a)
            }
        }
        for (a, (pay, basis)) in certain where basis != .interchangeableOutputs { restricted[a] = [pay] }
        graph = Bipartite(edges: restricted)
        matching = graph.maximumMatching()

        // Interchangeable groups get outputs in posting order (ads) and vout order (outputs): a convention.
        var results: [AdMatch] = []
        var groupOf: [Int: [Int]] = [:]  // ad -> group of interchangeable ads
        for a in ads.indices {
            guard let pay = matching[a] else { continue }
            let isCertain = certain[a] != nil
            let forced = isCertain || graph.isForced(ad: a, payment: pay)
            if forced || interchangeable(a, pay, among: restricted[a]) {
                let key = payments[pay].tx
                groupOf[a] = ads.indices.filter { b in
                    guard let q = matching[b] else { return false }
                    return payments[q].tx == key && payments[q].value == payments[pay].value && b != a
                        && restricted[b].contains(pay) && restricted[a].contains(q)
                }
            }
        }
        // Reassign within groups by posting order.
        var finalPayment = matching
        var visited = Set<Int>()
        for a in ads.indices {
            guard let others = groupOf[a], !others.isEmpty, !visited.contains(a) else { continue }
            let group = ([a] + others).sorted { (ads[$0].postedAt, $0) < (ads[$1].postedAt, $1) }
            let pays = group.compactMap { matching[$0] }.sorted()
            for (ad, pay) in zip(group, pays) { finalPayment[ad] = pay; visited.insert(ad) }
        }

        for a in ads.indices {
            _ = ads[a]
            let c = candidates[a]
            let window = "\(p.windowBeforeMinutes) min before to \(p.windowAfterMinutes) min after posting"
            guard let want = expected[a] else {
                results.append(AdMatch(ad: a, status: .unmatched, basis: .none, payment: nil, confidence: 0,
                                       reason: "no USD/BTC rate for the day the ad was posted", candidates: [],
                                       interchangeableWith: [], expectedSat: nil))
                continue
            }
            let priceText = Amount(satoshis: want).btcString + " BTC"
            guard let pay = finalPayment[a] else {
                let reason: String
                if c.isEmpty {
                    reason = "no payment of \(priceText) into the site from \(window)"
                } else if restricted[a].allSatisfy({ q in finalPayment.values.contains(q) }) && c.count == 1 {
                    reason = "its only candidate payment is matched to another ad"
                } else {
                    reason = "its \(c.count) candidate payments are all matched to other ads"
                }
                results.append(AdMatch(ad: a, status: .unmatched, basis: .none, payment: nil, confidence: 0,
                                       reason: reason, candidates: c, interchangeableWith: [], expectedSat: want))
                continue
            }
            let group = (groupOf[a] ?? []).sorted()
            if let (_, basis) = certain[a] {
                let (confidence, reason): (Double, String)
                switch basis {
                case .unique:
                    (confidence, reason) = (0.95, "the only payment of \(priceText) into the site from \(window), wanted by no other ad")
                case .forcedByExclusion:
                    (confidence, reason) = (0.9, "\(c.count) candidate payments, but every one-to-one assignment of payments to ads gives this one")
                default:
                    (confidence, reason) = (0.85, "the other candidates are outputs of the same value in the same transaction; which output paid which ad cannot be told from the chain (assigned in posting order)")
                }
                results.append(AdMatch(ad: a, status: .matched, basis: group.isEmpty ? basis : .interchangeableOutputs,
                                       payment: pay, confidence: group.isEmpty ? confidence : min(confidence, 0.85),
                                       reason: group.isEmpty ? reason : reason + "; interchangeable with \(group.count) other ad(s) paid by the same transaction",
                                       candidates: c, interchangeableWith: group, expectedSat: want))
            } else if graph.isForced(ad: a, payment: matching[a] ?? pay) || interchangeable(a, matching[a] ?? pay, among: restricted[a]) {
                let basis: AdMatch.Basis = affinityChosen.contains(a) ? .contactAffinity : .forcedByExclusion
                let reason = affinityChosen.contains(a)
                    ? "\(c.count) candidate payments; chosen because its payer cluster paid other matched ads listing the same contact, and no other candidate's cluster did"
                    : "after the certain matches took their payments, every one-to-one assignment gives this one"
                results.append(AdMatch(ad: a, status: .matched, basis: basis, payment: pay,
                                       confidence: affinityChosen.contains(a) ? 0.7 : 0.8, reason: reason,
                                       candidates: c, interchangeableWith: group, expectedSat: want))
            } else {
                let clusters = Set(restricted[a].map { payments[$0].payerCluster })
                results.append(AdMatch(ad: a, status: .ambiguous, basis: .none, payment: nil, confidence: 0,
                                       reason: "\(restricted[a].count) candidate payments from \(clusters.count) payer cluster(s) fit equally well; none is forced",
                                       candidates: c, interchangeableWith: [], expectedSat: want))
            }
        }
        return results
    }

    static func lowerBound(_ a: [Int64], _ x: Int64) -> Int {
        var lo = 0, hi = a.count
        while lo < hi { let m = (lo + hi) / 2; if a[m] < x { lo = m + 1 } else { hi = m } }
        return lo
    }
}

/// Ads on one side, payments on the other; maximum matchings by augmenting paths (Kuhn), per connected
/// component so the "is this edge forced" test re-solves only the component.
struct Bipartite {
    let edges: [[Int]]
    private var adsOfPayment: [Int: [Int]] = [:]
    private var maximum: [Int: Int] = [:]

    init(edges: [[Int]]) {
        self.edges = edges
        for (a, ps) in edges.enumerated() { for p in ps { adsOfPayment[p, default: []].append(a) } }
    }

    func competitors(of payment: Int) -> Int { adsOfPayment[payment]?.count ?? 0 }

    /// ad -> payment.
    mutating func maximumMatching() -> [Int: Int] {
        let m = Self.solve(ads: Array(edges.indices), edges: edges, banned: nil)
        maximum = m
        return m
    }

    /// True when every maximum matching matches this ad: leaving it out makes the matching smaller.
    func isEssential(ad: Int) -> Bool {
        let component = self.component(of: ad)
        let size = Self.solve(ads: component, edges: edges, banned: nil).count
        return Self.solve(ads: component.filter { $0 != ad }, edges: edges, banned: nil).count < size
    }

    /// True when every maximum matching uses this edge: banning it makes the matching smaller.
    func isForced(ad: Int, payment: Int) -> Bool {
        let component = self.component(of: ad)
        let size = Self.solve(ads: component, edges: edges, banned: nil).count
        return Self.solve(ads: component, edges: edges, banned: (ad, payment)).count < size
    }

    private func component(of ad: Int) -> [Int] {
        var seenAds: Set<Int> = [ad], seenPays = Set<Int>()
        var stack = [ad]
        while let a = stack.popLast() {
            for p in edges[a] where seenPays.insert(p).inserted {
                for b in adsOfPayment[p] ?? [] where seenAds.insert(b).inserted { stack.append(b) }
            }
        }
        return seenAds.sorted()
    }

    static func solve(ads: [Int], edges: [[Int]], banned: (Int, Int)?) -> [Int: Int] {
        var adOfPayment: [Int: Int] = [:]
        func augment(_ a: Int, _ seen: inout Set<Int>) -> Bool {
            for p in edges[a] {
                if let b = banned, b.0 == a, b.1 == p { continue }
                guard seen.insert(p).inserted else { continue }
                if let other = adOfPayment[p] {
                    if augment(other, &seen) { adOfPayment[p] = a; return true }
                } else {
                    adOfPayment[p] = a
                    return true
                }
            }
            return false
        }
        for a in ads {
            var seen = Set<Int>()
            _ = augment(a, &seen)
        }
        var result: [Int: Int] = [:]
        for (p, a) in adOfPayment { result[a] = p }
        return result
    }
}
