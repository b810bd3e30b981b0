import BitcoinAddresses
import BitcoinPrimitives
import ChainIndex

/// A set of output positions (`vout`) of one transaction: a 64-bit mask for vouts 0..<64 (every
/// transaction of a normal wallet) and, only for larger ones such as exchange batch payouts, further
/// 64-bit words. Trailing zero words are never kept, so equal sets compare equal.
public struct OutputSet: Hashable, Sendable, Sequence, CustomStringConvertible {
    /// vouts 0..<64.
    public var bits: UInt64
    /// vouts from 64 on: word w holds vouts 64·(w+1) ..< 64·(w+2). Empty (no allocation) for small transactions.
    public private(set) var high: [UInt64]

    public init(bits: UInt64 = 0) { self.bits = bits; high = [] }
    public init(_ vouts: some Sequence<Int>) {
        self.init()
        for v in vouts { insert(v) }
    }
    public static let empty = OutputSet()
    /// Outputs 0 ..< n.
    public static func all(_ n: Int) -> OutputSet {
        guard n > 64 else { return OutputSet(bits: n >= 64 ? .max : (UInt64(1) << UInt64(Swift.max(n, 0))) &- 1) }
        var s = OutputSet(bits: .max)
        let rest = n - 64
        s.high = [UInt64](repeating: .max, count: rest / 64)
        if rest % 64 != 0 { s.high.append((UInt64(1) << UInt64(rest % 64)) &- 1) }
        return s
    }

    public var count: Int { high.isEmpty ? bits.nonzeroBitCount : high.reduce(bits.nonzeroBitCount) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { bits == 0 && high.isEmpty }
    public func contains(_ v: Int) -> Bool {
        if v < 64 { return v >= 0 && bits & (1 << UInt64(v)) != 0 }
        let w = v / 64 - 1
        return w < high.count && high[w] & (1 << UInt64(v % 64)) != 0
    }
    public mutating func insert(_ v: Int) {
        if v < 64 {
            if v >= 0 { bits |= 1 << UInt64(v) }
            return
        }
        let w = v / 64 - 1
        if w >= high.count { high.append(contentsOf: repeatElement(0, count: w - high.count + 1)) }
        high[w] |= 1 << UInt64(v % 64)
    }
    public func union(_ o: OutputSet) -> OutputSet {
        var r = OutputSet(bits: bits | o.bits)
        if !high.isEmpty || !o.high.isEmpty {
            let (long, short) = high.count >= o.high.count ? (high, o.high) : (o.high, high)
            r.high = long
            for w in short.indices { r.high[w] |= short[w] }
        }
        return r
    }
    public func intersection(_ o: OutputSet) -> OutputSet {
        var r = OutputSet(bits: bits & o.bits)
        if !high.isEmpty && !o.high.isEmpty {
            r.high = zip(high, o.high).map { $0 & $1 }
            r.trim()
        }
        return r
    }
    public func subtracting(_ o: OutputSet) -> OutputSet {
        var r = OutputSet(bits: bits & ~o.bits)
        if !high.isEmpty {
            r.high = high
            for w in 0..<Swift.min(high.count, o.high.count) { r.high[w] &= ~o.high[w] }
            r.trim()
        }
        return r
    }
    private mutating func trim() { while high.last == 0 { high.removeLast() } }
    /// The single member, if there is exactly one.
    public var only: Int? {
        guard count == 1 else { return nil }
        if bits != 0 { return bits.trailingZeroBitCount }
        let w = high.firstIndex { $0 != 0 }!  // count == 1 and bits == 0: some high word is non-zero.
        return 64 * (w + 1) + high[w].trailingZeroBitCount
    }
    /// The largest member + 1 (0 when empty): a bound for arrays indexed by vout.
    public var bound: Int {
        if let last = high.last { return 64 * high.count + 64 - last.leadingZeroBitCount }
        return 64 - bits.leadingZeroBitCount
    }

    /// Members in ascending order. A plain struct, not `AnyIterator`: that one's closure boxes its state, which
    /// costs an allocation and a runtime exclusivity check per step in the change rules' inner loops.
    public struct Iterator: IteratorProtocol {
        var word: UInt64
        var index = 0  // 0 = bits, w + 1 = high[w]
        let high: [UInt64]

        public mutating func next() -> Int? {
            while word == 0 {
                guard index < high.count else { return nil }
                word = high[index]
                index += 1
            }
            let v = 64 * index + word.trailingZeroBitCount
            word &= word &- 1
            return v
        }
    }

    public func makeIterator() -> Iterator { Iterator(word: bits, high: high) }
    public var description: String { "{" + map(String.init).joined(separator: ",") + "}" }
}

/// Read-only view of one transaction of a `ChainIndex`. Indices passed to the accessors are positions within
/// the transaction (`vin`, `vout`).
public struct TxView {
    public let chain: ChainIndex
    /// The transaction's position in `chain`.
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

    public init(index chain: ChainIndex, position: Int, inputs: Range<Int>, outputs: Range<Int>) {
        self.chain = chain
        self.index = position
        self.inputs = inputs
        self.outputs = outputs
    }

    @inlinable public var id: TxID { TxID(chain.txStoreID[index]) }
    @inlinable public var isCoinbase: Bool { chain.txIsCoinbase[index] }
    @inlinable public var version: Int32 { chain.txVersion[index] }
    @inlinable public var lockTime: UInt32 { chain.txLockTime[index] }
    @inlinable public var inputCount: Int { inputs.count }
    @inlinable public var outputCount: Int { outputs.count }

    @inlinable public func inputAddress(_ i: Int) -> UInt32 { chain.inputAddress[inputs.lowerBound + i] }
    @inlinable public func inputValue(_ i: Int) -> Int64 { chain.inputValue[inputs.lowerBound + i] }
    @inlinable public func inputKind(_ i: Int) -> UInt8 { chain.inputKind[inputs.lowerBound + i] }
    @inlinable public func inputSequence(_ i: Int) -> UInt32 { chain.inputSequence[inputs.lowerBound + i] }
    @inlinable public func outputAddress(_ o: Int) -> UInt32 { chain.outputAddress[outputs.lowerBound + o] }
    @inlinable public func outputValue(_ o: Int) -> Int64 { chain.outputValue[outputs.lowerBound + o] }
    @inlinable public func outputKind(_ o: Int) -> UInt8 { chain.outputKind[outputs.lowerBound + o] }
    public func outputSpender(_ o: Int) -> SpenderShape? { SpenderShape(packed: chain.outputSpender[outputs.lowerBound + o]) }

    /// Any input signals replaceability (BIP 125, `SequenceNumber.signalsReplaceability`).
    public var signalsRBF: Bool {
        for i in inputs where SequenceNumber.signalsReplaceability(chain.inputSequence[i]) { return true }
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
        for o in 0..<outputCount where outputAddress(o) != ChainIndex.noAddress { s.insert(o) }
        return s
    }

    /// Outputs whose address appears here for the first time in chain order: not in `isSeen` and not
    /// paid by an earlier output of this transaction. What `fresh` holds inside a clustering run.
    public func freshOutputs(isSeen: (UInt32) -> Bool) -> OutputSet {
        var fresh = OutputSet()
        let none = ChainIndex.noAddress
        if outputCount <= 64 {
            var local: [UInt32] = []  // a linear scan beats hashing at this size
            for o in 0..<outputCount {
                let a = outputAddress(o)
                if a != none && !isSeen(a) && !local.contains(a) { fresh.insert(o); local.append(a) }
            }
        } else {
            var local = Set<UInt32>(minimumCapacity: outputCount)
            for o in 0..<outputCount {
                let a = outputAddress(o)
                if a != none && !isSeen(a) && local.insert(a).inserted { fresh.insert(o) }
            }
        }
        return fresh
    }

    /// Distinct input addresses (ignoring inputs without one).
    public var distinctInputAddressCount: Int {
        var seen = Set<UInt32>()
        for i in inputs where chain.inputAddress[i] != ChainIndex.noAddress { seen.insert(chain.inputAddress[i]) }
        return seen.count
    }
}
