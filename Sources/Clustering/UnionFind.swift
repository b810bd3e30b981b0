/// Disjoint sets over dense address ids, linked by minimum so that a set's root is its smallest member.
///
/// Union by minimum gives up union-by-rank's O(log n) depth bound, but with full path compression the
/// amortised cost stays O(log n) per operation (Tarjan & van Leeuwen 1984) and in practice, on chain
/// data where most unions touch a fresh address, trees stay very shallow. What it buys is determinism:
/// `find(a)` is the cluster's smallest address id whatever order the unions came in (the graphsense
/// invariant `cluster_id == min(address_id)`).
///
/// Memory: 4 bytes (parent) + 4 bytes (size) per address.
public struct UnionFind: Sendable, Equatable {
    /// `parent[i] == i` for roots.
    @usableFromInline var parent: [UInt32]
    /// Members of the set rooted at `i` (only meaningful for roots).
    @usableFromInline var size: [UInt32]

    public init(count: Int = 0) {
        parent = (0..<UInt32(count)).map { $0 }
        size = [UInt32](repeating: 1, count: count)
    }

    /// Rebuilds the structure from a stored `cluster id per address` table (the root of every address),
    /// so a later run can extend it. Throws if an entry points above itself, which no union-by-min
    /// clustering can produce.
    public init(roots: [UInt32]) throws(UnionFindError) {
        parent = roots
        size = [UInt32](repeating: 0, count: roots.count)
        for (i, r) in roots.enumerated() {
            guard r <= UInt32(i), roots[Int(r)] == r else { throw UnionFindError.notARoot(address: UInt32(i), root: r) }
            size[Int(r)] += 1
        }
    }

    /// Number of addresses covered.
    @inlinable public var count: Int { parent.count }

    /// Makes room for addresses up to `count - 1`, each its own singleton.
    public mutating func grow(to count: Int) {
        guard count > parent.count else { return }
        parent.reserveCapacity(count)
        for i in parent.count..<count { parent.append(UInt32(i)) }
        size.append(contentsOf: repeatElement(1, count: count - size.count))
    }

    /// The root (smallest member) of `a`'s set, compressing the path on the way.
    /// - Complexity: amortised O(log n), near-constant in practice.
    @inlinable
    public mutating func find(_ a: UInt32) -> UInt32 {
        var root = a
        while true {
            let p = parent[Int(root)]
            if p == root { break }
            root = p
        }
        var x = a
        while x != root {
            let next = parent[Int(x)]
            parent[Int(x)] = root
            x = next
        }
        return root
    }

    /// The root of `a` without modifying the structure.
    @inlinable
    public func root(of a: UInt32) -> UInt32 {
        var root = a
        while parent[Int(root)] != root { root = parent[Int(root)] }
        return root
    }

    /// Size of the set whose root is `root`.
    @inlinable public func size(ofRoot root: UInt32) -> Int { Int(size[Int(root)]) }

    /// Joins the sets of two roots; the smaller id becomes the root. Returns the new root.
    @inlinable @discardableResult
    public mutating func link(roots ra: UInt32, _ rb: UInt32) -> UInt32 {
        let (lo, hi) = ra < rb ? (ra, rb) : (rb, ra)
        parent[Int(hi)] = lo
        size[Int(lo)] &+= size[Int(hi)]
        return lo
    }

    /// Joins the sets of `a` and `b`. Returns whether anything changed (false when already together).
    @inlinable @discardableResult
    public mutating func union(_ a: UInt32, _ b: UInt32) -> Bool {
        let ra = find(a), rb = find(b)
        if ra == rb { return false }
        link(roots: ra, rb)
        return true
    }

    /// The cluster id of every address (fully compressed): `result[i] == smallest member of i's set`.
    public mutating func roots() -> [UInt32] {
        for i in 0..<parent.count { _ = find(UInt32(i)) }
        return parent
    }

    /// Bytes held per address by the union-find arrays.
    public static let bytesPerAddress = MemoryLayout<UInt32>.stride * 2

    #if SPOOR_INTERNAL_CHECKS
    /// Every root is the minimum of its set; every parent pointer points down (to a smaller id).
    public func _checkInvariants() {
        for (i, p) in parent.enumerated() { precondition(p <= UInt32(i), "parent above child at \(i)") }
    }
    #endif
}

public enum UnionFindError: Error, Equatable, CustomStringConvertible {
    case notARoot(address: UInt32, root: UInt32)
    public var description: String {
        switch self {
        case let .notARoot(a, r):
            return "stored cluster id \(r) of address \(a) is not the smallest member of its cluster"
        }
    }
}
