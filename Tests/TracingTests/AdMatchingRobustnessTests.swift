import BitcoinPrimitives
import Testing
@testable import Tracing

/// Ad matching on input an adversary or a bad scrape can produce: extreme numbers, and many ads competing
/// for a few payments.
@Suite struct AdMatchingRobustnessTests {
    static let t: Int64 = 1_500_000_000

    static func payment(_ i: Int, tx: Int, value: Int64, time: Int64, payer: Int) -> SitePayment {
        SitePayment(output: i, tx: tx, vout: i, value: value, outputValue: value, receiverContribution: 0,
                    time: time, height: 1, address: i, payerCluster: payer, inputClusters: [payer])
    }

    /// Every number the matcher reads at its limits: times at the ends of Int64, a USD price of Int64.max
    /// cents, a rate of 1e-300 (the price converts to infinity), windows of Int.max minutes. The old matcher
    /// trapped (SIGILL) on each; now every such ad ends unmatched with a reason, and ordinary ads still match.
    @Test func extremeNumbersNeverTrap() {
        let day = RateTable.day(ofUnix: Self.t)
        let rates = RateTable(usdPerBTC: [day: 1e-300, RateTable.day(ofUnix: .max): 400, RateTable.day(ofUnix: .min): 400])
        let ads = [
            Ad(id: "late", postedAt: .max, price: .btc(Amount(satoshis: 5000)), contact: "a"),
            Ad(id: "early", postedAt: .min, price: .btc(Amount(satoshis: 5000)), contact: "a"),
            Ad(id: "huge-usd", postedAt: .max, price: .usdCents(.max), contact: "b"),
            Ad(id: "tiny-rate", postedAt: Self.t, price: .usdCents(400), contact: "c"),
            Ad(id: "too-much-btc", postedAt: Self.t, price: .btc(Amount(satoshis: .max)), contact: "d"),
            Ad(id: "ordinary", postedAt: Self.t, price: .btc(Amount(satoshis: 7777)), contact: "e"),
        ]
        let payments = [
            Self.payment(0, tx: 1, value: 5000, time: .max, payer: 1),
            Self.payment(1, tx: 2, value: 5000, time: .min, payer: 2),
            Self.payment(2, tx: 3, value: .max, time: Self.t, payer: 3),
            Self.payment(3, tx: 4, value: 7777, time: Self.t - 60, payer: 4),
        ]
        for window in [0, 180, Int.max, Int.min] {
            let p = AdMatchingParameters(windowBeforeMinutes: window, windowAfterMinutes: window, tolerancePercent: 3)
            let m = AdMatching.match(ads: ads, payments: payments, rates: rates, parameters: p)
            #expect(m.count == ads.count)
            #expect(m[2].status == .unmatched && m[2].reason.contains("21 million"))
            #expect(m[3].status == .unmatched && m[3].reason.contains("21 million"))
            #expect(m[4].status == .unmatched && m[4].reason.contains("21 million"))
            if window > 0 { #expect(m[5].status == .matched && m[5].payment == 3) }
        }
        // The ads at the ends of time still match the payments at the ends of time.
        let m = AdMatching.match(ads: ads, payments: payments, rates: rates)
        #expect(m[0].payment == 0 && m[1].payment == 1)
    }

    /// A scrape whose ads share one `posted_at`: 3,000 ads of one price compete for 6 payments. The old
    /// matcher re-solved the whole component for every ad (200 ads took 6.8 s, 400 over a minute); this
    /// answers each ad from its own candidates. The time limit is a hang guard, not a speed claim (the
    /// speed is measured by Tests/Benchmarks/match-ads.sh).
    @Test(.timeLimit(.minutes(1))) func manyAdsCompetingForFewPayments() {
        let ads = (0 ..< 3000).map { Ad(id: "ad\($0)", postedAt: Self.t, price: .btc(Amount(satoshis: 40_000)), contact: "555-01\($0 % 7)") }
        let payments = (0 ..< 6).map { Self.payment($0, tx: 10 + $0, value: 40_000, time: Self.t - 600, payer: $0) }
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable())
        #expect(m.allSatisfy { $0.status == .ambiguous && $0.candidates.count == 6 })
        #expect(m[0].reason.contains("more ads than payments") || m[0].reason.contains("none is chosen"))
    }

    /// `OptimalAssignments` against enumeration of every assignment on small random problems: the best
    /// weight, and for every row and column whether some best assignment pairs them or leaves the row out.
    @Test func optimalAssignmentsAgreeWithEnumeration() {
        var rng = SeededRandomish(seed: 2024)
        for _ in 0 ..< 3000 {
            let rows = Int(rng.next() % 6), columns = Int(rng.next() % 5) + 1
            var edges: [[OptimalAssignments.Edge]] = []
            for _ in 0 ..< rows {
                var es: [OptimalAssignments.Edge] = []
                for c in 0 ..< columns where rng.next() % 2 == 0 {
                    es.append(.init(column: c, weight: .match(affinity: Int(rng.next() % 3))))
                }
                edges.append(es)
            }
            let solved = OptimalAssignments(rowCount: rows, columnCount: columns, edges: edges)
            let all = Self.everyAssignment(edges: edges)
            let best = all.map(\.weight).max() ?? .zero
            let optimal = all.filter { $0.weight == best }
            #expect(solved.totalWeight == best)
            for r in 0 ..< rows {
                #expect(solved.someOptimumLeavesUnassigned(r) == optimal.contains { $0.columns[r] == nil }, "\(edges)")
                for c in 0 ..< columns {
                    #expect(solved.someOptimumAssigns(r, c) == optimal.contains { $0.columns[r] == c }, "\(edges) \(r) \(c)")
                }
            }
        }
    }

    static func everyAssignment(edges: [[OptimalAssignments.Edge]]) -> [(columns: [Int?], weight: MatchWeight)] {
        var out: [(columns: [Int?], weight: MatchWeight)] = []
        var chosen: [Int?] = []
        var used = Set<Int>()
        func extend(_ r: Int, _ w: MatchWeight) {
            if r == edges.count { out.append((chosen, w)); return }
            chosen.append(nil); extend(r + 1, w); chosen.removeLast()
            for e in edges[r] where !used.contains(e.column) {
                used.insert(e.column); chosen.append(e.column)
                extend(r + 1, w + e.weight)
                used.remove(e.column); chosen.removeLast()
            }
        }
        extend(0, .zero)
        return out
    }
}
