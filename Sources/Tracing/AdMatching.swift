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
        /// Several ads of one price compete for exactly as many payments, every ad must take one, and no
        /// earlier rule separates them: the k-th posted ad takes the k-th payment by block time (the
        /// maximum-likelihood assignment when posting delays are independent with a log-concave density).
        case postingOrder = "posting-order"
        /// Like `postingOrder`, but decided only once the assignments giving each payer cluster's payments to ads
        /// of the fewest contacts are preferred (one payer, one advertiser, one phone).
        case fewestContacts = "fewest-contacts-per-payer"
        /// One payment whose value is the sum of several ads' prices (same contact, all in their windows), and
        /// nothing else explains these ads or this payment (see `CombinedPayments`).
        case coversSeveral = "covers-several"
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
    /// Ads (indices) paid by the same payment as this one, when one payment covers several ads.
    public var coveredWith: [Int] = []
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
    ///
    /// `paymentNames[i]` names payment `i` in the reasons (e.g. `txid:vout`); `payment #i` when absent.
    public static func match(ads: [Ad], payments: [SitePayment], rates: RateTable,
                             parameters p: AdMatchingParameters = AdMatchingParameters(),
                             paymentNames: [String] = []) -> [AdMatch] {
        func paymentName(_ q: Int) -> String { q < paymentNames.count ? paymentNames[q] : "payment #\(q)" }
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

        // Round 2: the remaining ads, per connected component, by the assignment that matches the most ads
        // and, among those, agrees best with the certain matches: a payer cluster that already paid certain
        // ads listing a contact is preferred for other ads listing that contact. An ad is matched only when
        // every such best assignment gives it the same payment (up to interchangeable outputs).
        var affinity: [String: [Int: Int]] = [:]
        for (a, (pay, _)) in certain { affinity[ads[a].contact, default: [:]][payments[pay].payerCluster, default: 0] += 1 }
        func score(_ a: Int, _ q: Int) -> Int { affinity[ads[a].contact]?[payments[q].payerCluster] ?? 0 }
        func sameClass(_ q: Int, _ r: Int) -> Bool { payments[q].tx == payments[r].tx && payments[q].value == payments[r].value }

        var fixed = Set<Int>()
        for (_, (pay, basis)) in certain where basis != .interchangeableOutputs { fixed.insert(pay) }
        var open = ads.indices.filter { a in
            if let c = certain[a], c.1 != .interchangeableOutputs { return false }
            return true
        }
        let edges = candidates.map { $0.filter { !fixed.contains($0) } }
        open = open.filter { !edges[$0].isEmpty }
        var finalPayment: [Int: Int] = [:]
        for (a, (pay, basis)) in certain where basis != .interchangeableOutputs { finalPayment[a] = pay }
        var decided: [Int: (AdMatch.Status, AdMatch.Basis)] = [:]

        // Components of the open ads.
        var adsOfPayment: [Int: [Int]] = [:]
        for a in open { for q in edges[a] { adsOfPayment[q, default: []].append(a) } }
        var seen = Set<Int>()
        for root in open where !seen.contains(root) {
            var component: [Int] = []
            var stack = [root]
            seen.insert(root)
            while let a = stack.popLast() {
                component.append(a)
                for q in edges[a] { for b in adsOfPayment[q] ?? [] where seen.insert(b).inserted { stack.append(b) } }
            }
            component.sort()
            let pays = Array(Set(component.flatMap { edges[$0] })).sorted()
            let problem = WeightedAssignment(ads: component, payments: pays, edges: edges, weight: { 1000 + score($0, $1) })
            let (best, assignment) = problem.solve()
            for a in component {
                if let q = assignment[a] {
                    finalPayment[a] = q
                    let banned = pays.filter { sameClass($0, q) }
                    let (without, _) = problem.solve(banning: a, payments: banned)
                    if without < best {
                        decided[a] = (.matched, best - without >= 1000 ? .forcedByExclusion : .contactAffinity)
                    } else {
                        decided[a] = (.ambiguous, .none)
                        finalPayment[a] = nil
                    }
                } else {
                    let (forcedIn, _) = problem.solve(requiring: a)
                    decided[a] = forcedIn == best ? (.ambiguous, .none) : (.unmatched, .none)
                }
            }
        }

        // Round 3: posting order, for the ads still ambiguous (see `PostingOrder`).
        let order = PostingOrder.resolve(
            ambiguous: ads.indices.filter { decided[$0]?.0 == .ambiguous }, edges: edges,
            taken: Set(finalPayment.values), ads: ads, payments: payments, expected: expected, parameters: p,
            model: PostingOrder.DelayModel(delays: certain.filter { $0.value.1 == .unique }.sorted { $0.key < $1.key }
                .map { ads[$0.key].postedAt - payments[$0.value.0].time }),
            weight: { 1000 + score($0, $1) }, sameClass: sameClass)
        for (a, q) in order.assigned {
            decided[a] = (.matched, order.byContacts.contains(a) ? .fewestContacts : .postingOrder)
            finalPayment[a] = q
        }

        for (a, (_, basis)) in certain where basis == .interchangeableOutputs {
            if decided[a]?.0 == .matched && (decided[a]?.1 == .postingOrder || decided[a]?.1 == .fewestContacts) { continue }
            if decided[a]?.0 == .matched || finalPayment[a] != nil { decided[a] = (.matched, .interchangeableOutputs) }
        }

        // Interchangeable outputs (same transaction, same value) go to ads in posting order and outputs in
        // vout order: a stated convention, since the chain cannot say which output paid which ad.
        var groupOf: [Int: [Int]] = [:]
        var byClass: [String: [Int]] = [:]
        for (a, q) in finalPayment { byClass["\(payments[q].tx):\(payments[q].value)", default: []].append(a) }
        for (_, group) in byClass where group.count > 1 {
            let orderedAds = group.sorted { (ads[$0].postedAt, $0) < (ads[$1].postedAt, $1) }
            let orderedPays = group.compactMap { finalPayment[$0] }.sorted()
            // Only ads that could each take any of these outputs are interchangeable.
            guard orderedAds.allSatisfy({ a in orderedPays.allSatisfy { candidates[a].contains($0) } }) else { continue }
            for (a, q) in zip(orderedAds, orderedPays) { finalPayment[a] = q }
            for a in group { groupOf[a] = group.filter { $0 != a }.sorted() }
        }

        // One payment covering several ads: only for ads and payments nothing above explains.
        let combined = CombinedPayments.find(ads: ads, payments: payments, candidates: candidates, expected: expected,
                                             matched: finalPayment, parameters: p)
        var coveredWith: [Int: [Int]] = [:]
        for cover in combined.accepted {
            for a in cover.ads {
                finalPayment[a] = cover.payment
                coveredWith[a] = cover.ads.filter { $0 != a }.sorted()
            }
        }

        var results: [AdMatch] = []
        for a in ads.indices {
            let c = candidates[a]
            let window = "\(p.windowBeforeMinutes) min before to \(p.windowAfterMinutes) min after posting"
            guard let want = expected[a] else {
                results.append(AdMatch(ad: a, status: .unmatched, basis: .none, payment: nil, confidence: 0,
                                       reason: "no USD/BTC rate for the day the ad was posted", candidates: [],
                                       interchangeableWith: [], expectedSat: nil))
                continue
            }
            let priceText = Amount(satoshis: want).btcString + " BTC"
            let group = groupOf[a] ?? []
            let status: AdMatch.Status
            var basis: AdMatch.Basis
            if let (_, b) = certain[a], b != .interchangeableOutputs { (status, basis) = (.matched, b) }
            else if coveredWith[a] != nil { (status, basis) = (.matched, .coversSeveral) }
            else if let d = decided[a] { (status, basis) = d }
            else { (status, basis) = (.unmatched, .none) }
            if status == .matched, !group.isEmpty, basis == .unique || basis == .forcedByExclusion { basis = .interchangeableOutputs }
            guard status == .matched, let pay = finalPayment[a] else {
                var reason: String
                if c.isEmpty {
                    reason = "no payment of \(priceText) into the site from \(window)"
                } else if status == .ambiguous, let contest = order.contests[a] {
                    reason = contest.reason(for: a, ads: ads, paymentName: paymentName)
                } else if status == .ambiguous {
                    let clusters = Set(c.map { payments[$0].payerCluster })
                    reason = "\(c.count) candidate payment(s) from \(clusters.count) payer cluster(s); several assignments of payments to ads fit equally well, so none is chosen"
                } else {
                    reason = "its \(c.count) candidate payment(s) are matched to other ads that have no other candidate"
                }
                if let n = combined.rejected[a] {
                    reason += "; \(n) combination(s) of it with other ads of the same contact add up to a free payment, but not in one way only, so no combined payment is chosen"
                }
                results.append(AdMatch(ad: a, status: status == .matched ? .unmatched : status, basis: .none, payment: nil,
                                       confidence: 0, reason: reason, candidates: c, interchangeableWith: [], expectedSat: want))
                continue
            }
            let (confidence, reason): (Double, String)
            switch basis {
            case .unique:
                (confidence, reason) = (0.95, "the only payment of \(priceText) into the site from \(window), wanted by no other ad")
            case .forcedByExclusion:
                (confidence, reason) = (0.9, "\(c.count) candidate payments, but every assignment that matches the most ads gives this one")
            case .interchangeableOutputs:
                (confidence, reason) = (0.85, "paid by this transaction; it holds \(group.count + 1) outputs of the same value for ads that could each take any of them, so which output paid which ad cannot be told from the chain (assigned in posting order)")
            case .contactAffinity:
                (confidence, reason) = (0.7, "\(c.count) candidate payments; chosen because its payer cluster paid other, certain, ads listing the same contact, which no equally good alternative does")
            case .postingOrder, .fewestContacts:
                let contest = order.contests[a]
                (confidence, reason) = (basis == .postingOrder ? 0.6 : 0.55, contest?.reason(for: a, ads: ads, paymentName: paymentName) ?? "posting order")
            case .coversSeveral:
                let others = coveredWith[a] ?? []
                let prices = ([a] + others).map { Amount(satoshis: expected[$0] ?? 0).btcString }.joined(separator: " + ")
                (confidence, reason) = (0.75, "one payment of \(Amount(satoshis: payments[pay].value).btcString) BTC pays this ad and ad(s) \(others.map { ads[$0].id }.joined(separator: ", ")) together: they list the same contact, the block is in every one's window, and their prices add up to it (\(prices) BTC); their own-price candidates are all taken by other ads, and no other payment or set of ads fits this way")
            case .none:
                (confidence, reason) = (0, "")
            }
            results.append(AdMatch(ad: a, status: .matched, basis: basis, payment: pay, confidence: confidence,
                                   reason: reason, candidates: c, interchangeableWith: group, expectedSat: want,
                                   coveredWith: coveredWith[a] ?? []))
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

/// Maximum-weight assignment of ads to payments (each payment to at most one ad, an ad may stay unmatched)
/// by the Hungarian algorithm on a small component: rows are ads, columns are payments plus one "unmatched"
/// column per ad. Weights are integers, so optimal values compare exactly.
struct WeightedAssignment {
    let ads: [Int]
    let payments: [Int]
    let edges: [[Int]]
    let weight: (Int, Int) -> Int

    static let forbidden = 1 << 40

    func solve(banning ad: Int? = nil, payments banned: [Int] = [], requiring required: Int? = nil) -> (Int, [Int: Int]) {
        let n = ads.count, m = payments.count + ads.count
        let column = Dictionary(uniqueKeysWithValues: payments.enumerated().map { ($1, $0) })
        var cost = Array(repeating: Array(repeating: Self.forbidden, count: m + 1), count: n + 1)
        for (i, a) in ads.enumerated() {
            for q in edges[a] {
                guard let j = column[q] else { continue }
                if a == ad && banned.contains(q) { continue }
                cost[i + 1][j + 1] = -weight(a, q)
            }
            for j in payments.count ..< m where a != required { cost[i + 1][j + 1] = 0 }
        }
        // e-maxx Hungarian, minimising, n ≤ m.
        var u = Array(repeating: 0, count: n + 1), v = Array(repeating: 0, count: m + 1)
        var p = Array(repeating: 0, count: m + 1), way = Array(repeating: 0, count: m + 1)
        for i in 1 ... max(n, 1) where n > 0 {
            p[0] = i
            var j0 = 0
            var minv = Array(repeating: Int.max, count: m + 1)
            var used = Array(repeating: false, count: m + 1)
            repeat {
                used[j0] = true
                let i0 = p[j0]
                var delta = Int.max, j1 = 0
                for j in 1 ... m where !used[j] {
                    let cur = cost[i0][j] - u[i0] - v[j]
                    if cur < minv[j] { minv[j] = cur; way[j] = j0 }
                    if minv[j] < delta { delta = minv[j]; j1 = j }
                }
                for j in 0 ... m {
                    if used[j] { u[p[j]] += delta; v[j] -= delta } else { minv[j] -= delta }
                }
                j0 = j1
            } while p[j0] != 0
            repeat {
                let j1 = way[j0]
                p[j0] = p[j1]
                j0 = j1
            } while j0 != 0
        }
        var total = 0
        var assignment: [Int: Int] = [:]
        if n > 0 {
            for j in 1 ... m where p[j] != 0 {
                let c = cost[p[j]][j]
                if c >= Self.forbidden { total -= Self.forbidden; continue }  // infeasible choice
                total -= c
                if j <= payments.count { assignment[ads[p[j] - 1]] = payments[j - 1] }
            }
        }
        return (total, assignment)
    }
}
