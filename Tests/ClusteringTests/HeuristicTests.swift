import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex
import Clustering
import Foundation
import SpoorTestSupport
import Testing

@Suite struct ExclusionTests {
    // Four wallets each pay 0.1 BTC into a mix and take change: a textbook CoinJoin.
    let coinjoin = tx(1, inputs: [(1, 15_000_000), (2, 12_000_000), (3, 20_000_000), (4, 11_000_000)],
                      outputs: [(10, 10_000_000), (11, 10_000_000), (12, 10_000_000), (13, 10_000_000),
                                (14, 4_990_000), (15, 1_990_000), (16, 9_990_000), (17, 990_000)])

    @Test func genericMatchesCoinJoin() {
        #expect(GenericCoinJoinExclusion().matches(view(coinjoin)))
        #expect(FundedGenericCoinJoinExclusion().matches(view(coinjoin)))
    }

    @Test func genericNeedsDistinctInputAddressesAndNoDust() {
        var sameOwner = coinjoin
        for i in sameOwner.inputs.indices { sameOwner.inputs[i].address = AddressID(1) }
        #expect(!GenericCoinJoinExclusion().matches(view(sameOwner)))
        let dust = tx(2, inputs: [(1, 5000), (2, 5000)], outputs: [(3, 546), (4, 546), (5, 7000)])
        #expect(!GenericCoinJoinExclusion().matches(view(dust)))
        let simplePayment = tx(3, inputs: [(1, 5000), (2, 5000)], outputs: [(3, 6000), (4, 3000)])
        #expect(!GenericCoinJoinExclusion().matches(view(simplePayment)))
    }

    /// BlockSci's rule flags a payment to two payees of the same amount (p = 2); the funded variant does not,
    /// because one input is worth more than anyone could take back.
    @Test func fundedVariantRejectsTwoEqualPayments() {
        let payment = tx(4, inputs: [(1, 3_998_094), (2, 77_079_048)],
                         outputs: [(3, 46_775_233), (4, 13_000_000), (5, 13_000_000), (6, 8_300_000)])
        #expect(GenericCoinJoinExclusion().matches(view(payment)))
        #expect(!FundedGenericCoinJoinExclusion().matches(view(payment)))
    }

    @Test func whirlpool() {
        let pool: Int64 = 1_000_000
        let mix = tx(5, inputs: [(1, pool), (2, pool), (3, pool + 50_000), (4, pool + 100_000), (5, pool)],
                     outputs: (10..<15).map { (UInt32($0), pool) })
        #expect(WhirlpoolExclusion().matches(view(mix)))
        let notPool = tx(6, inputs: mix.inputs.map { ($0.address?.raw, $0.value.satoshis) },
                         outputs: (10..<15).map { (UInt32($0), 1_234_567) })
        #expect(!WhirlpoolExclusion().matches(view(notPool)))
        let legacy = tx(7, inputs: mix.inputs.map { ($0.address?.raw, $0.value.satoshis) },
                        outputs: (10..<15).map { (UInt32($0), pool) }, inKind: .pubkeyhash)
        #expect(!WhirlpoolExclusion().matches(view(legacy)))
    }

    @Test func wasabi1() {
        var inputs: [(UInt32?, Int64)] = (0..<12).map { (UInt32($0), 12_000_000) }
        inputs.append((100, 30_000_000))
        var outputs: [(UInt32?, Int64)] = (200..<211).map { (UInt32($0), 10_010_000) }
        outputs.append((300, 1_500_000)); outputs.append((301, 300_000))
        #expect(Wasabi1Exclusion().matches(view(tx(8, inputs: inputs, outputs: outputs))))
        let fewEqual = Array(outputs.prefix(5)) + [(300, 1_500_000), (301, 300_000)]
        #expect(!Wasabi1Exclusion().matches(view(tx(9, inputs: inputs, outputs: fewEqual))))
    }

    @Test func wasabi2() {
        let inputs: [(UInt32?, Int64)] = (0..<20).map { (UInt32($0), Int64(50_000_000 - $0 * 1_000_000)) }
        var outputs: [(UInt32?, Int64)] = (100..<110).map { (UInt32($0), 10_000_000) }
        outputs += (110..<120).map { (UInt32($0), 5_000_000) }
        outputs.append((120, 1_234))
        #expect(Wasabi2Exclusion().matches(view(tx(10, inputs: inputs, outputs: outputs))))
        let ascending = Array(inputs.reversed())
        #expect(!Wasabi2Exclusion().matches(view(tx(11, inputs: ascending, outputs: outputs))))
    }

    @Test func joinMarket() {
        // Taker + 2 makers: 3 equal outputs, 2 maker changes that include a 15 000 sat maker fee; the taker
        // (21M in) takes no change and pays the fees.
        let t = tx(12, inputs: [(1, 29_000_000), (2, 25_000_000), (3, 21_000_000)],
                   outputs: [(10, 20_000_000), (11, 20_000_000), (12, 20_000_000), (13, 9_015_000), (14, 5_015_000)])
        #expect(JoinMarketExclusion().matches(view(t)))
        // Two payees of 6.1M plus change: Dumplings' shortcut passes it, the balance check does not
        // (no split of the inputs leaves 2 332 048 as one participant's change).
        let twoPayees = tx(15, inputs: [(1, 7_980_618), (2, 6_554_079)],
                           outputs: [(10, 6_100_000), (11, 2_332_048), (12, 6_100_000)])
        #expect(!JoinMarketExclusion().matches(view(twoPayees)))
        #expect(GenericCoinJoinExclusion().matches(view(twoPayees)))
        #expect(!FundedGenericCoinJoinExclusion().matches(view(twoPayees)))
        let batch = tx(13, inputs: [(1, 300_000_000), (2, 1000)],
                       outputs: [(10, 20_000_000), (11, 20_000_000), (12, 20_000_000), (13, 1_000), (14, 5_000)])
        #expect(!JoinMarketExclusion().matches(view(batch)))
    }

    @Test func coinbase() {
        #expect(CoinbaseExclusion().matches(view(tx(14, inputs: [], outputs: [(1, 50)], coinbase: true))))
        #expect(!CoinbaseExclusion().matches(view(tx(15, inputs: [(1, 60)], outputs: [(2, 50)]))))
    }
}

@Suite struct ChangeHeuristicTests {
    @Test func optimalNamesOutputSmallerThanEveryInput() {
        let t = tx(1, inputs: [(1, 50_000), (2, 40_000)], outputs: [(3, 70_000), (4, 19_000)])
        #expect(OptimalChange().candidates(in: view(t)) == OutputSet([1]))
        let none = tx(2, inputs: [(1, 50_000)], outputs: [(3, 60_000)])
        #expect(OptimalChange().candidates(in: view(none)).isEmpty)
    }

    @Test func addressTypeNeedsOneInputType() {
        let t = tx(1, inputs: [(1, 50_000)], outputs: [(3, 30_000), (4, 19_000)],
                   outKinds: [.pubkeyhash, .witnessV0KeyHash])
        #expect(AddressTypeChange().candidates(in: view(t)) == OutputSet([1]))
        var mixed = t
        mixed.inputs.append(.init(address: addr(9), value: 10, kind: .pubkeyhash))
        #expect(AddressTypeChange().candidates(in: view(mixed)).isEmpty)
    }

    @Test func roundPaymentNamesTheNonRoundOutputs() {
        let t = tx(1, inputs: [(1, 9_000_000)], outputs: [(3, 5_000_000), (4, 3_987_654)])
        #expect(RoundPaymentChange().candidates(in: view(t)) == OutputSet([1]))
        let noRound = tx(2, inputs: [(1, 9_000_000)], outputs: [(3, 5_000_001), (4, 3_987_654)])
        #expect(RoundPaymentChange().candidates(in: view(noRound)).isEmpty)
        // Significant digits: 11 500 000 sat (3 significant digits) is round, 3 987 654 is not.
        let sig = tx(4, inputs: [(1, 16_000_000)], outputs: [(3, 11_500_000), (4, 3_987_654)])
        #expect(RoundPaymentChange(significantDigits: 3).candidates(in: view(sig)) == OutputSet([1]))
        #expect(RoundPaymentChange().candidates(in: view(sig)).isEmpty)
        #expect(RoundPaymentChange(digits: 3).candidates(in: view(tx(3, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_987)]))) == OutputSet([1]))
    }

    @Test func reuseNamesOutputBackToInputAddress() {
        let t = tx(1, inputs: [(1, 9_000)], outputs: [(3, 5_000), (1, 3_900)])
        #expect(ReuseChange().candidates(in: view(t)) == OutputSet([1]))
    }

    @Test func freshAddressNeedsASeenPayee() {
        let t = tx(1, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)])
        #expect(FreshAddressChange().candidates(in: view(t, fresh: OutputSet([1]))) == OutputSet([1]))
        #expect(FreshAddressChange().candidates(in: view(t, fresh: OutputSet([0, 1]))).isEmpty)
    }

    @Test func fingerprintAndPeelChainReadTheSpender() {
        let same = SpenderShape(version: 2, lockTimeIsSet: true, signalsRBF: true, inputCount: 1, outputCount: 2)
        let other = SpenderShape(version: 1, lockTimeIsSet: false, signalsRBF: false, inputCount: 3, outputCount: 1)
        let t = tx(1, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)], spenders: [other, same], lockTime: 100)
        #expect(FingerprintChange().candidates(in: view(t)) == OutputSet([1]))
        #expect(PeelChainChange().candidates(in: view(t)) == OutputSet([1]))
        let unspent = tx(2, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)])
        #expect(FingerprintChange().candidates(in: view(unspent)).isEmpty)
        #expect(PeelChainChange().candidates(in: view(unspent)).isEmpty)
    }

    static func spender(sameBlock: Bool) -> SpenderShape {
        SpenderShape(version: 2, lockTimeIsSet: false, signalsRBF: true, inputCount: 1, outputCount: 2, inSameBlock: sameBlock)
    }

    @Test func sameBlockSpendNamesTheOutputsSpentInTheSameBlock() {
        let now = Self.spender(sameBlock: true), later = Self.spender(sameBlock: false)
        let t = tx(1, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)], spenders: [later, now])
        #expect(SameBlockSpendChange().candidates(in: view(t)) == OutputSet([1]))
        // Spent in a later block (or unspent): nothing.
        let laterOnly = tx(2, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)], spenders: [later, later])
        #expect(SameBlockSpendChange().candidates(in: view(laterOnly)).isEmpty)
        let unspent = tx(3, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)])
        #expect(SameBlockSpendChange().candidates(in: view(unspent)).isEmpty)
        // Both outputs spent in the same block: both named, so `unique` names none.
        let both = tx(4, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)], spenders: [now, now])
        #expect(SameBlockSpendChange().candidates(in: view(both)) == OutputSet([0, 1]))
        #expect(ChangeRule.unique(.use(HeuristicRegistry.sameBlockSpend)).evaluate { _, _ in
            SameBlockSpendChange().candidates(in: view(both)) }.isEmpty)
        // An output without an address is never change, and one addressed output leaves nothing to tell apart.
        let opReturn = tx(5, inputs: [(1, 9_000)], outputs: [(nil, 0), (4, 8_900)], spenders: [nil, now])
        #expect(SameBlockSpendChange().candidates(in: view(opReturn)).isEmpty)
    }

    @Test func spenderShapePacksTheSameBlockBit() {
        for sameBlock in [false, true] {
            for rbf in [false, true] {
                let shape = SpenderShape(version: 2, lockTimeIsSet: !rbf, signalsRBF: rbf, inputCount: 3, outputCount: 70_000,
                                         inSameBlock: sameBlock)
                let back = SpenderShape(packed: shape.packedValue)
                #expect(back != nil)
                #expect(back?.inSameBlock == sameBlock)
                #expect(back?.signalsRBF == rbf && back?.lockTimeIsSet == !rbf && back?.version == 2)
                #expect(back?.inputCount == 3 && back?.outputCount == 0xFFFF, "counts saturate")
            }
        }
        #expect(SpenderShape(packed: 0) == nil, "0 is unspent")
        // The bit reaches the heuristic through a batch.
        let t = tx(1, inputs: [(1, 9_000)], outputs: [(3, 5_000), (4, 3_900)], spenders: [nil, Self.spender(sameBlock: true)])
        #expect(view(t).outputSpender(1)?.inSameBlock == true)
    }

    /// A chain built from blocks: a spend inside the block of its funding transaction is marked, a spend in a
    /// later block is not, and a transaction appended on its own is a block of its own.
    @Test func chainBuilderMarksSpendsInsideTheirBlock() {
        func script(_ n: UInt8) -> [UInt8] { [0x00, 0x14] + [UInt8](repeating: n, count: 20) }
        let coinbase = Transaction(version: 2, inputs: [TxIn(prevout: .null, scriptSig: [0x51, 0x01])],
                                   outputs: [TxOut(value: Amount(satoshis: 100_000), scriptPubKey: script(1))], lockTime: 0)
        let pay = Transaction(version: 2, inputs: [TxIn(prevout: OutPoint(txid: coinbase.txid, vout: 0), sequence: 0xFFFF_FFFD)],
                              outputs: [TxOut(value: Amount(satoshis: 60_000), scriptPubKey: script(2)),
                                        TxOut(value: Amount(satoshis: 39_000), scriptPubKey: script(3))], lockTime: 0)
        let spendChange = Transaction(version: 2, inputs: [TxIn(prevout: OutPoint(txid: pay.txid, vout: 1))],
                                      outputs: [TxOut(value: Amount(satoshis: 38_000), scriptPubKey: script(4))], lockTime: 0)
        let spendPayment = Transaction(version: 2, inputs: [TxIn(prevout: OutPoint(txid: pay.txid, vout: 0))],
                                       outputs: [TxOut(value: Amount(satoshis: 59_000), scriptPubKey: script(5)),
                                                 TxOut(value: Amount(satoshis: 500), scriptPubKey: script(6))], lockTime: 0)
        let lone = Transaction(version: 2, inputs: [TxIn(prevout: OutPoint(txid: spendPayment.txid, vout: 1))],
                               outputs: [TxOut(value: Amount(satoshis: 400), scriptPubKey: script(7))], lockTime: 0)
        func block(_ txs: [Transaction]) -> Block {
            Block(header: BlockHeader(version: 0x2000_0000, previousBlockHash: BlockHash(digest: .zero),
                                      merkleRoot: Merkle.root(txs.map(\.txid.digest)), time: 0, bits: 0x207f_ffff, nonce: 0),
                  transactions: txs)
        }
        var builder = ChainBuilder()
        builder.append(block([coinbase]))
        builder.append(block([pay, spendChange]))
        builder.append(block([spendPayment]))
        builder.append(lone)
        let b = builder.batch
        #expect(b.view(0).outputSpender(0)?.inSameBlock == false, "coinbase spent a block later")
        #expect(b.view(1).outputSpender(1)?.inSameBlock == true, "change spent in the payment's block")
        #expect(b.view(1).outputSpender(0)?.inSameBlock == false, "payment spent a block later")
        #expect(SameBlockSpendChange().candidates(in: b.view(1)) == OutputSet([1]))
        #expect(b.view(3).outputSpender(1)?.inSameBlock == false, "a transaction appended alone is a block of its own")
        #expect(SameBlockSpendChange().candidates(in: b.view(3)).isEmpty)
    }

    @Test func largestInputNamesTheOutputsSmallerThanTheLargestInput() {
        // 70 000 ≥ the largest input (50 000): it is the payment; the output below 50 000 is the change.
        let t = tx(1, inputs: [(1, 50_000), (2, 40_000)], outputs: [(3, 70_000), (4, 19_000)])
        #expect(LargestInputChange().candidates(in: view(t)) == OutputSet([1]))
        // Equal to the largest input counts as "at least as large".
        let equal = tx(2, inputs: [(1, 50_000), (2, 30_000)], outputs: [(3, 50_000), (4, 29_000)])
        #expect(LargestInputChange().candidates(in: view(equal)) == OutputSet([1]))
        // No output reaches the largest input: nothing.
        let none = tx(3, inputs: [(1, 50_000), (2, 40_000)], outputs: [(3, 49_999), (4, 39_000)])
        #expect(LargestInputChange().candidates(in: view(none)).isEmpty)
        // Several smaller outputs: all named (unique() then names none).
        let batch = tx(4, inputs: [(1, 100_000)], outputs: [(3, 100_000), (4, 1_000), (5, 2_000)])
        #expect(LargestInputChange().candidates(in: view(batch)) == OutputSet([1, 2]))
        // An input of unknown value (0: its funding transaction was not loaded) could be the largest: silent.
        let unknown = tx(5, inputs: [(1, 50_000), (nil, 0)], outputs: [(3, 70_000), (4, 19_000)])
        #expect(LargestInputChange().candidates(in: view(unknown)).isEmpty)
        // Every output at least the largest input: none smaller, nothing named.
        let allLarge = tx(6, inputs: [(1, 10_000)], outputs: [(3, 10_000), (4, 10_000)])
        #expect(LargestInputChange().candidates(in: view(allLarge)).isEmpty)
    }

    @Test func singleOutputHasNoChange() {
        let t = tx(1, inputs: [(1, 9_000)], outputs: [(3, 5_000)])
        for id in HeuristicRegistry.changeIDs {
            #expect(HeuristicRegistry.change(id)?.candidates(in: view(t)).isEmpty == true, "\(id)")
        }
    }
}

@Suite struct ChangeRuleTests {
    /// BlockSci's algebra laws, checked on every transaction of the bundled sample chain.
    @Test func combinatorsAreSetOperations() throws {
        let (builder, _) = try SampleChain.load()
        let ids = HeuristicRegistry.changeIDs
        var checked = 0
        for i in 0..<builder.batch.txCount {
            let v = builder.batch.view(i)
            let sets = Dictionary(uniqueKeysWithValues: ids.map { ($0, HeuristicRegistry.change($0)!.candidates(in: v)) })
            func eval(_ r: ChangeRule) -> OutputSet { r.evaluate { id, _ in sets[id] ?? .empty } }
            for (h1, h2) in zip(ids, ids.dropFirst() + ids.prefix(1)) {
                let a = sets[h1]!, b = sets[h2]!
                #expect(eval(.union([.use(h1), .use(h2)])) == a.union(b))
                #expect(eval(.intersection([.use(h1), .use(h2)])) == a.intersection(b))
                #expect(eval(.difference(.use(h1), .use(h2))) == a.subtracting(b))
                let u = eval(.unique(.use(h1)))
                #expect(u.isEmpty || u.count == 1)
                #expect(eval(.atLeast(1, of: [.use(h1), .use(h2)])) == a.union(b))
                #expect(eval(.atLeast(2, of: [.use(h1), .use(h2)])) == a.intersection(b))
                #expect(eval(.first([.use(h1), .use(h2)])) == (a.isEmpty ? b : a))
                checked += 1
            }
        }
        #expect(checked > 10_000)
    }

    @Test func codableRoundTripReadsLikeTheDocs() throws {
        let rule = ChangeRule.unique(.atLeast(2, of: [.use("change.optimal"), .use("change.round-payment", parameters: ["digits": 5]),
                                                        .difference(.use("change.address-type"), .use("change.reuse"))]))
        let data = try JSONEncoder().encode(rule)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"at-least\"") && text.contains("\"use\"") && !text.contains("_0"))
        #expect(try JSONDecoder().decode(ChangeRule.self, from: data) == rule)
        let fallback = ChangeRule.first([.unique(.use("change.optimal")), .unique(.use("change.wallet-type"))])
        let fallbackData = try JSONEncoder().encode(fallback)
        #expect(String(decoding: fallbackData, as: UTF8.self).contains("\"first\""))
        #expect(try JSONDecoder().decode(ChangeRule.self, from: fallbackData) == fallback)
        #expect(fallback.summary == "first(unique(change.optimal), unique(change.wallet-type))")
    }

    @Test func notContradictedDropsAPickAVetoRulesOut() {
        let round: HeuristicID = "change.round-payment", largest = HeuristicRegistry.largestInput
        func eval(_ r: ChangeRule, _ sets: [HeuristicID: OutputSet]) -> OutputSet { r.evaluate { id, _ in sets[id] ?? .empty } }
        let rule = ChangeRule.notContradicted(.unique(.use("change.optimal")), vetoes: [.use(round), .use(largest)])
        // Contradicted: round-payment says output 1 is round (a payment) and names only 0 as change.
        #expect(eval(rule, ["change.optimal": OutputSet([1]), round: OutputSet([0])]).isEmpty)
        #expect(eval(rule, ["change.optimal": OutputSet([1]), largest: OutputSet([0, 2])]).isEmpty)
        // Not contradicted: every veto that speaks contains the pick.
        #expect(eval(rule, ["change.optimal": OutputSet([1]), round: OutputSet([1, 2]), largest: OutputSet([1])]) == OutputSet([1]))
        // Vetoes silent (empty): the pick stands.
        #expect(eval(rule, ["change.optimal": OutputSet([1])]) == OutputSet([1]))
        // Nothing picked: nothing, whatever the vetoes say.
        #expect(eval(rule, [round: OutputSet([1])]).isEmpty)
        // A set of several picks stands only when a speaking veto holds all of them.
        let wide = ChangeRule.notContradicted(.use("change.optimal"), vetoes: [.use(round)])
        #expect(eval(wide, ["change.optimal": OutputSet([0, 1]), round: OutputSet([0, 1, 2])]) == OutputSet([0, 1]))
        #expect(eval(wide, ["change.optimal": OutputSet([0, 1]), round: OutputSet([0, 2])]).isEmpty)
        #expect(rule.summary == "not-contradicted(unique(change.optimal), change.round-payment, change.largest-input)")
        #expect(rule.leaves.map(\.0) == ["change.optimal", round, largest])
    }

    @Test func notContradictedReadsAndWritesJSON() throws {
        let rule = ChangeRule.notContradicted(.first([.unique(.use("change.optimal")), .unique(.use(HeuristicRegistry.largestInput))]),
                                              vetoes: [.use("change.round-payment", parameters: ["significant_digits": 3])])
        let data = try JSONEncoder().encode(rule)
        #expect(String(decoding: data, as: UTF8.self).contains("\"not-contradicted\":["))
        #expect(try JSONDecoder().decode(ChangeRule.self, from: data) == rule)
        // One rule and no veto is an error naming the key.
        do {
            _ = try JSONDecoder().decode(ChangeRule.self, from: Data(#"{"not-contradicted": [{"use": "change.optimal"}]}"#.utf8))
            Issue.record("a not-contradicted without a veto was accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.codingPath.map(\.stringValue) == ["not-contradicted"])
            #expect(context.debugDescription.contains("at least one veto"))
        }
        // A bad leaf inside names its path.
        do {
            _ = try JSONDecoder().decode(ChangeRule.self, from: Data(#"{"not-contradicted": [{"use": "change.optimal"}, {"use": "change.nope"}]}"#.utf8))
            Issue.record("an unknown veto heuristic was accepted")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.codingPath.map(\.stringValue).last == "use")
            #expect(context.debugDescription.contains("change.nope"))
        }
    }

    @Test func firstIsAnOrderedFallback() {
        let sets: [HeuristicID: OutputSet] = ["change.optimal": .empty, "change.reuse": OutputSet([1]),
                                              "change.fresh-address": OutputSet([0])]
        func eval(_ r: ChangeRule) -> OutputSet { r.evaluate { id, _ in sets[id] ?? .empty } }
        #expect(eval(.first([.use("change.optimal"), .use("change.reuse"), .use("change.fresh-address")])) == OutputSet([1]))
        #expect(eval(.first([.use("change.fresh-address"), .use("change.reuse")])) == OutputSet([0]))
        #expect(eval(.first([.use("change.optimal")])).isEmpty)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ChangeRule.self, from: Data(#"{"first": []}"#.utf8)) }
    }

    /// Stored evidence holds heuristic bits: the ids shipped before must keep their positions.
    @Test func evidenceBitsNeverMove() {
        let shipped: [HeuristicID] = [
            "cospend.multi-input", "exclude.coinbase", "exclude.coinjoin.generic", "exclude.coinjoin.generic-funded",
            "exclude.coinjoin.wasabi1", "exclude.coinjoin.wasabi2", "exclude.coinjoin.whirlpool",
            "exclude.coinjoin.joinmarket", "change.fresh-address", "change.optimal", "change.address-type",
            "change.round-payment", "change.reuse", "change.fingerprint", "change.peel-chain",
            "guard.entity-tags", "guard.max-merge-growth", "change.wallet-type",
            "change.same-block-spend", "change.largest-input", "link.deposit-address",
        ]
        #expect(Array(HeuristicRegistry.allIDs.prefix(shipped.count)) == shipped)
        #expect(Set(HeuristicRegistry.allIDs).count == HeuristicRegistry.allIDs.count)
        let known = HeuristicRegistry.cospendIDs + HeuristicRegistry.exclusionIDs + HeuristicRegistry.changeIDs
            + [HeuristicRegistry.entityGuard, HeuristicRegistry.growthGuard, HeuristicRegistry.collapseGuard, HeuristicRegistry.roleGuard]
            + HeuristicRegistry.linkIDs
        #expect(Set(known) == Set(HeuristicRegistry.allIDs))
        #expect(HeuristicRegistry.allIDs.count <= 32, "a mask is a UInt32")
    }
}
