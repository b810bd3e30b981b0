/// The 80-byte block header.
public struct BlockHeader: Hashable, Sendable {
    public var version: Int32
    public var previousBlockHash: BlockHash
    public var merkleRoot: Digest32
    public var time: UInt32
    public var bits: UInt32
    public var nonce: UInt32
    public private(set) var hash: BlockHash

    public static let size = 80

    public init(version: Int32, previousBlockHash: BlockHash, merkleRoot: Digest32, time: UInt32, bits: UInt32,
                nonce: UInt32) {
        self.version = version
        self.previousBlockHash = previousBlockHash
        self.merkleRoot = merkleRoot
        self.time = time
        self.bits = bits
        self.nonce = nonce
        var w = ByteWriter(capacity: 80)
        w.writeInt32(version)
        w.writeDigest(previousBlockHash.digest)
        w.writeDigest(merkleRoot)
        w.writeUInt32(time)
        w.writeUInt32(bits)
        w.writeUInt32(nonce)
        hash = BlockHash(digest: Hashing.sha256d(w.bytes))
    }

    /// A header whose previous-block hash is unknown (a bitcoin-etl row without `previous_block_hash` whose
    /// parent is not in the export): the hash cannot be recomputed, so it is taken as stated and
    /// `previousBlockHash` is zero. Only for sources that cannot do better.
    public init(version: Int32, merkleRoot: Digest32, time: UInt32, bits: UInt32, nonce: UInt32,
                statedHash: BlockHash) {
        self.version = version
        self.previousBlockHash = .zero
        self.merkleRoot = merkleRoot
        self.time = time
        self.bits = bits
        self.nonce = nonce
        hash = statedHash
    }

    public init(from r: inout ByteReader) throws(ParseError) {
        try r.require(80)
        let start = r.offset
        version = try r.readInt32()
        previousBlockHash = BlockHash(digest: try r.readDigest32())
        merkleRoot = try r.readDigest32()
        time = try r.readUInt32()
        bits = try r.readUInt32()
        nonce = try r.readUInt32()
        hash = BlockHash(digest: Hashing.sha256d(UnsafeRawBufferPointer(rebasing: r.bytes[start..<(start + 80)])))
    }

    /// Work this header's target represents (Core's `GetBlockProof`); zero for an invalid `bits`.
    public var work: UInt256 { UInt256.work(fromCompactBits: bits) }
}

/// A decoded block.
public struct Block: Sendable {
    public var header: BlockHeader
    public var transactions: [Transaction]
    /// Serialized size with witness data.
    public private(set) var size: Int
    /// Serialized size without any witness data.
    public private(set) var strippedSize: Int

    public var hash: BlockHash { header.hash }
    /// BIP141 weight.
    public var weight: Int { strippedSize * 3 + size }

    public init(header: BlockHeader, transactions: [Transaction]) {
        self.header = header
        self.transactions = transactions
        let countSize = ByteWriter.compactSizeLength(UInt64(transactions.count))
        size = 80 + countSize + transactions.reduce(0) { $0 + $1.size }
        strippedSize = 80 + countSize + transactions.reduce(0) { $0 + $1.strippedSize }
    }

    /// Decodes a block at the reader's position.
    public init(from r: inout ByteReader, keepWitness: Bool = true) throws(ParseError) {
        let start = r.offset
        header = try BlockHeader(from: &r)
        let countStart = r.offset
        let n = try r.readCount(minimumElementSize: 60)
        let countSize = r.offset - countStart
        var txs: [Transaction] = []
        txs.reserveCapacity(n)
        var stripped = 80 + countSize
        for _ in 0..<n {
            let tx = try Transaction(from: &r, keepWitness: keepWitness)
            stripped += tx.strippedSize
            txs.append(tx)
        }
        transactions = txs
        size = r.offset - start
        strippedSize = stripped
    }

    /// Decodes exactly one block from `bytes`; trailing bytes are an error.
    public init(bytes: [UInt8], keepWitness: Bool = true) throws(ParseError) {
        self = try bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) -> Block in
            var r = ByteReader(p)
            let b = try Block(from: &r, keepWitness: keepWitness)
            guard r.isAtEnd else { throw r.error(.trailingBytes(r.remaining)) }
            return b
        }
    }

    public func serialized(includeWitness: Bool = true) -> [UInt8] {
        var w = ByteWriter(capacity: size)
        w.writeInt32(header.version)
        w.writeDigest(header.previousBlockHash.digest)
        w.writeDigest(header.merkleRoot)
        w.writeUInt32(header.time)
        w.writeUInt32(header.bits)
        w.writeUInt32(header.nonce)
        w.writeCompactSize(UInt64(transactions.count))
        for tx in transactions { tx.encode(to: &w, includeWitness: includeWitness) }
        return w.bytes
    }

    /// The merkle root of the txids, computed (Core's `BlockMerkleRoot`).
    public var computedMerkleRoot: Digest32 { Merkle.root(transactions.map(\.txid.digest)) }
    public var merkleRootMatches: Bool { computedMerkleRoot == header.merkleRoot }

    /// BIP34 height from the coinbase script, for blocks of version 2 and later; nil when absent.
    public var bip34Height: Int? {
        guard header.version >= 2, let cb = transactions.first, cb.isCoinbase else { return nil }
        return Self.bip34Height(coinbaseScript: cb.inputs[0].scriptSig)
    }

    /// Reads the height push that BIP34 puts first in the coinbase script.
    public static func bip34Height(coinbaseScript s: [UInt8]) -> Int? {
        guard let op = s.first else { return nil }
        switch op {
        case 0x00: return 0
        case 0x51...0x60: return Int(op) - 0x50
        case 0x01...0x08:
            let n = Int(op)
            guard s.count >= 1 + n else { return nil }
            var v: Int64 = 0
            for i in 0..<n { v |= Int64(s[1 + i]) << (8 * i) }
            // Script numbers are sign-magnitude; a height is never negative.
            if s[n] & 0x80 != 0 { return nil }
            return Int(v)
        default: return nil
        }
    }

    /// The BIP141 witness commitment check: nil when the block has no witness data and no commitment;
    /// true when the commitment in the coinbase matches the witness merkle root and reserved value.
    public var witnessCommitmentValid: Bool? {
        guard let coinbase = transactions.first else { return nil }
        let commitment = Self.witnessCommitment(in: coinbase)
        let anyWitness = transactions.contains { $0.hasWitness }
        guard let commitment else { return anyWitness ? false : nil }
        guard let reserved = coinbase.inputs.first?.witness, reserved.count == 1, reserved[0].count == 32,
              let reservedValue = Digest32(bytes: reserved[0]) else {
            // Without the reserved value (e.g. decoded with keepWitness: false) the check cannot be made.
            return coinbase.hasWitness ? nil : false
        }
        var leaves = transactions.map(\.wtxid.digest)
        leaves[0] = .zero
        let root = Merkle.root(leaves)
        return Hashing.sha256d(root, reservedValue) == commitment
    }

    /// The last output of the coinbase whose script starts 6a24aa21a9ed (BIP141): its 32-byte commitment.
    public static func witnessCommitment(in coinbase: Transaction) -> Digest32? {
        for out in coinbase.outputs.reversed() {
            let s = out.scriptPubKey
            if s.count >= 38, s[0] == 0x6a, s[1] == 0x24, s[2] == 0xaa, s[3] == 0x21, s[4] == 0xa9, s[5] == 0xed {
                return Digest32(bytes: s[6..<38])
            }
        }
        return nil
    }
}

public enum Merkle {
    /// Core's merkle root: pairwise SHA-256d, duplicating the last node of an odd level.
    public static func root(_ leaves: [Digest32]) -> Digest32 {
        guard !leaves.isEmpty else { return .zero }
        var level = leaves
        while level.count > 1 {
            var next: [Digest32] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i < level.count {
                let a = level[i]
                let b = i + 1 < level.count ? level[i + 1] : a
                next.append(Hashing.sha256d(a, b))
                i += 2
            }
            level = next
        }
        return level[0]
    }
}

extension ByteWriter {
    public static func compactSizeLength(_ n: UInt64) -> Int {
        switch n {
        case 0..<0xfd: return 1
        case 0xfd...0xffff: return 3
        case 0x1_0000...0xffff_ffff: return 5
        default: return 9
        }
    }
}
