import BitcoinAddresses
import BitcoinPrimitives
import Clustering
import SpoorTestSupport
import Testing

/// The co-spend path: same results as the full columns, and the contract it rests on (every CoinJoin exclusion
/// needs equal outputs).
@Suite struct CospendBatchTests {
    @Test(arguments: ["default", "conservative"])
    func cospendPathEqualsTheFullColumnsOnTheSampleChain(profileName: String) throws {
        let (builder, _) = try SampleChain.load()
        let profile = try SampleChain.profile(profileName)
        var full = Clusterer(profile: profile, addressCount: builder.scripts.count)
        full.process(builder.batch)
        let cospends = CospendBatch(builder.batch)
        var lean = Clusterer(profile: profile, addressCount: builder.scripts.count)
        try lean.process(cospends)
        #expect(full.merges.count > 100)
        #expect(full.merges == lean.merges)
        #expect(full.stops == lean.stops)
        #expect(full.statistics == lean.statistics)
        #expect(full.flagged.map(\.tx) == lean.flagged.map(\.tx) && full.flagged.map(\.rules) == lean.flagged.map(\.rules))
        #expect(full.clusterIDs() == lean.clusterIDs())
        // Only the few transactions with two inputs and equal outputs carry their full columns.
        #expect(cospends.candidates.count > 0 && cospends.candidates.count < builder.batch.count / 10)
    }

    @Test func changeProfilesNeedTheFullColumns() throws {
        let (builder, _) = try SampleChain.load()
        var c = Clusterer(profile: try SampleChain.profile("change"), addressCount: builder.scripts.count)
        #expect(throws: BatchError.self) { try c.process(CospendBatch(builder.batch)) }
    }

    /// Every CoinJoin exclusion must fail on a transaction whose outputs all differ in value, whatever else it
    /// looks like (the store flags only transactions with equal outputs as candidates). Random transactions
    /// shaped like each protocol's rounds, with every output value made distinct.
    @Test func noCoinJoinRuleMatchesWithoutEqualOutputs() {
        var rng = SeededRandom(seed: 7)
        var checked = 0
        for round in 0..<3_000 {
            let inputs = 2 + Int(rng.next() % 40), outputs = 2 + Int(rng.next() % 40)
            let pool: [Int64] = [100_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000]
            let base = pool[Int(rng.next() % UInt64(pool.count))]
            var tx = ClusterTransaction(id: TxID(UInt32(round)), inputs: [], outputs: [])
            for i in 0..<inputs {
                tx.inputs.append(.init(address: AddressID(UInt32(i)), value: Amount(satoshis: base + Int64(rng.next() % 200_000)),
                                       kind: .witnessV0KeyHash))
            }
            for o in 0..<outputs {
                // Distinct by construction: base plus the output's index (rounds use one base value).
                tx.outputs.append(.init(address: AddressID(UInt32(100 + o)), value: Amount(satoshis: base + Int64(o)),
                                        kind: .witnessV0KeyHash))
            }
            let batch = TransactionBatch([tx])
            #expect(!CospendBatch.hasEqualValues(tx.outputs.map(\.value.satoshis)))
            for rule in HeuristicRegistry.exclusions where rule.id != "exclude.coinbase" {
                #expect(!rule.matches(batch.view(0)), "\(rule.id) matched transaction \(round) without equal outputs")
                checked += 1
            }
        }
        #expect(checked == 3_000 * (HeuristicRegistry.exclusions.count - 1))
    }

    @Test func equalValuesIsExact() {
        #expect(!CospendBatch.hasEqualValues([Int64]()))
        #expect(!CospendBatch.hasEqualValues([5]))
        #expect(CospendBatch.hasEqualValues([5, 7, 5]))
        #expect(!CospendBatch.hasEqualValues(Array(Int64(0)..<100)))
        #expect(CospendBatch.hasEqualValues(Array(Int64(0)..<100) + [42]))
    }

    @Test func mismatchedCandidatesAreRefused() {
        let tx = TransactionBatch()
        tx.beginTransaction(id: TxID(9), version: 2, lockTime: 0, isCoinbase: false)
        #expect(throws: BatchError.self) {
            try CospendBatch(txIDs: [1], flags: [CospendBatch.equalOutputsFlag], inputStart: [0, 2], inputAddress: [3, 4],
                             candidates: tx, addressBound: 5)
        }
        #expect(throws: BatchError.self) {
            try CospendBatch(txIDs: [1], flags: [0], inputStart: [0, 3], inputAddress: [3, 4], addressBound: 5)
        }
    }
}
