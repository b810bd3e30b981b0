import BitcoinAddresses
import BitcoinPrimitives

/// The best chain assembled from blk-file records: Core's rule (most cumulative work, first seen wins a tie),
/// applied to whatever the files hold, in whatever order they hold it.
public struct BlockFileBestChain: Sendable {
    /// Records of the best chain, lowest height first.
    public var chain: [BlockFileRecord]
    /// Height of `chain[0]`; nil when the chain does not start at genesis, its parent is not a known genesis
    /// and it carries no BIP34 height.
    public var firstHeight: Int?
    /// Blocks that are not on the best chain (forks, and pieces that do not connect), in file order.
    public var stale: [BlockFileRecord]
    /// Records whose block hash appeared earlier in the files (only the first copy is used).
    public var duplicates: Int

    /// Assembles the best chain from `records` (given in file order).
    /// - Parameter rootHeight: the height of a block whose parent is absent, when it can be found out
    ///   (e.g. from its BIP34 coinbase); asked only for the few blocks that start a piece.
    public init(records: [BlockFileRecord], network: Network?,
                rootHeight: (BlockFileRecord) -> Int? = { _ in nil }) {
        var indexOf: [BlockHash: Int] = [:]
        indexOf.reserveCapacity(records.count)
        var unique: [BlockFileRecord] = []
        unique.reserveCapacity(records.count)
        var duplicates = 0
        for r in records {
            if indexOf[r.header.hash] != nil { duplicates += 1; continue }
            indexOf[r.header.hash] = unique.count
            unique.append(r)
        }
        self.duplicates = duplicates

        // Children by parent as linked lists over indices (no allocation per block), in file order so that
        // the first-seen child is visited first.
        var firstChild = [Int](repeating: -1, count: unique.count)
        var lastChild = [Int](repeating: -1, count: unique.count)
        var nextSibling = [Int](repeating: -1, count: unique.count)
        var roots: [Int] = []
        for (i, r) in unique.enumerated() {
            guard let p = indexOf[r.header.previousBlockHash] else { roots.append(i); continue }
            if firstChild[p] < 0 { firstChild[p] = i } else { nextSibling[lastChild[p]] = i }
            lastChild[p] = i
        }
        // Work per header, memoized by `bits`: it changes once per 2016 blocks, and the division is not free.
        var workByBits: [UInt32: UInt256] = [:]
        func headerWork(_ i: Int) -> UInt256 {
            let bits = unique[i].header.bits
            if let w = workByBits[bits] { return w }
            let w = unique[i].header.work
            workByBits[bits] = w
            return w
        }
        var work = [UInt256](repeating: .zero, count: unique.count)
        var depth = [Int](repeating: 0, count: unique.count)
        var root = [Int](repeating: 0, count: unique.count)
        var best: Int? = nil
        // Depth-first, iteratively (chains are long).
        var stack: [Int] = []
        for r in roots {
            work[r] = headerWork(r)
            root[r] = r
            stack.append(r)
            while let i = stack.popLast() {
                if let b = best {
                    // Strictly more work wins; on a tie the block seen first in the files stays.
                    if work[i] > work[b] || (work[i] == work[b] && i < b) { best = i }
                } else {
                    best = i
                }
                var c = firstChild[i]
                while c >= 0 {
                    work[c] = work[i] + headerWork(c)
                    depth[c] = depth[i] + 1
                    root[c] = root[i]
                    stack.append(c)
                    c = nextSibling[c]
                }
            }
        }
        guard let tip = best else {
            chain = []; stale = []; firstHeight = nil
            return
        }
        var onChain = [Bool](repeating: false, count: unique.count)
        var path: [BlockFileRecord] = []
        path.reserveCapacity(depth[tip] + 1)
        var i = tip
        while true {
            onChain[i] = true
            path.append(unique[i])
            guard let p = indexOf[unique[i].header.previousBlockHash] else { break }
            i = p
        }
        chain = path.reversed()
        stale = unique.indices.filter { !onChain[$0] }.map { unique[$0] }
        let first = unique[root[tip]]
        if first.header.previousBlockHash == .zero {
            firstHeight = 0
        } else if let network, first.header.previousBlockHash == BlockFileBestChain.genesisHash(network) {
            firstHeight = 1
        } else {
            firstHeight = rootHeight(first)
        }
    }

    /// The height of the tip, when heights are known.
    public var tipHeight: Int? { firstHeight.map { $0 + chain.count - 1 } }

    /// Each network's genesis block hash, so a directory that starts at height 1 still gets true heights.
    public static func genesisHash(_ network: Network) -> BlockHash {
        let hex: String
        switch network {
        case .main: hex = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        case .testnet3: hex = "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"
        case .testnet4: hex = "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"
        case .signet: hex = "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6"
        case .regtest: hex = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
        }
        return BlockHash(hex: hex) ?? .zero
    }
}
