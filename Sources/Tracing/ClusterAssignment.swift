/// Which cluster every address belongs to, as the clustering step left it: `clusterOf[address]` is the
/// cluster id (by Spoor's convention the smallest address id in the cluster). Members are indexed once so
/// that "every address of this cluster" costs the cluster's size, not a scan of the chain.
public struct ClusterAssignment: Sendable {
    public let clusterOf: [Int]
    private let memberStart: [Int]
    private let memberList: [Int]

    public init(clusterOf: [Int]) {
        self.clusterOf = clusterOf
        let n = clusterOf.count
        var counts = Array(repeating: 0, count: n + 1)
        for c in clusterOf where c >= 0 && c < n { counts[c + 1] += 1 }
        for i in 0 ..< n { counts[i + 1] += counts[i] }
        var fill = counts
        var list = Array(repeating: 0, count: counts[n])
        for (a, c) in clusterOf.enumerated() where c >= 0 && c < n {
            list[fill[c]] = a
            fill[c] += 1
        }
        memberStart = counts
        memberList = list
    }

    /// Every address its own cluster (no clustering run yet).
    public static func singletons(addressCapacity: Int) -> ClusterAssignment {
        ClusterAssignment(clusterOf: Array(0 ..< addressCapacity))
    }

    public func cluster(of address: Int) -> Int {
        guard address >= 0 else { return -1 }
        return address < clusterOf.count ? clusterOf[address] : address
    }

    /// The member address ids of a cluster, ascending.
    public func members(of cluster: Int) -> ArraySlice<Int> {
        guard cluster >= 0, cluster + 1 < memberStart.count else { return cluster >= 0 ? [cluster][...] : [] }
        let slice = memberList[memberStart[cluster] ..< memberStart[cluster + 1]]
        return slice.isEmpty ? [cluster][...] : slice
    }

    public func size(of cluster: Int) -> Int { members(of: cluster).count }
}
