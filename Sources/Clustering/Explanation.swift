/// Why two addresses are (or are not) in one cluster, built from the evidence log alone.
public enum Explanation: Equatable, Sendable {
    /// The chain of merges linking `from` to `to`, in walking order (each step's `a` is the address
    /// reached so far, `b` the next one).
    case linked([EvidenceRecord])
    /// Not linked. `stoppedBy` lists, in walking order, the refused links (exclusions or guards) along the
    /// shortest chain that would have joined the two clusters had they been allowed; empty when no
    /// stopped link connects them either.
    case notLinked(stoppedBy: [EvidenceRecord])
}

/// Shortest evidence chains over a run's merges and stops.
///
/// The merges form a spanning forest (each one joined two different clusters), so the path between two
/// members of a cluster is unique and is the shortest. For unlinked addresses, a breadth-first search
/// over clusters, with the stopped links as edges, finds the fewest refused links that would join them.
public struct EvidenceGraph: Sendable {
    private var adjacency: [UInt32: [Int]] = [:]
    private let merges: [EvidenceRecord]
    private let stops: [EvidenceRecord]

    public init(merges: [EvidenceRecord], stops: [EvidenceRecord]) {
        self.merges = merges
        self.stops = stops
        for (i, m) in merges.enumerated() {
            adjacency[m.a.raw, default: []].append(i)
            adjacency[m.b.raw, default: []].append(i)
        }
    }

    /// - Parameter clusterOf: the cluster id of an address in the same run.
    /// - Complexity: O(merges + stops) in the worst case.
    public func explain(_ from: AddressID, _ to: AddressID, clusterOf: (AddressID) -> ClusterID) -> Explanation {
        if from == to { return .linked([]) }
        if clusterOf(from) == clusterOf(to) {
            // BFS over the merge forest; parent edge per visited address.
            var via: [UInt32: Int] = [from.raw: -1]
            var queue = [from.raw]
            var head = 0
            while head < queue.count {
                let x = queue[head]; head += 1
                if x == to.raw { break }
                for e in adjacency[x] ?? [] {
                    let m = merges[e]
                    let y = m.a.raw == x ? m.b.raw : m.a.raw
                    if via[y] == nil { via[y] = e; queue.append(y) }
                }
            }
            guard via[to.raw] != nil else { return .notLinked(stoppedBy: []) }
            var path: [EvidenceRecord] = []
            var x = to.raw
            while x != from.raw, let e = via[x], e >= 0 {
                var m = merges[e]
                let prev = m.a.raw == x ? m.b.raw : m.a.raw
                if m.a.raw != prev { swap(&m.a, &m.b) }
                path.append(m)
                x = prev
            }
            return .linked(path.reversed())
        }
        // Cluster-level BFS over stopped links.
        let start = clusterOf(from), goal = clusterOf(to)
        var edges: [ClusterID: [Int]] = [:]
        for (i, s) in stops.enumerated() {
            let ca = clusterOf(s.a), cb = clusterOf(s.b)
            if ca == cb { continue }
            edges[ca, default: []].append(i)
            edges[cb, default: []].append(i)
        }
        var via: [ClusterID: Int] = [start: -1]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let c = queue[head]; head += 1
            if c == goal { break }
            for e in edges[c] ?? [] {
                let s = stops[e]
                let ca = clusterOf(s.a), cb = clusterOf(s.b)
                let next = ca == c ? cb : ca
                if via[next] == nil { via[next] = e; queue.append(next) }
            }
        }
        guard via[goal] != nil else { return .notLinked(stoppedBy: []) }
        var path: [EvidenceRecord] = []
        var c = goal
        while c != start, let e = via[c], e >= 0 {
            var s = stops[e]
            let ca = clusterOf(s.a), cb = clusterOf(s.b)
            let prev = ca == c ? cb : ca
            if clusterOf(s.a) != prev { swap(&s.a, &s.b) }
            path.append(s)
            c = prev
        }
        return .notLinked(stoppedBy: path.reversed())
    }
}
