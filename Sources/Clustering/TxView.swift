import BitcoinAddresses

/// A set of output positions (`vout`) of one transaction, as a 64-bit mask.
///
/// Change detection only considers transactions with at most 64 outputs: larger ones are batch payouts,
/// where "which output is change" is a different question (see Heuristics/README.md).
public struct OutputSet: Hashable, Sendable, Sequence, CustomStringConvertible {
    public var bits: UInt64
    public static let capacity = 64

    @inlinable public init(bits: UInt64 = 0) { self.bits = bits }
    public init(_ vouts: some Sequence<Int>) {
        bits = 0
        for v in vouts where v >= 0 && v < Self.capacity { bits |= 1 << UInt64(v) }
    }
    public static let empty = OutputSet()
    /// Outputs 0 ..< n.
    @inlinable public static func all(_ n: Int) -> OutputSet {
        OutputSet(bits: n >= 64 ? .max : (UInt64(1) << UInt64(n)) &- 1)
    }

    @inlinable public var count: Int { bits.nonzeroBitCount }
    @inlinable public var isEmpty: Bool { bits == 0 }
    @inlinable public func contains(_ v: Int) -> Bool { v >= 0 && v < 64 && bits & (1 << UInt64(v)) != 0 }
    @inlinable public mutating func insert(_ v: Int) { if v >= 0 && v < 64 { bits |= 1 << UInt64(v) } }
    @inlinable public func union(_ o: OutputSet) -> OutputSet { OutputSet(bits: bits | o.bits) }
    @inlinable public func intersection(_ o: OutputSet) -> OutputSet { OutputSet(bits: bits & o.bits) }
    @inlinable public func subtracting(_ o: OutputSet) -> OutputSet { OutputSet(bits: bits & ~o.bits) }
    /// The single member, if there is exactly one.
    @inlinable public var only: Int? { bits.nonzeroBitCount == 1 ? bits.trailingZeroBitCount : nil }

    public func makeIterator() -> AnyIterator<Int> {
        var rest = bits
        return AnyIterator {
            guard rest != 0 else { return nil }
            let v = rest.trailingZeroBitCount
            rest &= rest &- 1
            return v
        }
    }
    public var description: String { "{" + map(String.init).joined(separator: ",") + "}" }
}

/// Read-only view of one transaction inside a `TransactionBatch`. Indices passed to the accessors are
/// positions within the transaction (`vin`, `vout`).
public struct TxView {
    public let batch: TransactionBatch
    public let index: Int
    public let inputs: Range<Int>
    public let outputs: Range<Int>
    /// Outputs whose address appears here for the first time in chain order (filled by the clusterer,
    /// which walks the chain in order; empty when the view was made outside it).
    public var fresh: OutputSet = .empty
    /// Script kinds of the change outputs the change rule picked earlier (chain order) in the cluster the
    /// inputs belong to, as a bit mask `1 << kind` (filled by the clusterer; 0 when nothing is known or
    /// the view was made outside it). What `change.wallet-type` reads.
    public var clusterChangeKinds: UInt32 = 0

    public init(batch: TransactionBatch, index: Int, inputs: Range<Int>, outputs: Range<Int>) {
        self.batch = batch
        self.index = index
        self.inputs = inputs
        self.outputs = outputs
    }

    @inlinable public var id: TxID { TxID(batch.txIDs[index]) }
    @inlinable public var isCoinbase: Bool { batch.coinbase[index] }
    @inlinable public var version: Int32 { batch.versions[index] }
    @inlinable public var lockTime: UInt32 { batch.lockTimes[index] }
    @inlinable public var inputCount: Int { inputs.count }
    @inlinable public var outputCount: Int { outputs.count }

    @inlinable public func inputAddress(_ i: Int) -> UInt32 { batch.inputAddress[inputs.lowerBound + i] }
    @inlinable public func inputValue(_ i: Int) -> Int64 { batch.inputValue[inputs.lowerBound + i] }
    @inlinable public func inputKind(_ i: Int) -> UInt8 { batch.inputKind[inputs.lowerBound + i] }
    @inlinable public func inputSequence(_ i: Int) -> UInt32 { batch.inputSequence[inputs.lowerBound + i] }
    @inlinable public func outputAddress(_ o: Int) -> UInt32 { batch.outputAddress[outputs.lowerBound + o] }
    @inlinable public func outputValue(_ o: Int) -> Int64 { batch.outputValue[outputs.lowerBound + o] }
    @inlinable public func outputKind(_ o: Int) -> UInt8 { batch.outputKind[outputs.lowerBound + o] }
    public func outputSpender(_ o: Int) -> SpenderShape? { SpenderShape(packed: batch.outputSpender[outputs.lowerBound + o]) }

    /// Any input signals replaceability (BIP 125: a sequence below 0xFFFFFFFE).
    public var signalsRBF: Bool {
        for i in inputs where batch.inputSequence[i] < 0xFFFF_FFFE { return true }
        return false
    }

    /// This transaction's habits in the form a spender of an output is recorded.
    public var shape: SpenderShape {
        SpenderShape(version: version, lockTimeIsSet: lockTime != 0, signalsRBF: signalsRBF,
                     inputCount: inputCount, outputCount: outputCount)
    }

    /// Outputs that pay an address (candidates for change at all).
    public var addressedOutputs: OutputSet {
        var s = OutputSet()
        for o in 0..<min(outputCount, OutputSet.capacity) where outputAddress(o) != TransactionBatch.noAddress {
            s.insert(o)
        }
        return s
    }

    /// Distinct input addresses (ignoring inputs without one).
    public var distinctInputAddressCount: Int {
        var seen = Set<UInt32>()
        for i in inputs where batch.inputAddress[i] != TransactionBatch.noAddress { seen.insert(batch.inputAddress[i]) }
        return seen.count
    }
}
