/// Which cluster every address belongs to, as the clustering step left it: the cluster id is by Spoor's
/// convention the smallest address id in the cluster, and an address the clustering never merged is its own
/// cluster. Members are indexed once so that "every address of this cluster" costs the cluster's size, not a
/// scan of the chain.
///
/// Two forms: dense (`init(clusterOf:)`, an entry for every address id of the chain) and partial
/// (`init(partial:members:)`, only the addresses and clusters an analysis looked up, for a subgraph of a chain
/// too large to hold; asking for a cluster whose members were not given answers the cluster id alone, so the
/// caller must load the members of every cluster it expands).
public struct ClusterAssignment: Sendable {
    private let dense: [Int]
    private let memberStart: [Int]
    private let memberList: [Int]
    private let partial: [Int: Int]?
    private let partialMembers: [Int: [Int]]

    public init(clusterOf: [Int]) {
        dense = clusterOf
        partial = nil
        partialMembers = [:]
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

    /// `clusterOf`: the cluster of each address looked up (an address missing from it is its own cluster);
    /// `members`: the complete, ascending member lists of the clusters the caller will expand.
    public init(partial clusterOf: [Int: Int], members: [Int: [Int]]) {
        dense = []; memberStart = [0]; memberList = []
        partial = clusterOf
        partialMembers = members
    }

    /// Every address its own cluster (no clustering run yet).
    public static func singletons(addressCapacity: Int) -> ClusterAssignment {
        ClusterAssignment(clusterOf: Array(0 ..< addressCapacity))
    }

    public func cluster(of address: Int) -> Int {
        guard address >= 0 else { return -1 }
        if let partial { return partial[address] ?? address }
        return address < dense.count ? dense[address] : address
    }

    /// The member address ids of a cluster, ascending.
    public func members(of cluster: Int) -> ArraySlice<Int> {
        guard cluster >= 0 else { return [] }
        if partial != nil { return (partialMembers[cluster] ?? [cluster])[...] }
        guard cluster + 1 < memberStart.count else { return [cluster][...] }
        let slice = memberList[memberStart[cluster] ..< memberStart[cluster + 1]]
        return slice.isEmpty ? [cluster][...] : slice
    }

    public func size(of cluster: Int) -> Int { members(of: cluster).count }
}
