import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex
import Clustering
import SpoorTestSupport
import Testing

/// The co-spend path: same results as the full columns, and the contract it rests on (every CoinJoin exclusion
/// needs equal outputs).
@Suite struct CospendIndexTests {
    @Test(arguments: ["default", "conservative"])
    func cospendPathEqualsTheFullColumnsOnTheSampleChain(profileName: String) throws {
        let (builder, _) = try SampleChain.load()
        let profile = try SampleChain.profile(profileName)
        var full = Clusterer(profile: profile, addressCount: builder.scripts.count)
        full.process(builder.batch)
        let cospends = CospendIndex(builder.batch)
        var lean = Clusterer(profile: profile, addressCount: builder.scripts.count)
        try lean.process(cospends)
        #expect(full.merges.count > 100)
        #expect(full.merges == lean.merges)
        #expect(full.stops == lean.stops)
        #expect(full.statistics == lean.statistics)
        #expect(full.flagged.map(\.tx) == lean.flagged.map(\.tx) && full.flagged.map(\.rules) == lean.flagged.map(\.rules))
        #expect(full.clusterIDs() == lean.clusterIDs())
        // Only the few transactions with two inputs and equal outputs carry their full columns.
        #expect(cospends.candidates.txCount > 0 && cospends.candidates.txCount < builder.batch.txCount / 10)
    }

    @Test func changeProfilesNeedTheFullColumns() throws {
        let (builder, _) = try SampleChain.load()
        var c = Clusterer(profile: try SampleChain.profile("change"), addressCount: builder.scripts.count)
        #expect(throws: BatchError.self) { try c.process(CospendIndex(builder.batch)) }
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
            let batch = ChainIndex([tx])
            #expect(!CospendIndex.hasEqualValues(tx.outputs.map(\.value.satoshis)))
            for rule in HeuristicRegistry.exclusions where rule.id != "exclude.coinbase" {
                #expect(!rule.matches(batch.view(0)), "\(rule.id) matched transaction \(round) without equal outputs")
                checked += 1
            }
        }
        #expect(checked == 3_000 * (HeuristicRegistry.exclusions.count - 1))
    }

    @Test func equalValuesIsExact() {
        #expect(!CospendIndex.hasEqualValues([Int64]()))
        #expect(!CospendIndex.hasEqualValues([5]))
        #expect(CospendIndex.hasEqualValues([5, 7, 5]))
        #expect(!CospendIndex.hasEqualValues(Array(Int64(0)..<100)))
        #expect(CospendIndex.hasEqualValues(Array(Int64(0)..<100) + [42]))
    }

    @Test func mismatchedCandidatesAreRefused() {
        let tx = ChainIndex()
        tx.beginTransaction(storeID: 9, version: 2, lockTime: 0, isCoinbase: false)
        #expect(throws: ChainIndexError.self) {
            try CospendIndex(txStoreID: [1], flags: [CospendIndex.equalOutputsFlag], inputStart: [0, 2], inputAddress: [3, 4],
                             candidates: tx, addressBound: 5)
        }
        #expect(throws: ChainIndexError.self) {
            try CospendIndex(txStoreID: [1], flags: [0], inputStart: [0, 3], inputAddress: [3, 4], addressBound: 5)
        }
    }

    /// `mayMatch` is a necessary condition of `matches` for every shipped exclusion: on each detector's textbook
    /// round (all match) and on thousands of variants with inputs and outputs dropped or repeated.
    @Test func mayMatchIsNecessaryForEveryRule() {
        let pool: Int64 = 1_000_000
        var rounds: [ClusterTransaction] = [
            tx(1, inputs: [(1, 15_000_000), (2, 12_000_000), (3, 20_000_000), (4, 11_000_000)],
               outputs: [(10, 10_000_000), (11, 10_000_000), (12, 10_000_000), (13, 10_000_000),
                         (14, 4_990_000), (15, 1_990_000), (16, 9_990_000), (17, 990_000)]),
            tx(5, inputs: [(1, pool), (2, pool), (3, pool + 50_000), (4, pool + 100_000), (5, pool)],
               outputs: (10..<15).map { (UInt32($0), pool) }),
            tx(8, inputs: (0..<12).map { (UInt32($0), 12_000_000) } + [(100, 30_000_000)],
               outputs: (200..<211).map { (UInt32($0), 10_010_000) } + [(300, 1_500_000), (301, 300_000)]),
            tx(10, inputs: (0..<20).map { (UInt32($0), Int64(50_000_000 - $0 * 1_000_000)) },
               outputs: (100..<110).map { (UInt32($0), 10_000_000) } + (110..<120).map { (UInt32($0), 5_000_000) } + [(120, 1_234)]),
            tx(12, inputs: [(1, 29_000_000), (2, 25_000_000), (3, 21_000_000)],
               outputs: [(10, 20_000_000), (11, 20_000_000), (12, 20_000_000), (13, 9_015_000), (14, 5_015_000)]),
        ]
        let rules = HeuristicRegistry.exclusions.filter { $0.id != "exclude.coinbase" }
        var matched = Set<String>()
        for r in rounds {
            let v = ChainIndex([r]).view(0)
            for rule in rules where rule.matches(v) { matched.insert(rule.id.rawValue) }
        }
        #expect(matched.count == rules.count, "every rule matches one of the rounds: \(matched.sorted())")
        var rng = SeededRandom(seed: 11)
        for round in 0..<4_000 {
            var t = rounds[Int(rng.next() % UInt64(rounds.count))]
            t.id = TxID(UInt32(100 + round))
            for _ in 0..<Int(rng.next() % 4) {
                switch rng.next() % 4 {
                case 0 where t.inputs.count > 1: t.inputs.remove(at: Int(rng.next() % UInt64(t.inputs.count)))
                case 1 where t.outputs.count > 1: t.outputs.remove(at: Int(rng.next() % UInt64(t.outputs.count)))
                case 2: t.inputs.append(t.inputs[Int(rng.next() % UInt64(t.inputs.count))])
                default: t.outputs.append(t.outputs[Int(rng.next() % UInt64(t.outputs.count))])
                }
            }
            let v = ChainIndex([t]).view(0)
            for rule in rules where rule.matches(v) {
                #expect(rule.mayMatch(inputCount: v.inputCount, outputCount: v.outputCount), "\(rule.id) on variant \(round)")
            }
            if round % 500 == 0 { rounds.append(t) }
        }
    }
}
