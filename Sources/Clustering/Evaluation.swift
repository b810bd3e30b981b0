import ChainIndex
/// Scores a clustering against ground truth. Pure: the caller maps truth files to address ids.
///
/// Metric definitions (documented in Heuristics/README.md):
/// - The population is the on-chain addresses that some wallet owns (truth `entity`), each with its
///   owner. Addresses without an owner (OP_RETURN, the genesis output) are left out.
/// - Pairwise precision = pairs of population addresses that share a cluster and an owner, divided by
///   pairs that share a cluster. Pairwise recall = the same numerator divided by pairs that share an
///   owner. (1 when a denominator is 0.)
/// - clusters = distinct clusters among the population; mixed clusters = those holding addresses of
///   two or more owners.
/// - Change: for a set of outputs a heuristic (or the rule) named as change, precision = the fraction
///   that are true change (`is_change`); recall = the fraction of all true change outputs it named.
public struct ClusteringScore: Sendable, Equatable, Codable {
    public var addresses: Int
    public var owners: Int
    public var clusters: Int
    public var mixedClusters: Int
    public var truePairs: Int
    public var predictedPairs: Int
    public var correctPairs: Int
    public var precision: Double
    public var recall: Double
    /// The largest cluster over the population: its addresses, their share of the population, and how many
    /// owners they belong to (a supercluster shows here first).
    public var largest: Int
    public var largestShare: Double
    public var largestOwners: Int

    enum CodingKeys: String, CodingKey {
        case addresses, owners, clusters, precision, recall, largest
        case mixedClusters = "mixed_clusters", truePairs = "true_pairs", predictedPairs = "predicted_pairs"
        case correctPairs = "correct_pairs", largestShare = "largest_share", largestOwners = "largest_owners"
    }

    /// - Parameters:
    ///   - owners: (address, owner index) for every owned on-chain address.
    ///   - clusterOf: the clustering's cluster id per address.
    public init(owners: [(AddressID, Int)], clusterOf: (AddressID) -> ClusterID) {
        self.init(members: owners.map { (UInt64(clusterOf($0.0).raw), $0.1) })
    }

    /// - Parameter members: (cluster, owner index) for every owned on-chain address.
    public init(members: [(cluster: UInt64, owner: Int)]) {
        var perCluster: [UInt64: [Int: Int]] = [:]
        var perOwner: [Int: Int] = [:]
        for (c, o) in members {
            perCluster[c, default: [:]][o, default: 0] += 1
            perOwner[o, default: 0] += 1
        }
        func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
        addresses = members.count
        owners = perOwner.count
        clusters = perCluster.count
        mixedClusters = perCluster.values.filter { $0.count > 1 }.count
        truePairs = perOwner.values.reduce(0) { $0 + pairs($1) }
        predictedPairs = perCluster.values.reduce(0) { $0 + pairs($1.values.reduce(0, +)) }
        correctPairs = perCluster.values.reduce(0) { acc, m in acc + m.values.reduce(0) { $0 + pairs($1) } }
        precision = predictedPairs == 0 ? 1 : Double(correctPairs) / Double(predictedPairs)
        recall = truePairs == 0 ? 1 : Double(correctPairs) / Double(truePairs)
        let top = perCluster.values.max { $0.values.reduce(0, +) < $1.values.reduce(0, +) }
        largest = top?.values.reduce(0, +) ?? 0
        largestShare = addresses == 0 ? 0 : Double(largest) / Double(addresses)
        largestOwners = top?.count ?? 0
    }
}

/// Precision and recall of one change identifier against the true change outputs.
public struct ChangeScore: Sendable, Equatable, Codable {
    public var heuristic: String
    public var named: Int
    public var correct: Int
    public var trueChange: Int
    public var precision: Double
    public var recall: Double

    enum CodingKeys: String, CodingKey {
        case heuristic, named, correct, precision, recall
        case trueChange = "true_change"
    }

    public init(heuristic: String, named: [ChangeOutput], truth: Set<ChangeOutput>) {
        self.heuristic = heuristic
        self.named = named.count
        correct = named.filter { truth.contains($0) }.count
        trueChange = truth.count
        precision = named.isEmpty ? 1 : Double(correct) / Double(named.count)
        recall = truth.isEmpty ? 1 : Double(correct) / Double(truth.count)
    }
}

/// An output identified by its transaction and position.
public struct ChangeOutput: Hashable, Sendable {
    public var tx: TxID
    public var vout: Int
    public init(tx: TxID, vout: Int) {
        self.tx = tx
        self.vout = vout
    }
}

/// Runs every change heuristic alone (as `unique(h)`, the way it would be used to link) over the chain,
/// skipping coinbase and excluded transactions exactly as the clusterer does. For the per-heuristic
/// table of `spoor evaluate` (the rule's own row is what the clusterer picked).
public struct ChangeScan {
    public private(set) var named: [HeuristicID: [ChangeOutput]] = [:]

    public init(batch: ChainIndex, profile: HeuristicProfile, seen: [UInt64] = []) {
        let heuristics = HeuristicRegistry.changeIDs.compactMap { HeuristicRegistry.change($0) }
        let exclusions = profile.exclusions.compactMap { HeuristicRegistry.exclusion($0) }
        var seen = seen
        let words = (batch.addressBound + 63) / 64
        if seen.count < words { seen.append(contentsOf: repeatElement(0, count: words - seen.count)) }
        let none = ChainIndex.noAddress
        for t in 0..<batch.txCount {
            var tx = batch.view(t)
            tx.fresh = tx.freshOutputs { seen[Int($0 >> 6)] & (1 << UInt64($0 & 63)) != 0 }
            for o in tx.outputs where batch.outputAddress[o] != none {
                let a = batch.outputAddress[o]
                seen[Int(a >> 6)] |= 1 << UInt64(a & 63)
            }
            if tx.isCoinbase { continue }
            if tx.inputCount >= 2 && exclusions.contains(where: { $0.matches(tx) }) { continue }
            for h in heuristics {
                if let v = h.candidates(in: tx).only { named[h.id, default: []].append(ChangeOutput(tx: tx.id, vout: v)) }
            }
        }
    }
}
