/// One payment that pays for several ads at once: an advertiser buying two or three ads in one go may send
/// their summed price in a single output. Payments are otherwise never shared; this is the only exception,
/// and it is taken only where nothing else explains the ads or the payment.
///
/// Considered, after the one-to-one matching:
/// - ads left without a payment whose every single-payment candidate is taken by a matched ad (an ad that
///   still has a free candidate of its own price is better explained by it);
/// - payments no matched ad took and no unmatched ad wants on its own.
/// A payment *covers* a set of 2…`maximumAds` such ads when they all list the same contact, its block lies
/// in every one's window, and their prices add up to its value (to the satoshi when all are BTC prices; the
/// USD-priced part within the tolerance). A cover is accepted only when it is the payment's only cover and
/// its ads appear in no other cover of any payment.
enum CombinedPayments {
    /// Covers larger than this are not searched (the number of subsets grows fast and the coincidence of a sum
    /// matching by chance grows with it).
    static let maximumAds = 4
    /// Ads of one contact in a payment's window beyond this are not combined (the search is exponential).
    static let maximumPool = 12

    struct Cover: Hashable {
        var payment: Int
        var ads: [Int]
    }

    struct Result {
        var accepted: [Cover] = []
        /// Per ad considered: how many covers it appeared in when none was accepted for it.
        var rejected: [Int: Int] = [:]
    }

    static func find(ads: [Ad], payments: [SitePayment], candidates: [[Int]], expected: [Int64?],
                     matched: [Int: Int], parameters p: AdMatchingParameters) -> Result {
        let taken = Set(matched.values)
        var wanted = Set<Int>()
        for a in ads.indices where matched[a] == nil { for q in candidates[a] where !taken.contains(q) { wanted.insert(q) } }
        let eligible = ads.indices.filter { a in
            matched[a] == nil && expected[a] != nil && candidates[a].allSatisfy(taken.contains)
        }
        guard eligible.count >= 2 else { return Result() }
        // Eligible ads by posting time: a payment's block lies in an ad's window when the ad was posted
        // from `windowAfter` before the block to `windowBefore` after it.
        let byTime = eligible.filter { !ads[$0].contact.isEmpty }.sorted { (ads[$0].postedAt, $0) < (ads[$1].postedAt, $1) }
        let postedTimes = byTime.map { ads[$0].postedAt }

        var covers: [Cover] = []
        for q in payments.indices where !taken.contains(q) && !wanted.contains(q) {
            let pay = payments[q]
            var k = AdMatching.lowerBound(postedTimes, AdMatching.shifted(pay.time, byMinutes: p.windowAfterMinutes, earlier: true))
            let last = AdMatching.shifted(pay.time, byMinutes: p.windowBeforeMinutes)
            var inWindow: [Int] = []
            while k < byTime.count, postedTimes[k] <= last {
                if (expected[byTime[k]] ?? Int64.max) < pay.value { inWindow.append(byTime[k]) }
                k += 1
            }
            guard inWindow.count >= 2 else { continue }
            let byContact = Dictionary(grouping: inWindow) { ads[$0].contact }
            for contact in byContact.keys.sorted() {
                let pool = (byContact[contact] ?? []).sorted()
                guard pool.count >= 2, pool.count <= maximumPool else { continue }
                var chosen: [Int] = []
                func search(_ from: Int) {
                    if chosen.count >= 2 && sumFits(chosen, value: pay.value, ads: ads, expected: expected, parameters: p) {
                        covers.append(Cover(payment: q, ads: chosen))
                    }
                    guard chosen.count < maximumAds else { return }
                    for i in from ..< pool.count {
                        chosen.append(pool[i])
                        search(i + 1)
                        chosen.removeLast()
                    }
                }
                search(0)
            }
        }

        var coversOfPayment: [Int: Int] = [:]
        var coversOfAd: [Int: Int] = [:]
        for c in covers {
            coversOfPayment[c.payment, default: 0] += 1
            for a in c.ads { coversOfAd[a, default: 0] += 1 }
        }
        var result = Result()
        for c in covers {
            if coversOfPayment[c.payment] == 1 && c.ads.allSatisfy({ coversOfAd[$0] == 1 }) {
                result.accepted.append(c)
            }
        }
        let accepted = Set(result.accepted.flatMap(\.ads))
        for (a, n) in coversOfAd where !accepted.contains(a) { result.rejected[a] = n }
        return result
    }

    static func sumFits(_ group: [Int], value: Int64, ads: [Ad], expected: [Int64?], parameters p: AdMatchingParameters) -> Bool {
        var btc: Int64 = 0, usd: Int64 = 0
        for a in group {
            guard let e = expected[a] else { return false }
            switch ads[a].price {
            case .btc: btc += e
            case .usdCents: usd += e
            }
        }
        if usd == 0 { return value == btc }
        return abs(Double(value) - Double(btc) - Double(usd)) <= Double(usd) * p.tolerancePercent / 100
    }
}
