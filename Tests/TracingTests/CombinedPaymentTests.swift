import BitcoinPrimitives
import Testing
import Tracing

/// One payment paying for several ads at once, on hand-built cases: taken only when the prices add up, the
/// ads list one contact, and nothing else explains the ads or the payment.
@Suite struct CombinedPaymentTests {
    static let t: Int64 = 1_600_000_000

    func payment(_ i: Int, tx: Int, value: Int64, time: Int64, payer: Int) -> SitePayment {
        SitePayment(output: i, tx: tx, vout: 0, value: value, outputValue: value, receiverContribution: 0,
                    time: time, height: 1, address: i, payerCluster: payer, inputClusters: [payer])
    }

    func btc(_ id: String, _ sat: Int64, at minutes: Int64, contact: String = "555-0101") -> Ad {
        Ad(id: id, postedAt: Self.t + minutes * 60, price: .btc(Amount(satoshis: sat)), contact: contact)
    }

    @Test func onePaymentCoversTwoAdsOfOneContactWhosePricesAddUp() {
        let ads = [btc("A", 100_000, at: 0), btc("B", 250_000, at: 20)]
        let payments = [payment(0, tx: 1, value: 350_000, time: Self.t - 10 * 60, payer: 7)]
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable())
        for (x, other) in [(m[0], 1), (m[1], 0)] {
            #expect(x.status == .matched && x.basis == .coversSeveral && x.payment == 0)
            #expect(x.coveredWith == [other])
            #expect(x.confidence > 0 && x.confidence < 0.85)
            #expect(x.reason.contains("0.00100000 + 0.00250000") || x.reason.contains("0.00250000 + 0.00100000"))
        }
    }

    @Test func noCoverWhenContactsDifferSumsMissOrTheBlockIsOutsideAWindow() {
        let payments = [payment(0, tx: 1, value: 350_000, time: Self.t - 10 * 60, payer: 7)]
        let otherContact = AdMatching.match(ads: [btc("A", 100_000, at: 0), btc("B", 250_000, at: 20, contact: "555-0199")],
                                            payments: payments, rates: RateTable())
        #expect(otherContact.allSatisfy { $0.status == .unmatched && $0.payment == nil && $0.coveredWith.isEmpty })
        let offBySatoshi = AdMatching.match(ads: [btc("A", 100_000, at: 0), btc("B", 250_001, at: 20)],
                                            payments: payments, rates: RateTable())
        #expect(offBySatoshi.allSatisfy { $0.status == .unmatched })
        // B posted 5 hours after the block: outside its window (180 min before posting).
        let late = AdMatching.match(ads: [btc("A", 100_000, at: 0), btc("B", 250_000, at: 300)],
                                    payments: payments, rates: RateTable())
        #expect(late.allSatisfy { $0.status == .unmatched })
    }

    @Test func anAdWithAPaymentOfItsOwnIsNotCombined() {
        // A is paid alone (unique); B and C are covered by the 350,000 payment, A stays with its own.
        let ads = [btc("A", 100_000, at: 0), btc("B", 250_000, at: 5), btc("C", 100_000, at: 10)]
        let payments = [
            payment(0, tx: 1, value: 100_000, time: Self.t - 20 * 60, payer: 7),
            payment(1, tx: 2, value: 350_000, time: Self.t - 15 * 60, payer: 7),
        ]
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable())
        // A and C both fit payment 0 alone: exclusion cannot separate them, so the pair is ambiguous, and
        // neither is free to be combined: B stays unmatched. Nothing is shared.
        #expect(m[1].status == .unmatched && m[1].payment == nil)
        #expect(m.allSatisfy { $0.basis != .coversSeveral })
        // With C priced apart from A, A takes payment 0 alone and B + C share payment 1.
        let apart = [btc("A", 100_000, at: 0), btc("B", 250_000, at: 5), btc("C", 120_000, at: 10)]
        let p2 = [payments[0], payment(1, tx: 2, value: 370_000, time: Self.t - 15 * 60, payer: 7)]
        let n = AdMatching.match(ads: apart, payments: p2, rates: RateTable())
        #expect(n[0].status == .matched && n[0].basis == .unique && n[0].payment == 0)
        #expect(n[1].basis == .coversSeveral && n[2].basis == .coversSeveral && n[1].payment == 1 && n[2].payment == 1)
    }

    @Test func twoWaysToCoverLeaveTheAdsUnmatchedWithTheReason() {
        // Two payments of 350,000 could each cover A + B: not one way only.
        let ads = [btc("A", 100_000, at: 0), btc("B", 250_000, at: 20)]
        let payments = [
            payment(0, tx: 1, value: 350_000, time: Self.t - 10 * 60, payer: 7),
            payment(1, tx: 2, value: 350_000, time: Self.t + 10 * 60, payer: 8),
        ]
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable())
        #expect(m.allSatisfy { $0.status == .unmatched && $0.payment == nil && $0.reason.contains("not in one way only") })
        // Three ads, any two of which add up to the payment: not one way either.
        let three = [btc("A", 100_000, at: 0), btc("B", 100_000, at: 5), btc("C", 100_000, at: 10)]
        let t = AdMatching.match(ads: three, payments: [payment(0, tx: 1, value: 200_000, time: Self.t, payer: 7)], rates: RateTable())
        #expect(t.allSatisfy { $0.status == .unmatched })
    }

    @Test func usdPricedAdsAddUpWithinTheTolerance() {
        let day = RateTable.day(ofUnix: Self.t)
        let rates = RateTable(usdPerBTC: [day: 400])  // $4 = 1,000,000 sat
        let ads = [
            Ad(id: "U1", postedAt: Self.t, price: .usdCents(400), contact: "x"),
            Ad(id: "U2", postedAt: Self.t + 600, price: .usdCents(400), contact: "x"),
        ]
        let within = AdMatching.match(ads: ads, payments: [payment(0, tx: 1, value: 2_040_000, time: Self.t, payer: 3)], rates: rates)
        #expect(within.allSatisfy { $0.status == .matched && $0.basis == .coversSeveral && $0.payment == 0 })
        let outside = AdMatching.match(ads: ads, payments: [payment(0, tx: 1, value: 2_100_000, time: Self.t, payer: 3)], rates: rates)
        #expect(outside.allSatisfy { $0.status == .unmatched })
    }

    @Test func coversAreBounded() {
        // Five ads of 100,000 and one payment of 500,000: beyond the bound of four ads per payment.
        let five = (0 ..< 5).map { btc("\($0)", 100_000 + Int64($0), at: Int64($0)) }
        let sum = five.reduce(Int64(0)) { acc, ad in if case .btc(let a) = ad.price { return acc + a.satoshis }; return acc }
        let m = AdMatching.match(ads: five, payments: [payment(0, tx: 1, value: sum, time: Self.t, payer: 3)], rates: RateTable())
        #expect(m.allSatisfy { $0.status == .unmatched })
        let four = Array(five.prefix(4))
        let sum4 = sum - 100_004
        let n = AdMatching.match(ads: four, payments: [payment(0, tx: 1, value: sum4, time: Self.t, payer: 3)], rates: RateTable())
        #expect(n.allSatisfy { $0.status == .matched && $0.coveredWith.count == 3 })
    }
}
