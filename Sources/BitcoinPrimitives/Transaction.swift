import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A reference to a transaction output: the txid and the output's index.
public struct OutPoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var txid: Txid
    public var vout: UInt32

    public init(txid: Txid, vout: UInt32) {
        self.txid = txid
        self.vout = vout
    }

    /// The null prevout of a coinbase input.
    public static let null = OutPoint(txid: .zero, vout: .max)
    public var isNull: Bool { vout == .max && txid.digest.isZero }
    public var description: String { "\(txid.hex):\(vout)" }
    public static func < (a: OutPoint, b: OutPoint) -> Bool { (a.txid, a.vout) < (b.txid, b.vout) }
}

public struct TxIn: Hashable, Sendable {
    public var prevout: OutPoint
    public var scriptSig: [UInt8]
    public var sequence: UInt32
    /// The witness stack; empty for non-segwit inputs, and also when decoded with `keepWitness: false`.
    public var witness: [[UInt8]]

    public init(prevout: OutPoint, scriptSig: [UInt8] = [], sequence: UInt32 = .max, witness: [[UInt8]] = []) {
        self.prevout = prevout
        self.scriptSig = scriptSig
        self.sequence = sequence
        self.witness = witness
    }
}

public struct TxOut: Hashable, Sendable {
    public var value: Amount
    public var scriptPubKey: [UInt8]

    public init(value: Amount, scriptPubKey: [UInt8]) {
        self.value = value
        self.scriptPubKey = scriptPubKey
    }
}

/// A decoded transaction with its ids and sizes, computed from the bytes it was read from.
public struct Transaction: Hashable, Sendable {
    public var version: Int32
    public var inputs: [TxIn]
    public var outputs: [TxOut]
    public var lockTime: UInt32
    public private(set) var txid: Txid
    public private(set) var wtxid: Wtxid
    /// Serialized size with witness data.
    public private(set) var size: Int
    /// Serialized size without witness data.
    public private(set) var strippedSize: Int
    /// Whether the transaction was serialized with witness data.
    public private(set) var hasWitness: Bool

    /// BIP141 weight: stripped size × 3 + total size.
    public var weight: Int { strippedSize * 3 + size }
    /// Virtual size: weight / 4, rounded up.
    public var vsize: Int { (weight + 3) / 4 }
    public var isCoinbase: Bool { inputs.count == 1 && inputs[0].prevout.isNull }

    /// Builds a transaction from parts, computing ids and sizes by serializing it.
    public init(version: Int32, inputs: [TxIn], outputs: [TxOut], lockTime: UInt32) {
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.lockTime = lockTime
        self.txid = .zero
        self.wtxid = .zero
        self.size = 0
        self.strippedSize = 0
        self.hasWitness = inputs.contains { !$0.witness.isEmpty }
        let stripped = serialized(includeWitness: false)
        let full = hasWitness ? serialized(includeWitness: true) : stripped
        txid = Txid(digest: Hashing.sha256d(stripped))
        wtxid = Wtxid(digest: hasWitness ? Hashing.sha256d(full) : txid.digest)
        size = full.count
        strippedSize = stripped.count
    }

    /// Builds a transaction whose witness data is not at hand (node JSON without `hex`, bitcoin-etl rows):
    /// the txid is computed from the parts (it never covers witnesses); the wtxid and sizes are taken as the
    /// source states them.
    public init(version: Int32, inputs: [TxIn], outputs: [TxOut], lockTime: UInt32,
                statedWtxid: Wtxid?, statedSize: Int, statedStrippedSize: Int, hasWitness: Bool) {
        self.init(version: version, inputs: inputs, outputs: outputs, lockTime: lockTime)
        if let statedWtxid { wtxid = statedWtxid } else if !hasWitness { wtxid = Wtxid(digest: txid.digest) }
        size = statedSize
        strippedSize = statedStrippedSize
        self.hasWitness = hasWitness
    }

    /// Decodes one transaction from `bytes` (exactly: trailing bytes are an error).
    public init(bytes: [UInt8], keepWitness: Bool = true) throws(ParseError) {
        self = try bytes.withParseableBytes { (p: UnsafeRawBufferPointer) throws(ParseError) -> Transaction in
            var r = ByteReader(p)
            let tx = try Transaction(from: &r, keepWitness: keepWitness)
            guard r.isAtEnd else { throw r.error(.trailingBytes(r.remaining)) }
            return tx
        }
    }

    /// Decodes a transaction at the reader's position (`BlockScanner.scanTransaction`, the one decoder of the
    /// wire format), copying its scripts and, with `keepWitness`, its witness stacks out of the buffer.
    /// - Parameter keepWitness: copy witness stacks out; `false` skips them (ids and sizes are still exact).
    public init(from r: inout ByteReader, keepWitness: Bool = true) throws(ParseError) {
        var parts = TransactionParts(bytes: r.bytes, keepWitness: keepWitness)
        let scanned = try BlockScanner.scanTransaction(&r, visitor: &parts)
        version = scanned.version
        inputs = parts.inputs
        outputs = parts.outputs
        lockTime = scanned.lockTime
        txid = scanned.txid
        wtxid = scanned.wtxid
        size = scanned.size
        strippedSize = scanned.strippedSize
        hasWitness = scanned.hasWitness
    }

    /// The consensus serialization; with witness data (BIP144) when asked and present.
    public func serialized(includeWitness: Bool = true) -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        encode(to: &w, includeWitness: includeWitness)
        return w.bytes
    }

    public func encode(to w: inout ByteWriter, includeWitness: Bool = true) {
        let withWitness = includeWitness && inputs.contains { !$0.witness.isEmpty }
        w.writeInt32(version)
        if withWitness { w.writeUInt8(0); w.writeUInt8(1) }
        w.writeCompactSize(UInt64(inputs.count))
        for i in inputs {
            w.writeDigest(i.prevout.txid.digest)
            w.writeUInt32(i.prevout.vout)
            w.writeVarBytes(i.scriptSig)
            w.writeUInt32(i.sequence)
        }
        w.writeCompactSize(UInt64(outputs.count))
        for o in outputs {
            w.writeInt64(o.value.satoshis)
            w.writeVarBytes(o.scriptPubKey)
        }
        if withWitness {
            for i in inputs {
                w.writeCompactSize(UInt64(i.witness.count))
                for item in i.witness { w.writeVarBytes(item) }
            }
        }
        w.writeUInt32(lockTime)
    }

    /// Sum of output values (no overflow check: consensus-valid data cannot overflow Int64).
    public var totalOutput: Amount { Amount(satoshis: outputs.reduce(0) { $0 &+ $1.value.satoshis }) }
}

/// Copies a scanned transaction's inputs, outputs and (optionally) witness stacks out of the buffer.
struct TransactionParts: TransactionVisitor {
    let bytes: UnsafeRawBufferPointer
    let keepWitness: Bool
    var inputs: [TxIn] = []
    var outputs: [TxOut] = []

    init(bytes: UnsafeRawBufferPointer, keepWitness: Bool) {
        self.bytes = bytes
        self.keepWitness = keepWitness
    }

    private func copy(_ range: Range<Int>) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: bytes[range])) }

    mutating func inputCount(_ count: Int) { inputs.reserveCapacity(count) }
    mutating func input(_ index: Int, prevout: OutPoint, scriptSig: Range<Int>, sequence: UInt32) {
        inputs.append(TxIn(prevout: prevout, scriptSig: copy(scriptSig), sequence: sequence))
    }
    mutating func outputCount(_ count: Int) { outputs.reserveCapacity(count) }
    mutating func output(_ index: Int, value: Amount, scriptPubKey: Range<Int>) {
        outputs.append(TxOut(value: value, scriptPubKey: copy(scriptPubKey)))
    }
    mutating func witnessItem(_ input: Int, _ item: Range<Int>) {
        if keepWitness { inputs[input].witness.append(copy(item)) }
    }
}
