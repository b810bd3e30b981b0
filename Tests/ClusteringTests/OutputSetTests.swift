import ChainIndex
import Clustering
import SpoorTestSupport
import Testing

/// `OutputSet` is a set of vouts of any size (a mask for 0..<64, more words beyond): checked against
/// `Set<Int>` on random sets that cross the 64 boundary.
@Suite struct OutputSetTests {
    @Test func setAlgebraMatchesSetOfInt() {
        var rng = SeededRandom(seed: 64)
        for _ in 0..<500 {
            let limit = [3, 64, 65, 130, 400][Int.random(in: 0..<5, using: &rng)]
            func randomSet() -> Set<Int> { Set((0..<Int.random(in: 0...12, using: &rng)).map { _ in Int.random(in: 0..<limit, using: &rng) }) }
            let a = randomSet(), b = randomSet()
            let x = OutputSet(a), y = OutputSet(b)
            #expect(Array(x) == a.sorted(), "members in ascending order, each once")
            #expect(x.count == a.count)
            #expect(x.isEmpty == a.isEmpty)
            #expect(Set(x.union(y)) == a.union(b))
            #expect(Set(x.intersection(y)) == a.intersection(b))
            #expect(Set(x.subtracting(y)) == a.subtracting(b))
            #expect(x.union(y) == OutputSet(a.union(b)), "equal sets compare equal whatever their history")
            #expect(x.subtracting(x) == .empty && x.intersection(.empty) == .empty)
            #expect(x.only == (a.count == 1 ? a.first : nil))
            #expect(x.bound == (a.max().map { $0 + 1 } ?? 0))
            for v in [0, 63, 64, 65, 127, 128, 399] { #expect(x.contains(v) == a.contains(v)) }
        }
        #expect(Set(OutputSet.all(130)) == Set(0..<130))
        #expect(Set(OutputSet.all(64)) == Set(0..<64) && Set(OutputSet.all(5)) == Set(0..<5) && OutputSet.all(0).isEmpty)
    }

    /// A batch payout with 100 outputs: its change (the one non-round output, at vout 90) is found.
    @Test func changeIsFoundInLargeBatches() {
        var profile = HeuristicProfile.builtInDefault
        profile.change = .unique(.use("change.round-payment", parameters: ["significant_digits": 3]))
        var outputs: [(UInt32?, Int64)] = (0..<100).map { (UInt32(10 + $0), Int64(100_000 * ($0 + 1))) }
        outputs[90] = (200, 987_654_321)
        let batch = tx(1, inputs: [(1, 2_000_000_000)], outputs: outputs)
        var c = Clusterer(profile: profile)
        c.process(ChainIndex([batch]))
        let ids = c.clusterIDs()
        #expect(ids[200] == 1)
        #expect(c.changePicks.map(\.vout) == [90])
        #expect((10..<110).filter { $0 != 100 }.allSatisfy { ids[$0] == UInt32($0) })
    }
}
