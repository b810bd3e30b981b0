import Clustering
import SpoorTestSupport
import Testing

@Suite struct UnionFindTests {
    /// Naive reference: relabel every member of the merged set with the minimum.
    struct NaiveSets {
        var label: [UInt32]
        init(_ n: Int) { label = (0..<UInt32(n)).map { $0 } }
        mutating func union(_ a: UInt32, _ b: UInt32) -> Bool {
            let la = label[Int(a)], lb = label[Int(b)]
            if la == lb { return false }
            let lo = min(la, lb), hi = max(la, lb)
            for i in label.indices where label[i] == hi { label[i] = lo }
            return true
        }
    }

    @Test func agreesWithNaiveReferenceAndRootIsMinimum() {
        for seed in UInt64(1)...40 {
            var rng = SeededRandom(seed: seed)
            let n = Int(rng.next() % 60) + 1
            var uf = UnionFind(count: n)
            var lean = UnionFind(count: n)
            lean.stopTrackingSizes()  // as clustering without a growth guard runs it
            var ref = NaiveSets(n)
            for _ in 0..<(n * 2) {
                let a = UInt32(rng.next() % UInt64(n)), b = UInt32(rng.next() % UInt64(n))
                #expect(uf.union(a, b) == ref.union(a, b), "seed \(seed)")
                _ = lean.union(a, b)
                let (ra, rb) = lean.roots(a, b)
                #expect(ra == ref.label[Int(a)] && rb == ref.label[Int(b)], "seed \(seed)")
            }
            #expect(uf.roots() == ref.label, "seed \(seed)")
            #expect(lean.roots() == ref.label && lean.bytesPerAddressInUse == 4 && uf.bytesPerAddressInUse == 8, "seed \(seed)")
        }
    }

    @Test func orderOfUnionsDoesNotChangeIds() {
        var rng = SeededRandom(seed: 7)
        var pairs: [(UInt32, UInt32)] = (0..<200).map { _ in (UInt32(rng.next() % 100), UInt32(rng.next() % 100)) }
        var a = UnionFind(count: 100)
        for (x, y) in pairs { a.union(x, y) }
        pairs.shuffle(using: &rng)
        var b = UnionFind(count: 100)
        for (x, y) in pairs { b.union(y, x) }
        #expect(a.roots() == b.roots())
    }

    @Test func rebuildsFromStoredRootsAndRejectsBadOnes() throws {
        var uf = UnionFind(count: 5)
        uf.union(3, 1); uf.union(4, 3)
        let roots = uf.roots()
        #expect(roots == [0, 1, 2, 1, 1])
        var again = try UnionFind(roots: roots)
        #expect(again.size(ofRoot: 1) == 3)
        again.union(0, 4)
        #expect(again.roots() == [0, 0, 2, 0, 0])
        #expect(throws: UnionFindError.self) { try UnionFind(roots: [0, 2, 2]) }
    }
}
