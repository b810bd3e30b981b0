import BitcoinAddresses
import BitcoinPrimitives

/// Where a record came from: the file, and the byte offset or line within it.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var byteOffset: Int?
    public var line: Int?

    public init(file: String, byteOffset: Int? = nil, line: Int? = nil) {
        self.file = file
        self.byteOffset = byteOffset
        self.line = line
    }

    public var description: String {
        var s = file
        if let line { s += ", line \(line)" }
        if let byteOffset { s += ", byte \(byteOffset)" }
        return s
    }
}

/// A fault in source data, carrying where it happened. Its description is a sentence a user can act on.
public struct SourceError: Error, Sendable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String
    /// The decoding fault underneath, when there is one (its offset is already folded into `location`).
    public var underlying: ParseError?

    public init(_ message: String, at location: SourceLocation, underlying: ParseError? = nil) {
        self.message = message
        self.location = location
        self.underlying = underlying
    }

    public var description: String { "\(location): \(message)" }
}

/// One block as a source delivers it.
public struct SourceBlock: Sendable {
    public var block: Block
    /// The height the source states, or the one best-chain assembly assigned.
    public var height: Int?
    /// Per transaction, per input: the output it spends, where the source carries it (`getblock 3`'s
    /// `prevout`, enriched bitcoin-etl inputs). Nil when the source knows none.
    public var prevouts: [[TxOut?]]?
    public var location: SourceLocation
    /// Set by sources that already checked the block's structure (`Block.transactionListFault`: one coinbase and
    /// first, no txid twice, the merkle root), so the ingest does not hash it all again; proof of work is
    /// checked by the ingest either way.
    public var structureChecked: Bool
    /// Set when the source holds only some of the block's transactions (an Esplora fetch): `block` then holds
    /// those, and the source has checked them against the header through the block's full txid list.
    public var partial: PartialBlock?

    public init(block: Block, height: Int?, prevouts: [[TxOut?]]? = nil, location: SourceLocation,
                structureChecked: Bool = false, partial: PartialBlock? = nil) {
        self.block = block
        self.height = height
        self.prevouts = prevouts
        self.location = location
        self.structureChecked = structureChecked
        self.partial = partial
    }
}

/// What is known of a block a source holds only in part.
public struct PartialBlock: Sendable {
    /// The position in the whole block of each of the held transactions, in their order.
    public var positions: [Int]
    /// The whole block's transaction count, serialized size and weight.
    public var transactionCount: Int
    public var size: Int
    public var weight: Int

    public init(positions: [Int], transactionCount: Int, size: Int, weight: Int) {
        self.positions = positions
        self.transactionCount = transactionCount
        self.size = size
        self.weight = weight
    }
}

extension Block {
    /// The block's structural fault (see `Block.transactionListFault`) as a source error at `location`.
    func checkStructure(at location: SourceLocation) throws(SourceError) {
        if let fault = Block.transactionListFault(transactions.map(\.txid), isCoinbase: { transactions[$0].isCoinbase },
                                                  merkleRoot: header.merkleRoot) {
            throw SourceError("block \(hash): \(fault)", at: location)
        }
    }
}

/// What a source yields, in chain order.
public enum SourceItem: Sendable {
    case block(SourceBlock)
    /// A transaction outside any block (raw transaction hex, one per line).
    case transaction(Transaction, SourceLocation)
}

/// A stream of chain data in chain order. Sources read lazily and hold only a few files in memory.
public protocol ChainSource: AnyObject {
    /// The network the data belongs to, stated or detected; nil while unknown.
    var network: Network? { get }
    /// The next item, or nil at the end. Throws `SourceError` naming the file and offset or line.
    func next() throws -> SourceItem?
    /// Blocks the source saw that are not on the best chain (blk directories); empty for others.
    var staleBlocks: [BlockHash] { get }
    /// Blocks yielded although they do not connect to the chain from genesis (pieces of chain whose earlier
    /// blocks are missing or corrupt; blk directories), and how many pieces they form.
    var unconnectedBlocks: [BlockHash] { get }
    var unconnectedPieces: Int { get }
    /// What the source read, to record in the case (the report's manifest names every input): called once
    /// `next()` has returned nil. Sources hash the bytes as they read them; a blk directory hashes what its reads
    /// skipped (record prefixes, stale blocks, padding) here, in file order. Empty for sources with nothing to name.
    func inputsRead() throws -> [ChainInput]
}

extension ChainSource {
    public var staleBlocks: [BlockHash] { [] }
    public var unconnectedBlocks: [BlockHash] { [] }
    public var unconnectedPieces: Int { 0 }
    public func inputsRead() throws -> [ChainInput] { [] }
}

/// One input an ingest read: a file with its SHA-256 and size, a node with the chain range it served, or an
/// Esplora server with the blocks whose transactions were fetched.
public struct ChainInput: Sendable, Equatable {
    public enum Kind: String, Sendable { case file, node, esplora }
    public var kind: Kind
    /// The file's path, or the server's URL (without credentials).
    public var location: String
    /// File: SHA-256 (hex) of the bytes read; of the decompressed text when `decompressed`.
    public var sha256: String?
    /// File: its size on disk.
    public var bytes: Int?
    /// File: gzip, hashed as decompressed (zlib reads the file itself, so the compressed bytes never pass by).
    public var decompressed = false
    /// Node: the chain name it reported (`main`, `test`, `regtest`, …).
    public var chain: String?
    /// Node: the height range read, and the hash of the block at its top.
    public var firstHeight: Int?
    public var tipHeight: Int?
    public var tipHash: BlockHash?
    /// Esplora: the blocks whose transactions were fetched, sorted.
    public var blockHashes: [BlockHash] = []

    public init(kind: Kind, location: String) {
        self.kind = kind
        self.location = location
    }

    /// A file read whole (`sha256` of `bytes` bytes).
    public static func file(_ path: String, sha256: String, bytes: Int, decompressed: Bool = false) -> ChainInput {
        var input = ChainInput(kind: .file, location: path)
        input.sha256 = sha256
        input.bytes = bytes
        input.decompressed = decompressed
        return input
    }
}
