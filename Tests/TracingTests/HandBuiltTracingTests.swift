import BitcoinPrimitives
import ChainIndex
import Testing
import Tracing

/// Small chains written out transaction by transaction, one rule at a time.
struct MiniChain {
    var builder = ChainIndex.Builder()
    var count = 0
    static let p2sh: UInt8 = 3, p2wpkh: UInt8 = 6, p2pkh: UInt8 = 2

    func txid(_ n: Int) -> Txid {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = UInt8(n & 0xff); bytes[1] = UInt8(n >> 8); bytes[31] = 0x42
        return Txid(digest: Digest32(bytes: bytes)!)
    }

    /// Adds a transaction; inputs are (tx number, vout); outputs are (address, value, kind). Returns its number.
    @discardableResult
    mutating func tx(time: Int64 = 1_000, _ inputs: [(Int, Int)], _ outputs: [(Int, Int64, UInt8)]) -> Int {
        let ins: [ChainIndex.Builder.Input] = inputs.isEmpty ? [.init(previous: nil)]
            : inputs.map { .init(previous: (txid($0.0), $0.1)) }
        builder.add(txid: txid(count), height: Int32(count), time: time, inputs: ins,
                    outputs: outputs.map { .init(address: $0.0, value: $0.1, kind: $0.2) })
        count += 1
        return count - 1
    }

    mutating func graph() -> ChainIndex { builder.finish() }
}

@Suite struct SplitTests {
    @Test func proportionalSplitConservesEverySatoshi() {
        var rng = SeededRandomish(seed: 7)
        for _ in 0 ..< 500 {
            let weights = (0 ..< Int(rng.next() % 6 + 1)).map { _ in Int64(rng.next() % 1_000_000) }
            let amount = Int64(rng.next() % 10_000_000)
            let parts = FlowTracer.proportional(amount, weights: weights)
            #expect(parts.reduce(0, +) == amount)
            #expect(parts.allSatisfy { $0 >= 0 })
        }
        #expect(FlowTracer.proportional(10, weights: [1, 1, 1]) == [4, 3, 3])
        #expect(FlowTracer.proportional(100, weights: [300, 100]) == [75, 25])
    }

    @Test func fifoAndTihoFollowTheirDefinitions() {
        // Inputs 5 and 3 laid end to end; outputs 4 and 3, fee 1.
        let fifo = FlowTracer.splitForward(amount: 3, inputPosition: 1, inputValues: [5, 3], outputValues: [4, 3], fee: 1, policy: .fifo)
        // Input 1 spans [5, 8): output 1 spans [4, 7) and the fee [7, 8).
        #expect(fifo.outputs == [0, 2] && fifo.fee == 1)
        let tiho = FlowTracer.splitForward(amount: 5, inputPosition: 0, inputValues: [5, 3], outputValues: [4, 3], fee: 1, policy: .tiho)
        #expect(tiho.outputs == [4, 1] && tiho.fee == 0)
        let haircut = FlowTracer.splitForward(amount: 8, inputPosition: 0, inputValues: [5, 3], outputValues: [4, 3], fee: 1, policy: .haircut)
        #expect(haircut.outputs == [4, 3] && haircut.fee == 1)
    }
}

struct SeededRandomish {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct SiteExpansionTests {
    /// Two sweeps of fresh invoices into one cold address join; a payer's change-carrying payment to an
    /// address disqualifies it as a cold store.
    @Test func coldSweepDestinationJoinsSweeps() {
        var c = MiniChain()
        let fund = c.tx([], [(100, 10_000_000, MiniChain.p2wpkh)])
        let pay1 = c.tx([(fund, 0)], [(1, 1000, MiniChain.p2sh), (2, 1000, MiniChain.p2sh), (3, 1000, MiniChain.p2sh), (4, 1000, MiniChain.p2sh), (101, 9_990_000, MiniChain.p2wpkh)])
        let sweep1 = c.tx([(pay1, 0), (pay1, 1)], [(50, 1900, MiniChain.p2wpkh)])
        let sweep2 = c.tx([(pay1, 2), (pay1, 3)], [(50, 1900, MiniChain.p2wpkh)])
        let g = c.graph()
        // Each sweep its own cluster (common-input only): 1,2 together; 3,4 together.
        var clusterOf = Array(0 ... 101)
        clusterOf[2] = 1; clusterOf[4] = 3
        let clusters = ClusterAssignment(clusterOf: clusterOf)
        let site = SiteExpansion.expand(seeds: [1], graph: g, clusters: clusters)
        #expect(site.members == [1, 2, 3, 4, 50])
        #expect(site.evidence.contains { $0.rule == .coldSweep && $0.tx == sweep2 })
        _ = sweep1
        let plain = SiteExpansion.expand(seeds: [1], graph: g, clusters: clusters, rules: SiteExpansionRules(coldSweep: false))
        #expect(plain.members == [1, 2])
    }

    @Test func anAddressThatReceivesOrdinaryPaymentsIsNoColdStore() {
        var c = MiniChain()
        let fund = c.tx([], [(100, 10_000_000, MiniChain.p2wpkh)])
        let pay1 = c.tx([(fund, 0)], [(1, 1000, MiniChain.p2sh), (2, 1000, MiniChain.p2sh), (3, 1000, MiniChain.p2sh), (4, 1000, MiniChain.p2sh), (101, 9_990_000, MiniChain.p2wpkh)])
        c.tx([(pay1, 0), (pay1, 1)], [(60, 1900, MiniChain.p2wpkh)])
        c.tx([(pay1, 2), (pay1, 3)], [(60, 1900, MiniChain.p2wpkh)])
        // Someone else pays address 60 with change: an exchange deposit address, not a cold store.
        c.tx([(pay1, 4)], [(60, 5000, MiniChain.p2wpkh), (102, 9_984_000, MiniChain.p2wpkh)])
        let g = c.graph()
        var clusterOf = Array(0 ... 102)
        clusterOf[2] = 1; clusterOf[4] = 3
        let site = SiteExpansion.expand(seeds: [1], graph: g, clusters: ClusterAssignment(clusterOf: clusterOf))
        #expect(site.members == [1, 2])
    }

    @Test func payjoinReceiverInputIsAddedAloneAndNetsThePayment() {
        var c = MiniChain()
        let fund = c.tx([], [(100, 10_000_000, MiniChain.p2wpkh), (7, 1200, MiniChain.p2sh)])
        // Site invoice 7 (p2sh) was paid 1200 earlier; the payer (p2wpkh) pays 1200 more to invoice 8 in a PayJoin.
        let pj = c.tx([(fund, 0), (fund, 1)], [(8, 2400, MiniChain.p2sh), (101, 9_999_000, MiniChain.p2wpkh)])
        let g = c.graph()
        var clusterOf = Array(0 ... 101)
        clusterOf[100] = 7  // common-input merged the payer with the site's input address
        let clusters = ClusterAssignment(clusterOf: clusterOf)
        let site = SiteExpansion.expand(seeds: [8], graph: g, clusters: clusters)
        #expect(site.members == [7, 8])
        #expect(site.extraAddresses == [7])
        let payments = SitePayments.find(site: site, graph: g, clusters: clusters)
        #expect(payments.count == 1)  // the PayJoin (the funding output to 7 is a coinbase)
        let p = payments.first { $0.tx == pj }
        #expect(p?.value == 1200 && p?.receiverContribution == 1200)

        // Same shape but the inputs share the paid address's type: not taken as a PayJoin.
        var d = MiniChain()
        let f2 = d.tx([], [(100, 10_000_000, MiniChain.p2sh), (7, 1200, MiniChain.p2sh)])
        d.tx([(f2, 0), (f2, 1)], [(8, 2400, MiniChain.p2sh), (101, 9_999_000, MiniChain.p2wpkh)])
        let g2 = d.graph()
        let site2 = SiteExpansion.expand(seeds: [8], graph: g2, clusters: .singletons(addressCapacity: 102))
        #expect(site2.members == [8])
    }
}

/// The site cluster is built from the site's own transactions; a cluster that pays the site never joins it.
@Suite struct SiteRoleTests {
    static let w = MiniChain.p2wpkh, sh = MiniChain.p2sh

    /// An advertiser (wallet 200…203) pays four invoices, the site sweeps them into its cold address 50, then
    /// spends its cold coin in a PayJoin with the advertiser paying invoice 5. The clustering merged the cold
    /// address with the advertiser's whole wallet (common input, then change): the site must not take it.
    @Test func aPayJoinSpendingTheSiteColdCoinNeverBringsThePayer() {
        var c = MiniChain()
        let fund = c.tx([], [(200, 10_000_000, Self.w)])
        let ads = c.tx([(fund, 0)], [(1, 1000, Self.sh), (2, 1000, Self.sh), (3, 1000, Self.sh), (4, 1000, Self.sh),
                                     (202, 9_990_000, Self.w)])
        let sweep1 = c.tx([(ads, 0), (ads, 1)], [(50, 1900, Self.w)])
        c.tx([(ads, 2), (ads, 3)], [(50, 1900, Self.w)])
        // The PayJoin: the site's cold coin (1900) and the advertiser's coin; invoice 5 gets 1900 + 1200.
        let payjoin = c.tx([(sweep1, 0), (ads, 4)], [(5, 3100, Self.sh), (203, 9_988_000, Self.w)])
        let sweep3 = c.tx([(payjoin, 0)], [(50, 3000, Self.w)])
        let g = c.graph()
        var clusterOf = Array(0 ... 203)
        clusterOf[2] = 1; clusterOf[4] = 3
        for a in [200, 202, 203] { clusterOf[a] = 50 }
        let clusters = ClusterAssignment(clusterOf: clusterOf)
        let site = SiteExpansion.expand(seeds: [1], graph: g, clusters: clusters)
        #expect(site.members == [1, 2, 3, 4, 5, 50])
        #expect(site.evidence.contains { $0.rule == .coldSweep && $0.tx == sweep3 })
        // The PayJoin is a payment of 1200 into the site, by the cluster the clustering made of the advertiser.
        let payments = SitePayments.find(site: site, graph: g, clusters: clusters)
        let p = payments.first { $0.tx == payjoin }
        #expect(p?.value == 1200 && p?.receiverContribution == 1900 && p?.payerCluster == 50)
        #expect(payments.filter { $0.tx == ads }.count == 4)
        // What guard.roles reads, before any clustering: on single addresses the sweeps alone show the cold address
        // 50 and invoice 5 as the site's, whatever the PayJoin's amounts; the payer's 202 and 203 stay outside.
        let own = SiteExpansion.expand(seeds: [1], graph: g, clusters: .singletons(addressCapacity: 204))
        #expect(own.contains(50) && own.contains(5) && !own.contains(202) && !own.contains(203))
    }

    /// The same with the advertiser paying without change (one output): a one-output transaction is otherwise a
    /// consolidation, but the advertiser's coin belongs to a cluster that pays the site.
    @Test func aChangelessPayJoinIsNoConsolidation() {
        var c = MiniChain()
        let fund = c.tx([], [(200, 10_000_000, Self.w)])
        let ads = c.tx([(fund, 0)], [(1, 1000, Self.sh), (2, 1000, Self.sh), (202, 5000, Self.w), (204, 9_990_000, Self.w)])
        let sweep = c.tx([(ads, 0), (ads, 1)], [(7, 1900, Self.sh)])
        c.tx([(sweep, 0), (ads, 2)], [(5, 6800, Self.sh)])
        let g = c.graph()
        var clusterOf = Array(0 ... 204)
        clusterOf[202] = 200; clusterOf[204] = 200
        let site = SiteExpansion.expand(seeds: [1], graph: g, clusters: ClusterAssignment(clusterOf: clusterOf))
        #expect(site.members == [1, 2])
        #expect(!site.contains(202) && !site.contains(7))
    }

    /// A cash-out: the site spends a known coin with one it had not shown yet, pays an exchange deposit address and
    /// takes change. It pays no site address and nobody in it pays the site: the unknown coin is the site's.
    @Test func aCashOutBringsItsOtherInputsButNotThePayee() {
        var c = MiniChain()
        let fund = c.tx([], [(200, 10_000_000, Self.w)])
        let ads = c.tx([(fund, 0)], [(1, 1000, Self.sh), (2, 1000, Self.sh), (204, 9_990_000, Self.w)])
        let other = c.tx([], [(8, 5000, Self.sh)])
        let cashout = c.tx([(ads, 0), (other, 0)], [(300, 4000, Self.w), (9, 1900, Self.sh)])
        let g = c.graph()
        let site = SiteExpansion.expand(seeds: [1], graph: g, clusters: .singletons(addressCapacity: 301))
        #expect(site.members == [1, 8])
        #expect(site.evidence.contains { $0.rule == .cospend && $0.tx == cashout && $0.address == 8 })
        _ = ads
    }
}

@Suite struct AdMatchingTests {
    func payment(_ output: Int, tx: Int, value: Int64, time: Int64, payer: Int) -> SitePayment {
        SitePayment(output: output, tx: tx, vout: output, value: value, outputValue: value, receiverContribution: 0,
                    time: time, height: 1, address: output, payerCluster: payer, inputClusters: [payer])
    }

    @Test func uniqueForcedInterchangeableAndAmbiguous() {
        let t: Int64 = 1_000_000
        let ads = [
            Ad(id: "unique", postedAt: t, price: .btc(Amount(satoshis: 600_000)), contact: "a"),
            // Two ads of 120,000 sat, two outputs of one transaction: interchangeable.
            Ad(id: "i1", postedAt: t, price: .btc(Amount(satoshis: 120_000)), contact: "b"),
            Ad(id: "i2", postedAt: t + 60, price: .btc(Amount(satoshis: 120_000)), contact: "b"),
            // One ad, two payments of 250,000 by different payers at the same time: ambiguous.
            Ad(id: "amb", postedAt: t, price: .btc(Amount(satoshis: 250_000)), contact: "c"),
            // Priced where no payment exists.
            Ad(id: "none", postedAt: t, price: .btc(Amount(satoshis: 999)), contact: "d"),
        ]
        let payments = [
            payment(0, tx: 10, value: 600_000, time: t - 600, payer: 1),
            payment(1, tx: 11, value: 120_000, time: t - 600, payer: 2),
            payment(2, tx: 11, value: 120_000, time: t - 600, payer: 2),
            payment(3, tx: 12, value: 250_000, time: t - 600, payer: 3),
            payment(4, tx: 13, value: 250_000, time: t - 600, payer: 4),
        ]
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable())
        #expect(m[0].status == .matched && m[0].basis == .unique && m[0].payment == 0)
        #expect(m[1].status == .matched && m[2].status == .matched)
        #expect(Set([m[1].payment, m[2].payment]) == Set([1, 2]))
        #expect(m[1].interchangeableWith == [2])
        #expect(m[3].status == .ambiguous && m[3].payment == nil && m[3].candidates == [3, 4])
        #expect(m[4].status == .unmatched && m[4].reason.contains("no payment"))
    }

    @Test func exclusionForcesAndPaymentsAreNeverReused() {
        let t: Int64 = 2_000_000
        // Ad A fits payments 0 and 1; ad B fits only payment 0: B takes 0, so A must take 1.
        let ads = [
            Ad(id: "A", postedAt: t, price: .btc(Amount(satoshis: 5000)), contact: "x"),
            Ad(id: "B", postedAt: t + 7200, price: .btc(Amount(satoshis: 5000)), contact: "y"),
        ]
        let payments = [
            payment(0, tx: 1, value: 5000, time: t + 3600, payer: 1),
            payment(1, tx: 2, value: 5000, time: t - 3600, payer: 2),
        ]
        let p = AdMatchingParameters(windowBeforeMinutes: 90, windowAfterMinutes: 90, tolerancePercent: 1)
        let m = AdMatching.match(ads: ads, payments: payments, rates: RateTable(), parameters: p)
        #expect(m[1].payment == 0 && m[1].status == .matched)
        #expect(m[0].payment == 1 && m[0].basis == .forcedByExclusion)
        // Three ads, one payment: it serves one ad only.
        let three = (0 ..< 3).map { Ad(id: "\($0)", postedAt: t, price: .btc(Amount(satoshis: 5000)), contact: "z") }
        let one = AdMatching.match(ads: three, payments: [payments[0]], rates: RateTable(), parameters: p)
        #expect(one.compactMap(\.payment).count <= 1)
        #expect(one.allSatisfy { $0.status != .matched })
    }

    @Test func usdPricesUseTheDaysRateWithinTolerance() {
        let day = 16_800
        let t = Int64(day) * 86_400 + 3600
        let rates = RateTable(usdPerBTC: [day: 400])
        let ads = [Ad(id: "u", postedAt: t, price: .usdCents(400), contact: "q")]  // $4 = 0.01 BTC = 1,000,000 sat
        let near = payment(0, tx: 1, value: 1_020_000, time: t, payer: 1)   // +2 %
        let far = payment(1, tx: 2, value: 1_050_000, time: t, payer: 2)    // +5 %
        let m = AdMatching.match(ads: ads, payments: [near, far], rates: rates)
        #expect(m[0].expectedSat == 1_000_000)
        #expect(m[0].payment == 0 && m[0].candidates == [0])
        let none = AdMatching.match(ads: ads, payments: [near], rates: RateTable())
        #expect(none[0].status == .unmatched && none[0].reason.contains("rate"))
    }
}

@Suite struct FlowTracerTests {
    @Test func clusterHopsAndTaggedStops() {
        var c = MiniChain()
        let exchange = c.tx([], [(1, 100_000, MiniChain.p2wpkh)])                 // exchange's coins
        let withdraw = c.tx([(exchange, 0)], [(2, 60_000, MiniChain.p2wpkh), (1, 39_000, MiniChain.p2wpkh)])
        let internalMove = c.tx([(withdraw, 0)], [(3, 59_000, MiniChain.p2wpkh)])  // payer 2 -> 3, same cluster
        let pay = c.tx([(internalMove, 0)], [(9, 50_000, MiniChain.p2sh), (4, 8_000, MiniChain.p2wpkh)])
        let g = c.graph()
        var clusterOf = Array(0 ... 9)
        clusterOf[3] = 2; clusterOf[4] = 2
        let clusters = ClusterAssignment(clusterOf: clusterOf)
        let start = [g.outputs(of: pay).lowerBound: Int64(50_000)]
        let tracer = FlowTracer(graph: g, clusters: clusters, stopClusters: [1])
        let r = tracer.trace(from: start, direction: .back, policy: .haircut, hops: 5)
        #expect(r.endpoints == [FlowEndpoint(kind: .tagged, cluster: 1): 50_000])
        #expect(r.minimumHops[FlowEndpoint(kind: .tagged, cluster: 1)] == 2)
        // Hop 1 is the payer: stopping there attributes everything to cluster 2.
        let one = FlowTracer(graph: g, clusters: clusters).trace(from: start, direction: .back, policy: .fifo, hops: 1)
        #expect(one.endpoints == [FlowEndpoint(kind: .hopLimit, cluster: 2): 50_000])
        // Poison counts value touched: at least the start, not conserved.
        let poison = FlowTracer(graph: g, clusters: clusters).trace(from: start, direction: .back, policy: .poison, hops: 5)
        #expect(poison.endpointTotal >= 50_000)
        // Forward from the exchange's coins: the payment output is unspent at the end.
        let fwd = FlowTracer(graph: g, clusters: clusters).trace(from: [0: 100_000], direction: .forward, policy: .haircut, hops: 5)
        #expect(fwd.endpointTotal == 100_000)
        #expect(fwd.endpoints[FlowEndpoint(kind: .unspent, cluster: 9)] != nil)
        #expect(fwd.endpoints[FlowEndpoint(kind: .fee, cluster: -1)] != nil)
    }
}
