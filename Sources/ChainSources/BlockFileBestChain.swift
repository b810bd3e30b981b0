import BitcoinAddresses
import BitcoinPrimitives

/// The chain assembled from blk-file records: Core's rule (most cumulative work, first seen wins a tie) applied
/// to whatever the files hold, in whatever order they hold it — preferring the chain that starts at genesis.
///
/// Records form *pieces*: trees whose first block's parent is in no file. A piece that starts at genesis (or
/// at height 1, under the network's genesis block) is rooted; the best chain is the most-work path of the
/// rooted pieces, or of all pieces when none is rooted. Every other piece is *unconnected* — blocks copied
/// without their ancestors, or cut off by a corrupt block — and is kept as a segment of its own (its most-work
/// path, at its BIP34 height when the coinbase states one), never dropped and never called stale. Stale blocks
/// are the forks: blocks on no segment's path.
public struct BlockFileBestChain: Sendable {
    /// A run of linked blocks, lowest first, and the height of its first block when known.
    public struct Segment: Sendable {
        public var records: [BlockFileRecord]
        public var firstHeight: Int?
    }

    /// Records of the best chain, lowest height first.
    public var chain: [BlockFileRecord]
    /// Height of `chain[0]`; nil when the chain does not start at genesis, its parent is not a known genesis
    /// and it carries no BIP34 height.
    public var firstHeight: Int?
    /// Pieces that do not connect to the best chain: each piece's most-work path, by first height (unknown
    /// last), then file order.
    public var unconnected: [Segment]
    /// Blocks on no segment's path (forks), in file order.
    public var stale: [BlockFileRecord]
    /// Records whose block hash appeared earlier in the files (only the first copy is used).
    public var duplicates: Int

    /// The best chain, then the unconnected segments: everything a reader yields.
    public var segments: [Segment] { [Segment(records: chain, firstHeight: firstHeight)] + unconnected }

    /// Assembles the chain from `records` (given in file order).
    /// - Parameter rootHeight: the height of a block whose parent is absent, when it can be found out
    ///   (e.g. from its BIP34 coinbase); asked only for the few blocks that start a piece.
    public init(records: [BlockFileRecord], network: Network?,
                rootHeight: (BlockFileRecord) -> Int? = { _ in nil }) {
        let forest = Forest(records: records)
        duplicates = forest.duplicates
        let genesisParent = network.map(Self.genesisHash)
        func isRooted(_ piece: Int) -> Bool {
            let prev = forest.unique[piece].header.previousBlockHash
            return prev == .zero || prev == genesisParent
        }
        func knownHeight(_ piece: Int) -> Int? {
            let prev = forest.unique[piece].header.previousBlockHash
            if prev == .zero { return 0 }
            if prev == genesisParent { return 1 }
            return rootHeight(forest.unique[piece])
        }
        let rooted = forest.pieces.filter(isRooted)
        guard let main = forest.bestPiece(among: rooted.isEmpty ? forest.pieces : rooted) else {
            chain = []; stale = []; unconnected = []; firstHeight = nil
            return
        }
        var onPath = [Bool](repeating: false, count: forest.unique.count)
        chain = forest.path(toTipOf: main, marking: &onPath)
        firstHeight = knownHeight(main)
        var others: [(segment: Segment, order: Int)] = []
        for piece in forest.pieces where piece != main {
            let records = forest.path(toTipOf: piece, marking: &onPath)
            others.append((Segment(records: records, firstHeight: knownHeight(piece)), piece))
        }
        unconnected = others.sorted { a, b in
            switch (a.segment.firstHeight, b.segment.firstHeight) {
            case let (x?, y?) where x != y: return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.order < b.order
            }
        }.map(\.segment)
        stale = forest.unique.indices.filter { !onPath[$0] }.map { forest.unique[$0] }
    }

    /// The height of the tip, when heights are known.
    public var tipHeight: Int? { firstHeight.map { $0 + chain.count - 1 } }

    /// Blocks in unconnected segments.
    public var unconnectedBlockCount: Int { unconnected.reduce(0) { $0 + $1.records.count } }

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

/// The records as trees by parent link, with each block's cumulative work from its piece's first block.
private struct Forest {
    var unique: [BlockFileRecord] = []
    var indexOf: [BlockHash: Int] = [:]
    var duplicates = 0
    /// First blocks of the pieces, in file order.
    var pieces: [Int] = []
    /// Per piece (by its first block): its most-work tip; the first seen wins a tie.
    var bestTip: [Int: Int] = [:]
    var work: [UInt256] = []

    init(records: [BlockFileRecord]) {
        indexOf.reserveCapacity(records.count)
        unique.reserveCapacity(records.count)
        for r in records {
            if indexOf[r.header.hash] != nil { duplicates += 1; continue }
            indexOf[r.header.hash] = unique.count
            unique.append(r)
        }
        // Children by parent as linked lists over indices (no allocation per block), in file order so that
        // the first-seen child is visited first.
        var firstChild = [Int](repeating: -1, count: unique.count)
        var lastChild = [Int](repeating: -1, count: unique.count)
        var nextSibling = [Int](repeating: -1, count: unique.count)
        for (i, r) in unique.enumerated() {
            guard let p = indexOf[r.header.previousBlockHash] else { pieces.append(i); continue }
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
        work = [UInt256](repeating: .zero, count: unique.count)
        // Depth-first, iteratively (chains are long).
        var stack: [Int] = []
        for root in pieces {
            work[root] = headerWork(root)
            stack.append(root)
            var best = root
            while let i = stack.popLast() {
                // Strictly more work wins; on a tie the block seen first in the files stays.
                if work[i] > work[best] || (work[i] == work[best] && i < best) { best = i }
                var c = firstChild[i]
                while c >= 0 {
                    work[c] = work[i] + headerWork(c)
                    stack.append(c)
                    c = nextSibling[c]
                }
            }
            bestTip[root] = best
        }
    }

    /// The piece whose best tip has the most work (the first in file order on a tie).
    func bestPiece(among candidates: [Int]) -> Int? {
        var best: Int?
        for p in candidates {
            guard let b = best else { best = p; continue }
            let (wp, wb) = (work[bestTip[p] ?? p], work[bestTip[b] ?? b])
            if wp > wb || (wp == wb && (bestTip[p] ?? p) < (bestTip[b] ?? b)) { best = p }
        }
        return best
    }

    /// The records from a piece's first block to its best tip, marked as on a path.
    func path(toTipOf piece: Int, marking onPath: inout [Bool]) -> [BlockFileRecord] {
        var path: [BlockFileRecord] = []
        var i = bestTip[piece] ?? piece
        while true {
            onPath[i] = true
            path.append(unique[i])
            guard i != piece, let p = indexOf[unique[i].header.previousBlockHash] else { break }
            i = p
        }
        return path.reversed()
    }
}
