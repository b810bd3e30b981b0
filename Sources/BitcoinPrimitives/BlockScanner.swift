/// What a zero-copy scan learns about one transaction: where it sits and its ids and sizes. The scripts and
/// witnesses stay in the buffer; the visitor gets their ranges.
public struct ScannedTransaction: Sendable, Hashable {
    /// The transaction's bytes in the scanned buffer.
    public var range: Range<Int>
    public var txid: Txid
    public var wtxid: Wtxid
    public var version: Int32
    public var lockTime: UInt32
    public var inputCount: Int
    public var outputCount: Int
    public var hasWitness: Bool
    /// Size without witness data.
    public var strippedSize: Int
    public var isCoinbase: Bool

    @inlinable
    public init(range: Range<Int>, txid: Txid, wtxid: Wtxid, version: Int32, lockTime: UInt32, inputCount: Int,
                outputCount: Int, hasWitness: Bool, strippedSize: Int, isCoinbase: Bool) {
        self.range = range
        self.txid = txid
        self.wtxid = wtxid
        self.version = version
        self.lockTime = lockTime
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.hasWitness = hasWitness
        self.strippedSize = strippedSize
        self.isCoinbase = isCoinbase
    }

    public var size: Int { range.count }
    public var weight: Int { strippedSize * 3 + size }
    public var vsize: Int { (weight + 3) / 4 }
}

/// Receives the parts of transactions as `BlockScanner` walks them. Every method has an empty default, so a
/// visitor implements only what it needs (the calls it does not implement specialize away); ranges index the
/// buffer being scanned.
public protocol TransactionVisitor {
    /// Called before the inputs and before the outputs, with how many there are.
    mutating func inputCount(_ count: Int)
    mutating func input(_ index: Int, prevout: OutPoint, scriptSig: Range<Int>, sequence: UInt32)
    mutating func outputCount(_ count: Int)
    mutating func output(_ index: Int, value: Amount, scriptPubKey: Range<Int>)
    /// One item of input `input`'s witness stack (BIP144), in order.
    mutating func witnessItem(_ input: Int, _ item: Range<Int>)
    /// Called once the transaction is complete (after its inputs and outputs), with its ids.
    mutating func transaction(_ tx: ScannedTransaction)
}

extension TransactionVisitor {
    @inlinable public mutating func inputCount(_ count: Int) {}
    @inlinable public mutating func input(_ index: Int, prevout: OutPoint, scriptSig: Range<Int>, sequence: UInt32) {}
    @inlinable public mutating func outputCount(_ count: Int) {}
    @inlinable public mutating func output(_ index: Int, value: Amount, scriptPubKey: Range<Int>) {}
    @inlinable public mutating func witnessItem(_ input: Int, _ item: Range<Int>) {}
    @inlinable public mutating func transaction(_ tx: ScannedTransaction) {}
}

/// The one decoder of the transaction wire format, as Core's `UnserializeTransaction` reads it: canonical
/// CompactSize, counts checked against the bytes left, BIP144 marker and flag, "superfluous witness record"
/// when the flag is set but every witness is empty. It walks the bytes in place without allocating: ids are
/// hashed from byte ranges of the buffer, scripts and witness items are handed to a visitor as ranges.
/// `Transaction(from:)` is this scan with a visitor that copies the parts out; a full pass over a blocks
/// directory uses it directly.
public enum BlockScanner {
    /// Scans one transaction at the reader's position.
    @inlinable
    public static func scanTransaction<V: TransactionVisitor>(
        _ r: inout ByteReader, visitor: inout V
    ) throws(ParseError) -> ScannedTransaction {
        let start = r.offset
        let version = try r.readInt32()
        let segwit = try r.readWitnessMarker()
        let bodyStart = r.offset
        let inputCount = try r.readCount(minimumElementSize: 41)
        visitor.inputCount(inputCount)
        var coinbase = false
        for i in 0..<inputCount {
            let prevHash = try r.readDigest32()
            let vout = try r.readUInt32()
            let script = try r.readVarRange()
            let sequence = try r.readUInt32()
            if i == 0 && inputCount == 1 && vout == .max && prevHash.isZero { coinbase = true }
            visitor.input(i, prevout: OutPoint(txid: Txid(digest: prevHash), vout: vout), scriptSig: script,
                          sequence: sequence)
        }
        let outputCount = try r.readCount(minimumElementSize: 9)
        visitor.outputCount(outputCount)
        for i in 0..<outputCount {
            let value = try r.readInt64()
            let script = try r.readVarRange()
            visitor.output(i, value: Amount(satoshis: value), scriptPubKey: script)
        }
        let bodyEnd = r.offset
        if segwit {
            let witnessStart = r.offset
            var anyWitness = false
            for i in 0..<inputCount {
                let items = try r.readCount(minimumElementSize: 1)
                if items > 0 { anyWitness = true }
                for _ in 0..<items { visitor.witnessItem(i, try r.readVarRange()) }
            }
            guard anyWitness else { throw r.error(.superfluousWitness, at: witnessStart) }
        }
        let lockStart = r.offset
        let lockTime = try r.readUInt32()
        let end = r.offset
        let bytes = r.bytes
        let txid: Txid, wtxid: Wtxid
        if segwit {
            txid = Txid(digest: Hashing.sha256d(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + 4)]),
                                                UnsafeRawBufferPointer(rebasing: bytes[bodyStart..<bodyEnd]),
                                                UnsafeRawBufferPointer(rebasing: bytes[lockStart..<end])))
            wtxid = Wtxid(digest: Hashing.sha256d(UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
        } else {
            txid = Txid(digest: Hashing.sha256d(UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
            wtxid = Wtxid(digest: txid.digest)
        }
        let scanned = ScannedTransaction(
            range: start..<end, txid: txid, wtxid: wtxid, version: version, lockTime: lockTime,
            inputCount: inputCount, outputCount: outputCount, hasWitness: segwit,
            strippedSize: segwit ? 4 + (bodyEnd - bodyStart) + 4 : end - start, isCoinbase: coinbase)
        visitor.transaction(scanned)
        return scanned
    }

    /// Scans a whole block at the reader's position: its header, then every transaction in order.
    /// Returns the header and the transaction count.
    @inlinable
    public static func scanBlock<V: TransactionVisitor>(
        _ r: inout ByteReader, visitor: inout V
    ) throws(ParseError) -> (header: BlockHeader, transactionCount: Int) {
        let header = try BlockHeader(from: &r)
        let n = try r.readCount(minimumElementSize: 60)
        for _ in 0..<n { _ = try scanTransaction(&r, visitor: &visitor) }
        return (header, n)
    }
}
