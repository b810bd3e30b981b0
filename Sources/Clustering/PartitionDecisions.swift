import BitcoinPrimitives
import ChainIndex

/// One transaction as a partition of a chain export holds it: its place in the chain, and its inputs and
/// outputs with address strings (a partition has no case database, so no dense address ids).
public struct PartitionTransaction: Sendable {
    public struct Input: Sendable {
        public var address: String?
        public var kind: UInt8
        public var value: Int64
        public var sequence: UInt32
        public init(address: String?, kind: UInt8, value: Int64, sequence: UInt32) {
            self.address = address; self.kind = kind; self.value = value; self.sequence = sequence
        }
    }
    public struct Output: Sendable {
        public var address: String?
        public var kind: UInt8
        public var value: Int64
        public init(address: String?, kind: UInt8, value: Int64) { self.address = address; self.kind = kind; self.value = value }
    }
    public var position: ChainPosition
    public var txid: Txid
    public var isCoinbase: Bool
    public var version: Int32
    public var lockTime: UInt32
    public var inputs: [Input]
    public var outputs: [Output]
    public init(position: ChainPosition, txid: Txid, isCoinbase: Bool, version: Int32, lockTime: UInt32,
                inputs: [Input], outputs: [Output]) {
        self.position = position; self.txid = txid; self.isCoinbase = isCoinbase; self.version = version
        self.lockTime = lockTime; self.inputs = inputs; self.outputs = outputs
    }
}

/// What a profile's per-transaction heuristics decide over one partition of a chain: the input for a
/// distributed connected-components run (`Sources/SparkClustering`).
///
/// `merges` are the links the partition's own chain-order walk kept (a link whose two addresses an earlier link
/// of the partition already joined is left out: it changes no component, and the whole chain's walk would not
/// keep it either, so the merges of the whole chain are those of the union of the partitions' merges, walked in
/// chain order). `stops` are every link an exclusion refused, as the whole walk logs them; `exclusions` every
/// transaction an exclusion matched (coinbases included); `firstOutputs` each address's first output in the
/// partition, from which the address's rank in the whole chain (its local id) is the minimum.
public struct PartitionDecisions: Sendable {
    public struct Link: Sendable, Equatable {
        public var position: ChainPosition
        /// Order of the link within its transaction (the walk's order: inputs in `vin` order).
        public var sequence: Int
        public var txid: Txid
        public var a: String
        public var b: String
        /// Bit mask over `HeuristicRegistry.allIDs`.
        public var heuristics: UInt32
    }
    public struct Exclusion: Sendable, Equatable {
        public var position: ChainPosition
        public var txid: Txid
        public var rules: UInt32
    }
    public struct FirstOutput: Sendable, Equatable {
        public var address: String
        public var position: ChainPosition
        public var vout: Int
    }
    public var transactions = 0
    public var merges: [Link] = []
    public var stops: [Link] = []
    public var exclusions: [Exclusion] = []
    public var firstOutputs: [FirstOutput] = []
}

/// Runs a profile's per-transaction decisions over a partition with the clusterer itself (`Clusterer.process`:
/// the same exclusions, co-spend rule and evidence as a local run, no second copy of any rule).
public enum PartitionClustering {
    /// Why the profile cannot be decided per partition, or nil when it can. Change rules read what the walk
    /// learned before (fresh addresses, wallet types) or spenders in later blocks; links read the clusters of the
    /// whole chain; `guard.max-merge-growth` reads cluster sizes at the moment of each merge.
    public static func refusal(_ profile: HeuristicProfile) -> String? {
        if profile.change != nil {
            return "profile \(profile.id) has a change rule: change heuristics read the chain walked so far (fresh "
                + "addresses, learned wallet types) or spenders in later blocks, which one partition does not hold"
        }
        if !profile.links.isEmpty {
            return "profile \(profile.id) has links (\(profile.links.map(\.id.rawValue).joined(separator: ", "))): they read the "
                + "clusters of the whole chain"
        }
        if profile.guards.maxMergeGrowth != nil {
            return "profile \(profile.id) sets guard.max-merge-growth: it refuses merges by cluster sizes in chain order"
        }
        return nil
    }

    /// The decisions over `transactions` (any order: they are walked sorted by chain position).
    /// - Precondition: `refusal(profile) == nil`.
    public static func decide(_ transactions: [PartitionTransaction], profile: HeuristicProfile) -> PartitionDecisions {
        let ordered = transactions.sorted { $0.position < $1.position }
        var ids: [String: UInt32] = [:]
        var names: [String] = []
        var decisions = PartitionDecisions()
        decisions.transactions = ordered.count
        func id(_ address: String?) -> UInt32 {
            guard let address else { return ChainIndex.noAddress }
            if let known = ids[address] { return known }
            let new = UInt32(names.count)  // Cast ok: a partition holds far fewer than 2^32 addresses.
            ids[address] = new
            names.append(address)
            return new
        }
        let index = ChainIndex()
        for (t, tx) in ordered.enumerated() {
            index.beginTransaction(storeID: UInt32(t), version: tx.version, lockTime: tx.lockTime, isCoinbase: tx.isCoinbase)
            for i in tx.inputs { index.appendInput(address: id(i.address), value: i.value, kind: i.kind, sequence: i.sequence) }
            for (vout, o) in tx.outputs.enumerated() {
                let before = names.count
                index.appendOutput(address: id(o.address), value: o.value, kind: o.kind, spender: 0)
                if names.count > before, let a = o.address {
                    decisions.firstOutputs.append(.init(address: a, position: tx.position, vout: vout))
                }
            }
        }
        var clusterer = Clusterer(profile: profile, addressCount: names.count)
        clusterer.process(index)
        decisions.merges = links(clusterer.merges, ordered, names)
        decisions.stops = links(clusterer.stops, ordered, names)
        let coinbaseBit = UInt32(1) << UInt32(HeuristicRegistry.bit(of: HeuristicRegistry.coinbase) ?? 31)
        var flagged = clusterer.flagged.makeIterator()
        var next = flagged.next()
        for (t, tx) in ordered.enumerated() {
            if tx.isCoinbase {
                if profile.exclusions.contains(HeuristicRegistry.coinbase) {
                    decisions.exclusions.append(.init(position: tx.position, txid: tx.txid, rules: coinbaseBit))
                }
            } else if let f = next, f.tx.raw == UInt32(t) {
                decisions.exclusions.append(.init(position: tx.position, txid: tx.txid, rules: f.rules))
                next = flagged.next()
            }
        }
        return decisions
    }

    /// Evidence records with partition-local ids turned back into positions, txids and address strings.
    static func links(_ log: EvidenceLog, _ ordered: [PartitionTransaction], _ names: [String]) -> [PartitionDecisions.Link] {
        var out: [PartitionDecisions.Link] = []
        out.reserveCapacity(log.count)
        var lastTx = UInt32.max, sequence = 0
        for r in log.records {
            sequence = r.tx.raw == lastTx ? sequence + 1 : 0
            lastTx = r.tx.raw
            let tx = ordered[Int(r.tx.raw)]
            out.append(.init(position: tx.position, sequence: sequence, txid: tx.txid, a: names[Int(r.a.raw)],
                             b: names[Int(r.b.raw)], heuristics: r.heuristics))
        }
        return out
    }
}
