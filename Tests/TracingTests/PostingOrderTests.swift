import BitcoinPrimitives
import Testing
import Tracing

#if canImport(Darwin)
import Darwin
#else
import Glibc
#endif

/// The posting-order rule on hand-built cases: ads of one price and contact that price, window, exclusion
/// and contact affinity cannot separate.
@Suite struct PostingOrderTests {
    static let day: Int64 = 86_400
    static let t: Int64 = 1_500_000_000

    func payment(_ i: Int, tx: Int, value: Int64, time: Int64, payer: Int) -> SitePayment {
        SitePayment(output: i, tx: tx, vout: 0, value: value, outputValue: value, receiverContribution: 0,
                    time: time, height: 1, address: i, payerCluster: payer, inputClusters: [payer])
    }

    /// Twelve ads with prices of their own, each posted some minutes after its payment's block: `unique`
    /// matches whose delays the rule fits its density to. Far from `t`, so they compete with nothing.
    func background() -> (ads: [Ad], payments: [SitePayment], delays: [Int64]) {
        var ads: [Ad] = [], payments: [SitePayment] = [], delays: [Int64] = []
        for i in 0 ..< 12 {
            let posted = Self.t - Int64(i + 2) * Self.day
            let delay = Int64(20 + (i * 7) % 40) * 60
            ads.append(Ad(id: "bg\(i)", postedAt: posted, price: .btc(Amount(satoshis: 1_000_000 + Int64(i))), contact: "bg\(i)"))
            payments.append(payment(i, tx: 100 + i, value: 1_000_000 + Int64(i), time: posted - delay, payer: 100 + i))
            delays.append(delay)
        }
        return (ads, payments, delays)
    }

    /// The posterior of the order-preserving assignment of two ads and two payments, computed here from the
    /// definition: normal density fitted to the background delays, uniform prior over the two assignments.
    func twoByTwoPosterior(delays: [Int64], sorted: [Int64], crossed: [Int64]) -> Double {
        let n = Double(delays.count)
        let mean = delays.reduce(0.0) { $0 + Double($1) } / n
        let sd = (delays.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        func ll(_ ds: [Int64]) -> Double { ds.reduce(0.0) { $0 - ((Double($1) - mean) / sd) * ((Double($1) - mean) / sd) / 2 } }
        return 1 / (1 + exp(ll(crossed) - ll(sorted)))
    }

    func threeDecimals(_ x: Double) -> String {
        let m = Int((x * 1000).rounded())
        let frac = String(m % 1000)
        return "\(m / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    @Test func balancedCompetitionFollowsPostingOrderWhenTheDelaysSpeakClearly() {
        let bg = background()
        let price = Amount(satoshis: 120_000)
        // A posted at t, B 100 min later; payments 30 min before each. Both ads accept both payments, same
        // contact, different payers: only posting order separates them.
        let ads = bg.ads + [
            Ad(id: "B", postedAt: Self.t + 100 * 60, price: .btc(price), contact: "same"),
            Ad(id: "A", postedAt: Self.t, price: .btc(price), contact: "same"),
        ]
        let payments = bg.payments + [
            payment(12, tx: 1, value: 120_000, time: Self.t + 70 * 60, payer: 1),
            payment(13, tx: 2, value: 120_000, time: Self.t - 30 * 60, payer: 2),
        ]
        let names = payments.indices.map { "tx\($0):0" }
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable(), paymentNames: names)
        #expect(m.prefix(12).allSatisfy { $0.status == .matched && $0.basis == .unique })
        let (b, a) = (m[12], m[13])
        #expect(a.status == .matched && a.basis == .postingOrder && a.payment == 13)
        #expect(b.status == .matched && b.basis == .postingOrder && b.payment == 12)
        #expect(a.confidence < 0.7 && a.confidence > 0)
        let p = twoByTwoPosterior(delays: bg.delays, sorted: [30 * 60, 30 * 60], crossed: [-70 * 60, 130 * 60])
        #expect(p > 0.95)
        #expect(a.reason.contains("posterior probability 1.000") && a.reason.contains("tx13:0") && a.reason.contains("A, B"))
    }

    @Test func posteriorFollowsTheFittedDensityAndDecidesOnlyAboveTheBar() {
        let bg = background()
        let price = Amount(satoshis: 120_000)
        // Payments 8 min apart, ads 40 min apart: the order-preserving assignment is the more likely, but not by
        // enough to decide.
        let ads = bg.ads + [
            Ad(id: "A", postedAt: Self.t, price: .btc(price), contact: "same"),
            Ad(id: "B", postedAt: Self.t + 40 * 60, price: .btc(price), contact: "same"),
        ]
        let close = bg.payments + [
            payment(12, tx: 1, value: 120_000, time: Self.t - 30 * 60, payer: 1),
            payment(13, tx: 2, value: 120_000, time: Self.t - 22 * 60, payer: 2),
        ]
        let m = AdMatching.match(ads: ads, payments: close, rates: RateTable())
        let p = twoByTwoPosterior(delays: bg.delays, sorted: [30 * 60, 62 * 60], crossed: [22 * 60, 70 * 60])
        #expect(p > 0.5 && p < 0.95)
        for x in m[12...] {
            #expect(x.status == .ambiguous && x.payment == nil)
            #expect(x.reason.contains("too close") && x.reason.contains(threeDecimals(p)))
        }
        // Payments in one block: a coin toss.
        let sameBlock = bg.payments + [
            payment(12, tx: 1, value: 120_000, time: Self.t - 30 * 60, payer: 1),
            payment(13, tx: 2, value: 120_000, time: Self.t - 30 * 60, payer: 2),
        ]
        let s = AdMatching.match(ads: ads, payments: sameBlock, rates: RateTable())
        #expect(s[12...].allSatisfy { $0.status == .ambiguous && $0.reason.contains("0.500") })
    }

    @Test func samePayerSameContactDecidesWherePostingOrderCannot() {
        let bg = background()
        let price = Amount(satoshis: 120_000)
        // One transaction of payer 1 with two outputs of the price, one payment of payer 2, all in one block:
        // posting order is a coin toss. Ads X1 and X2 list one contact, Y another: giving the transaction's
        // two outputs to X1 and X2 uses one contact per payer, any other complete assignment more.
        let ads = bg.ads + [
            Ad(id: "X1", postedAt: Self.t, price: .btc(price), contact: "x"),
            Ad(id: "Y", postedAt: Self.t + 20 * 60, price: .btc(price), contact: "y"),
            Ad(id: "X2", postedAt: Self.t + 40 * 60, price: .btc(price), contact: "x"),
        ]
        let payments = bg.payments + [
            SitePayment(output: 12, tx: 1, vout: 0, value: 120_000, outputValue: 120_000, receiverContribution: 0,
                        time: Self.t - 10 * 60, height: 1, address: 12, payerCluster: 1, inputClusters: [1]),
            SitePayment(output: 13, tx: 1, vout: 1, value: 120_000, outputValue: 120_000, receiverContribution: 0,
                        time: Self.t - 10 * 60, height: 1, address: 13, payerCluster: 1, inputClusters: [1]),
            payment(14, tx: 2, value: 120_000, time: Self.t - 10 * 60, payer: 2),
        ]
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable())
        let (x1, y, x2) = (m[12], m[13], m[14])
        #expect(y.status == .matched && y.payment == 14 && y.basis == .fewestContacts)
        #expect(x1.status == .matched && x2.status == .matched)
        #expect(Set([x1.payment, x2.payment]) == Set([12, 13]))
        #expect(y.confidence < 0.6 && y.reason.contains("fewest contacts"))

        // Three contacts: every complete assignment uses three (payer, contact) pairs or more; no preference.
        var three = ads
        three[14].contact = "z"
        let n = AdMatching.match(ads: three, payments: payments, rates: RateTable())
        #expect(n[12...].allSatisfy { $0.status == .ambiguous && $0.payment == nil })
    }

    @Test func moreAdsThanPaymentsStayAmbiguousNamingTheCompetition() {
        let bg = background()
        let price = Amount(satoshis: 120_000)
        let ads = bg.ads + ["A", "B", "C"].enumerated().map {
            Ad(id: $1, postedAt: Self.t + Int64($0) * 3600, price: .btc(price), contact: "same")
        }
        let payments = bg.payments + [
            payment(12, tx: 1, value: 120_000, time: Self.t - 30 * 60, payer: 1),
            payment(13, tx: 2, value: 120_000, time: Self.t + 90 * 60, payer: 2),
        ]
        let names = payments.indices.map { "tx\($0):0" }
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable(), paymentNames: names)
        for x in m[12...] {
            #expect(x.status == .ambiguous && x.payment == nil)
            #expect(x.reason.contains("more ads than payments") && x.reason.contains("A, B, C"))
            #expect(x.reason.contains("tx12:0") && x.reason.contains("tx13:0"))
        }
    }

    @Test func withoutEnoughUniqueMatchesThereIsNoDensityAndNoDecision() {
        let price = Amount(satoshis: 120_000)
        let ads = [
            Ad(id: "A", postedAt: Self.t, price: .btc(price), contact: "same"),
            Ad(id: "B", postedAt: Self.t + 100 * 60, price: .btc(price), contact: "same"),
        ]
        let payments = [
            payment(0, tx: 1, value: 120_000, time: Self.t - 30 * 60, payer: 1),
            payment(1, tx: 2, value: 120_000, time: Self.t + 70 * 60, payer: 2),
        ]
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable())
        #expect(m.allSatisfy { $0.status == .ambiguous && $0.reason.contains("unique matches to estimate") })
    }
}
