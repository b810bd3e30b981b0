#if canImport(Darwin)
import Darwin
#else
import Glibc
#endif

/// The last matching rule, for ads that price, window, exclusion and contact affinity leave ambiguous.
///
/// The ads still ambiguous and the payments no matched ad took form a bipartite graph (edges: price within
/// tolerance, block time within the window). In each connected component:
///
/// - as many payments as ads, every ad asking the same price, and some assignment that gives every ad a
///   payment: the ads are taken to be all paid by these payments (none can stay unpaid without a payment
///   staying unused). With posting delays (posting time − block time) independent and drawn from one
///   log-concave density f, the likelihood of an assignment σ is ∏ f(tₐ − s_σ(a)); −log f is convex, so the
///   order-preserving assignment (k-th posted ad ↔ k-th payment by block time) is the most likely one (the
///   costs φ(tₐ − s_q), φ convex, form a Monge array). How much more likely depends on the density: for delays
///   of one block's spread it is decisive, for two payments a minute apart it is a coin toss. So the delays
///   of the case's own `unique` matches give a normal density (log-concave; mean and standard deviation
///   fitted by maximum likelihood), every complete assignment gets its posterior probability (uniform prior
///   over the assignments the earlier rules leave equally good), and an ad is matched only when the
///   assignments giving it the same payment (or an interchangeable output of it) hold at least
///   `minimumPosterior` of the probability.
/// - more ads than payments: at least one of these ads was not paid by them; nothing says which, so all stay
///   ambiguous (the reason names the competing ads and payments).
/// - more payments than ads, or ads asking different prices: no assumption makes one assignment the likely
///   one; all stay ambiguous.
enum PostingOrder {
    /// An ad is matched by posting order only when its payment holds at least this posterior probability.
    static let minimumPosterior = 0.95
    /// Fewer `unique` matches than this give no usable estimate of the delay density: the rule stays off.
    static let minimumSample = 10
    /// Components with more ads than this are left ambiguous (the assignments are enumerated).
    static let maximumAds = 8

    /// Normal density of posting delays (seconds), fitted to the case's `unique` matches.
    struct DelayModel {
        var mean: Double
        var standardDeviation: Double
        var sample: Int

        init?(delays: [Int64]) {
            guard delays.count >= PostingOrder.minimumSample else { return nil }
            let n = Double(delays.count)
            let mean = delays.reduce(0.0) { $0 + Double($1) } / n
            let variance = delays.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
            guard variance > 0 else { return nil }
            self.mean = mean; self.standardDeviation = variance.squareRoot(); self.sample = delays.count
        }

        func logDensity(_ delay: Int64) -> Double {
            let z = (Double(delay) - mean) / standardDeviation
            return -z * z / 2
        }

        var text: String {
            "posting delays (posted − block time) of the case's \(sample) unique matches: mean \(Int((mean / 60).rounded())) min, standard deviation \(Int((standardDeviation / 60).rounded())) min"
        }
    }

    struct Contest {
        enum Kind { case assigned, moreAds, morePayments, mixedPrices, incomplete, tooLarge, noModel, contactDisagrees }
        var kind: Kind
        /// Ads by posting time, payments by block time.
        var ads: [Int]
        var payments: [Int]
        /// The most likely assignment and, per ad, the posterior probability of its payment there.
        var assignment: [Int: Int] = [:]
        var posterior: [Int: Double] = [:]
        var model: DelayModel?
        /// True when preferring fewer contacts per payer cluster left fewer assignments to weigh.
        var fewestContacts = false

        func reason(for a: Int, ads all: [Ad], paymentName: (Int) -> String) -> String {
            let adList = PostingOrder.list(ads) { all[$0].id }
            let payList = PostingOrder.list(payments, paymentName)
            let scene = "\(Wording.count(ads.count, "ad")) (\(adList)) compete for \(Wording.count(payments.count, "payment")) of that price in their windows (\(payList))"
            let p = posterior[a].map(PostingOrder.threeDecimals) ?? "?"
            let model = self.model?.text ?? ""
            switch kind {
            case .assigned:
                let contacts = fewestContacts ? " Among the complete assignments, only those giving each payer cluster's payments to ads of the fewest contacts are kept (one payer, one advertiser, one phone)." : ""
                if let q = assignment[a], (posterior[a] ?? 0) >= PostingOrder.minimumPosterior {
                    return "posting order: \(scene), which no earlier rule separates; as many payments as ads, so each ad is taken to be paid by one of them.\(contacts) With independent posting delays of one log-concave density the order-preserving assignment (k-th ad posted ↔ k-th payment by block time) is the most likely; under a normal density fitted to the \(model), it gives this ad \(paymentName(q)) with posterior probability \(p) (at least \(PostingOrder.minimumPosterior) required)"
                }
                return "\(scene); as many payments as ads, but their block times are too close for posting order to decide:\(contacts) under a normal density fitted to the \(model), the most likely assignment gives this ad its payment with posterior probability \(p) only (at least \(PostingOrder.minimumPosterior) required); none is chosen"
            case .moreAds:
                return "\(scene): more ads than payments, so at least one of these ads was not paid by them and nothing says which; none is chosen"
            case .morePayments:
                return "\(scene): more payments than ads, so some payment paid something else and nothing says which; none is chosen"
            case .mixedPrices:
                return "\(scene), but the ads do not all ask the same price, so posting order does not apply; none is chosen"
            case .incomplete:
                return "\(scene), but no assignment gives every one of them a payment in its window, so posting order does not apply; none is chosen"
            case .tooLarge:
                return "\(scene): more than \(PostingOrder.maximumAds) ads compete, too many to weigh every assignment; none is chosen"
            case .noModel:
                return "\(scene); as many payments as ads, but fewer than \(PostingOrder.minimumSample) unique matches to estimate posting delays from, so posting order is not used; none is chosen"
            case .contactDisagrees:
                return "\(scene); no complete assignment agrees with the contact evidence of the certain matches as well as the incomplete ones, so posting order does not apply; none is chosen"
            }
        }
    }

    /// Names at most `listed` items, so a contest of thousands of ads (a scrape with one `posted_at`) does not
    /// repeat every name in every one of their reasons.
    static let listed = 20
    static func list(_ items: [Int], _ name: (Int) -> String) -> String {
        let names = items.prefix(listed).map(name).joined(separator: ", ")
        return items.count > listed ? names + " and \(items.count - listed) more" : names
    }

    static func threeDecimals(_ x: Double) -> String {
        let m = Int((x * 1000).rounded())
        let frac = String(m % 1000)
        return "\(m / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    struct Result {
        var assigned: [Int: Int] = [:]
        /// Assigned ads that only the preference for fewer contacts per payer cluster decided.
        var byContacts: Set<Int> = []
        var contests: [Int: Contest] = [:]
    }

    static func resolve(ambiguous: [Int], edges: [[Int]], taken: Set<Int>, ads: [Ad], payments: [SitePayment],
                        expected: [Int64?], parameters: AdMatchingParameters, model: DelayModel?,
                        weight: @escaping (Int, Int) -> MatchWeight, sameClass: (Int, Int) -> Bool) -> Result {
        var residual = edges.map { _ in [Int]() }
        for a in ambiguous { residual[a] = edges[a].filter { !taken.contains($0) } }
        var result = Result()
        for component in components(of: ambiguous.filter { !residual[$0].isEmpty }, residual: residual) {
            let byPosting = component.sorted { (ads[$0].postedAt, $0) < (ads[$1].postedAt, $1) }
            let byBlock = Array(Set(component.flatMap { residual[$0] })).sorted { (payments[$0].time, $0) < (payments[$1].time, $1) }
            var contest = Contest(kind: .assigned, ads: byPosting, payments: byBlock, model: model)
            defer { for a in component { result.contests[a] = contest } }

            if byPosting.count > byBlock.count { contest.kind = .moreAds; continue }
            if byPosting.count < byBlock.count { contest.kind = .morePayments; continue }
            let onePrice = byPosting.allSatisfy { a in
                guard let want = expected[a] else { return false }
                return byBlock.allSatisfy { AdMatching.priceFits(ads[a], expected: want, value: payments[$0].value, parameters: parameters) }
            }
            guard onePrice else { contest.kind = .mixedPrices; continue }
            guard byPosting.count <= maximumAds else { contest.kind = .tooLarge; continue }
            guard let model else { contest.kind = .noModel; continue }

            let complete = completeAssignments(byPosting, residual: residual, ads: ads, payments: payments, model: model,
                                               weight: weight)
            guard let bestWeight = complete.map(\.weight).max() else { contest.kind = .incomplete; continue }
            // The earlier criteria rank incomplete assignments too: a complete one must be among the best.
            let column = Dictionary(uniqueKeysWithValues: byBlock.enumerated().map { ($1, $0) })
            let problem = OptimalAssignments(rowCount: byPosting.count, columnCount: byBlock.count, edges: byPosting.map { a in
                residual[a].compactMap { q in column[q].map { OptimalAssignments.Edge(column: $0, weight: weight(a, q)) } }
            })
            guard bestWeight >= problem.totalWeight else { contest.kind = .contactDisagrees; continue }
            let best = complete.filter { $0.weight == bestWeight }
            // One payer, one advertiser, one contact: prefer assignments that give each payer cluster's payments
            // to ads of as few contacts as possible.
            func pairs(_ assignment: [Int]) -> Int {
                Set(zip(byPosting, assignment).map { "\(payments[$1].payerCluster) \(ads[$0].contact)" }).count
            }
            let fewest = best.map { pairs($0.assignment) }.min() ?? 0
            let kept = best.filter { pairs($0.assignment) == fewest }
            // Posterior probability, over a set of complete assignments (uniform prior), that ad number i gets
            // payment q or an interchangeable output of it (outputs of one transaction and value add up).
            func posterior(_ set: [Complete], _ i: Int, _ q: Int) -> Double {
                let top = set.map(\.logLikelihood).max() ?? 0
                let mass = set.map { exp($0.logLikelihood - top) }
                let total = mass.reduce(0, +)
                return set.indices.filter { sameClass(set[$0].assignment[i], q) }.reduce(0.0) { $0 + mass[$1] } / total
            }
            guard let mostLikely = kept.indices.max(by: { (kept[$0].logLikelihood, $1) < (kept[$1].logLikelihood, $0) }) else { continue }
            contest.fewestContacts = kept.count < best.count
            for (i, a) in byPosting.enumerated() {
                let q = kept[mostLikely].assignment[i]
                let p = posterior(kept, i, q)
                contest.assignment[a] = q
                contest.posterior[a] = p
                guard p >= minimumPosterior else { continue }
                result.assigned[a] = q
                // Posting order alone (without preferring fewer contacts per payer) would not have decided it.
                if kept.count < best.count && posterior(best, i, q) < minimumPosterior { result.byContacts.insert(a) }
            }
        }
        return result
    }

    /// The ads that compete, grouped: two ads are in one group when a payment fits both, directly or through
    /// other ads of the group (connected components of the ad–payment graph), each in discovery order.
    static func components(of open: [Int], residual: [[Int]]) -> [[Int]] {
        var adsOfPayment: [Int: [Int]] = [:]
        for a in open { for q in residual[a] { adsOfPayment[q, default: []].append(a) } }
        var components: [[Int]] = []
        var seen = Set<Int>(), seenPayments = Set<Int>()
        for root in open where !seen.contains(root) {
            var component: [Int] = []
            var stack = [root]
            seen.insert(root)
            while let a = stack.popLast() {
                component.append(a)
                for q in residual[a] where seenPayments.insert(q).inserted {
                    for b in adsOfPayment[q] ?? [] where seen.insert(b).inserted { stack.append(b) }
                }
            }
            components.append(component)
        }
        return components
    }

    typealias Complete = (assignment: [Int], weight: MatchWeight, logLikelihood: Double)

    /// Every complete assignment of a contest (each ad, in posting order, a payment in its window, no payment
    /// twice), with its weight by the earlier criteria and its log-likelihood under the delay model.
    static func completeAssignments(_ byPosting: [Int], residual: [[Int]], ads: [Ad], payments: [SitePayment],
                                    model: DelayModel, weight: (Int, Int) -> MatchWeight) -> [Complete] {
        var complete: [Complete] = []
        var chosen: [Int] = []
        var used = Set<Int>()
        func extend(_ i: Int, _ w: MatchWeight, _ ll: Double) {
            if i == byPosting.count { complete.append((chosen, w, ll)); return }
            let a = byPosting[i]
            for q in residual[a] where !used.contains(q) {
                used.insert(q); chosen.append(q)
                extend(i + 1, w + weight(a, q), ll + model.logDensity(ads[a].postedAt - payments[q].time))
                used.remove(q); chosen.removeLast()
            }
        }
        extend(0, .zero, 0)
        return complete
    }
}
