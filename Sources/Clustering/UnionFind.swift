/// Disjoint sets over dense address ids, linked by minimum so that a set's root is its smallest member.
///
/// Union by minimum gives up union-by-rank's O(log n) depth bound, but with full path compression the
/// amortised cost stays O(log n) per operation (Tarjan & van Leeuwen 1984) and in practice, on chain
/// data where most unions touch a fresh address, trees stay very shallow. What it buys is determinism:
/// `find(a)` is the cluster's smallest address id whatever order the unions came in (the graphsense
/// invariant `cluster_id == min(address_id)`).
///
/// Memory: 4 bytes (parent) + 4 bytes (size) per address; 4 bytes when sizes are not tracked
/// (`stopTrackingSizes`: only the growth guard reads them).
public struct UnionFind: Sendable, Equatable {
    /// `parent[i] == i` for roots.
    @usableFromInline var parent: [UInt32]
    /// Members of the set rooted at `i` (only meaningful for roots); empty when sizes are not tracked.
    @usableFromInline var size: [UInt32]
    /// Whether `size` is maintained.
    public private(set) var tracksSizes = true

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
        if tracksSizes { size.append(contentsOf: repeatElement(1, count: count - size.count)) }
    }

    /// Drops the size array (half the memory, one random write less per union); `size(ofRoot:)` may no
    /// longer be called. For runs without a growth guard.
    public mutating func stopTrackingSizes() {
        tracksSizes = false
        size = []
    }

    /// Bytes held per address by this structure's arrays.
    public var bytesPerAddressInUse: Int { MemoryLayout<UInt32>.stride * (tracksSizes ? 2 : 1) }

    /// The root (smallest member) of `a`'s set, compressing the path on the way.
    /// - Complexity: amortised O(log n), near-constant in practice.
    @inlinable
    public mutating func find(_ a: UInt32) -> UInt32 {
        parent.withUnsafeMutableBufferPointer { Self.find(a, in: $0) }
    }

    /// `find` over the parent array's storage: one uniqueness check per call instead of one bounds and
    /// uniqueness check per step (the hot loop of clustering). Parents always point below their child, so a
    /// checked start keeps every step in range.
    @inlinable @inline(__always)
    static func find(_ a: UInt32, in p: UnsafeMutableBufferPointer<UInt32>) -> UInt32 {
        precondition(Int(a) < p.count, "address \(a) beyond the union-find's \(p.count)")
        var root = a
        while true {
            let q = p[Int(root)]
            if q == root { break }
            root = q
        }
        var x = a
        while x != root {
            let next = p[Int(x)]
            p[Int(x)] = root
            x = next
        }
        return root
    }

    /// Both roots, compressing both paths (one pass over the storage).
    @inlinable
    public mutating func roots(_ a: UInt32, _ b: UInt32) -> (UInt32, UInt32) {
        parent.withUnsafeMutableBufferPointer { p in (Self.find(a, in: p), Self.find(b, in: p)) }
    }

    /// The root of `a` without modifying the structure.
    @inlinable
    public func root(of a: UInt32) -> UInt32 {
        var root = a
        while parent[Int(root)] != root { root = parent[Int(root)] }
        return root
    }

    /// Size of the set whose root is `root` (sizes must be tracked).
    @inlinable public func size(ofRoot root: UInt32) -> Int {
        precondition(tracksSizes, "sizes are not tracked")
        return Int(size[Int(root)])
    }

    /// Joins the sets of two roots; the smaller id becomes the root. Returns the new root.
    @inlinable @discardableResult
    public mutating func link(roots ra: UInt32, _ rb: UInt32) -> UInt32 {
        let (lo, hi) = ra < rb ? (ra, rb) : (rb, ra)
        parent[Int(hi)] = lo
        if tracksSizes { size[Int(lo)] &+= size[Int(hi)] }
        return lo
    }

    /// Joins the sets of `a` and `b`. Returns whether anything changed (false when already together).
    @inlinable @discardableResult
    public mutating func union(_ a: UInt32, _ b: UInt32) -> Bool {
        if !tracksSizes {
            // Both finds and the link over the storage in one go (clustering's hottest call).
            return parent.withUnsafeMutableBufferPointer { p in
                let ra = Self.find(a, in: p), rb = Self.find(b, in: p)
                if ra == rb { return false }
                if ra < rb { p[Int(rb)] = ra } else { p[Int(ra)] = rb }
                return true
            }
        }
        let ra = find(a), rb = find(b)
        if ra == rb { return false }
        link(roots: ra, rb)
        return true
    }

    /// The cluster id of every address (fully compressed): `result[i] == smallest member of i's set`.
    public mutating func roots() -> [UInt32] {
        // In id order every parent is already final (it points below), so one pass finishes every path.
        parent.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = p[Int(p[i])] }
        }
        return parent
    }

    /// Bytes held per address by the union-find arrays when sizes are tracked.
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
